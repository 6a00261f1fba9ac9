// AdamW against torch.optim.AdamW (fixture from scripts/oracles/train/adamw_oracle.py),
// resuming from saved state, gradient clipping and the schedule against hand values.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "taskscout/core/error.hpp"
#include "taskscout/train/optimizer.hpp"
#include "test_support.hpp"

using namespace taskscout;
using nlohmann::json;

namespace {

const json& oracle() {
  static const json j =
      json::parse(taskscout::testing::read_text(taskscout::testing::fixtures_dir() / "train" / "adamw.json"));
  return j;
}

at::Tensor tensor_of(const json& values, const json& shape) {
  std::vector<float> v = values.get<std::vector<float>>();
  return at::tensor(v, at::kFloat).view(shape.get<std::vector<std::int64_t>>()).clone();
}

ParameterMap initial_parameters() {
  ParameterMap p;
  for (const auto& [name, shape] : oracle()["shapes"].items())
    p[name] = tensor_of(oracle()["initial"][name], shape).requires_grad_(true);
  return p;
}

void set_gradients(ParameterMap& p, std::size_t step) {
  for (auto& [name, t] : p) t.mutable_grad() = tensor_of(oracle()["gradients"][step][name], oracle()["shapes"][name]);
}

AdamWOptions oracle_options() {
  const json& o = oracle()["options"];
  return {o["beta1"].get<double>(), o["beta2"].get<double>(), o["eps"].get<double>(), o["weight_decay"].get<double>()};
}

void expect_near_values(const at::Tensor& t, const json& expected, const std::string& what) {
  const at::Tensor flat = t.detach().flatten();
  ASSERT_EQ(flat.numel(), static_cast<std::int64_t>(expected.size())) << what;
  for (std::int64_t i = 0; i < flat.numel(); ++i) {
    const double want = expected[i].get<double>();
    EXPECT_NEAR(flat[i].item<float>(), want, 2e-6 * (1 + std::abs(want))) << what << " element " << i;
  }
}

}  // namespace

TEST(AdamW, DecayGroupsAsHuggingFace) {
  EXPECT_TRUE(decays_weight("encoder.layer.0.attention.self.query.weight"));
  EXPECT_TRUE(decays_weight("classifier.weight"));
  EXPECT_FALSE(decays_weight("classifier.bias"));
  EXPECT_FALSE(decays_weight("embeddings.LayerNorm.weight"));
  EXPECT_FALSE(decays_weight("transformer.layer.1.sa_layer_norm.weight"));
  EXPECT_FALSE(decays_weight("transformer.layer.1.output_layer_norm.weight"));
}

TEST(AdamW, MatchesTorchOptimAdamW) {
  ParameterMap p = initial_parameters();
  ParameterMap view = p;  // shares storage: updates must show here
  AdamW adam(p, oracle_options());
  const json& lrs = oracle()["learning_rates"];
  for (std::size_t k = 0; k < lrs.size(); ++k) {
    set_gradients(p, k);
    adam.step(lrs[k].get<double>());
    adam.zero_grad();
    for (const auto& [name, t] : view) {
      expect_near_values(t, oracle()["after_step"][k][name], name + " after step " + std::to_string(k + 1));
      EXPECT_FALSE(t.grad().defined());
    }
  }
  EXPECT_EQ(adam.step_count(), static_cast<std::int64_t>(lrs.size()));
}

TEST(AdamW, FirstStepByHand) {
  // Step 1: m̂ = g, v̂ = g², so p ← p·(1 − lr·λ) − lr·g/(|g| + ε).
  at::Tensor w = at::tensor({2.0f, -1.0f}).requires_grad_(true), b = at::tensor({0.5f}).requires_grad_(true);
  AdamW adam({{"w.weight", w}, {"w.bias", b}}, {0.9, 0.999, 1e-8, 0.5});
  w.mutable_grad() = at::tensor({4.0f, -0.25f});
  b.mutable_grad() = at::tensor({-3.0f});
  adam.step(0.1);
  EXPECT_NEAR(w[0].item<float>(), 2.0 * 0.95 - 0.1, 1e-6);
  EXPECT_NEAR(w[1].item<float>(), -1.0 * 0.95 + 0.1, 1e-6);
  EXPECT_NEAR(b[0].item<float>(), 0.5 + 0.1, 1e-6);  // a bias is not decayed
}

TEST(AdamW, ResumesBitForBitFromState) {
  ParameterMap straight = initial_parameters();
  AdamW a(straight, oracle_options());
  for (std::size_t k = 0; k < 5; ++k) {
    set_gradients(straight, k);
    a.step(1e-2);
  }

  ParameterMap first = initial_parameters();
  AdamW b(first, oracle_options());
  for (std::size_t k = 0; k < 2; ++k) {
    set_gradients(first, k);
    b.step(1e-2);
  }
  const ParameterMap saved = b.state();
  EXPECT_EQ(saved.at("step").item<std::int64_t>(), 2);
  EXPECT_TRUE(saved.count("exp_avg.embeddings.LayerNorm.weight"));
  EXPECT_TRUE(saved.count("exp_avg_sq.encoder.layer.0.output.dense.bias"));

  ParameterMap resumed;
  for (const auto& [name, t] : first) resumed[name] = t.detach().clone().requires_grad_(true);
  AdamW c(resumed, oracle_options());
  c.load_state(saved, "ckpt");
  EXPECT_EQ(c.step_count(), 2);
  for (std::size_t k = 2; k < 5; ++k) {
    set_gradients(resumed, k);
    c.step(1e-2);
  }
  for (const auto& [name, t] : straight) EXPECT_TRUE(at::equal(t, resumed.at(name))) << name;
}

TEST(AdamW, LoadStateRejectsForeignState) {
  ParameterMap p = initial_parameters();
  AdamW a(p, oracle_options());
  set_gradients(p, 0);
  a.step(1e-3);
  ParameterMap bad_shape = a.state();
  bad_shape["exp_avg.embeddings.LayerNorm.weight"] = at::zeros({5});
  ParameterMap unknown = a.state();
  unknown["exp_avg.classifier.weight"] = at::zeros({2});
  ParameterMap no_step = a.state();
  no_step.erase("step");
  ParameterMap half = a.state();
  half.erase("exp_avg_sq.encoder.layer.0.output.dense.bias");
  for (const ParameterMap* s : {&bad_shape, &unknown, &no_step, &half}) {
    AdamW b(initial_parameters(), oracle_options());
    try {
      b.load_state(*s, "run/optimizer.safetensors");
      ADD_FAILURE() << "no error";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("run/optimizer.safetensors"), std::string::npos) << e.what();
    }
  }
}

TEST(AdamW, RejectsFrozenParameters) {
  EXPECT_THROW(AdamW({{"w", at::zeros({2})}}), UsageError);
  EXPECT_THROW(AdamW(ParameterMap{}), UsageError);
}

TEST(ClipGradNorm, MatchesTorchAndHandValues) {
  ParameterMap p = initial_parameters();
  const json& clip = oracle()["clip"];
  for (auto& [name, t] : p) t.mutable_grad() = tensor_of(clip["gradients"][name], oracle()["shapes"][name]);
  const double total = clip_grad_norm(p, clip["max_norm"].get<double>());
  EXPECT_NEAR(total, clip["total_norm"].get<double>(), 1e-5 * clip["total_norm"].get<double>());
  for (const auto& [name, t] : p) expect_near_values(t.grad(), clip["clipped"][name], name);

  // ‖(3, 4)‖ = 5: clipped to norm 1; below the limit nothing changes.
  at::Tensor w = at::zeros({2}).requires_grad_(true);
  w.mutable_grad() = at::tensor({3.0f, 4.0f});
  EXPECT_DOUBLE_EQ(clip_grad_norm({{"w", w}}, 1.0), 5.0);
  EXPECT_NEAR(w.grad()[0].item<float>(), 0.6, 1e-6);
  EXPECT_NEAR(w.grad()[1].item<float>(), 0.8, 1e-6);
  w.mutable_grad() = at::tensor({3.0f, 4.0f});
  EXPECT_DOUBLE_EQ(clip_grad_norm({{"w", w}}, 10.0), 5.0);
  EXPECT_EQ(w.grad()[1].item<float>(), 4.0f);
  EXPECT_THROW(clip_grad_norm({{"w", w}}, 0.0), UsageError);
}

TEST(LinearSchedule, WarmupThenDecay) {
  const LinearSchedule s{1e-3, 4, 12};
  EXPECT_EQ(s.learning_rate(0), 0.0);
  EXPECT_DOUBLE_EQ(s.learning_rate(1), 0.25e-3);
  EXPECT_DOUBLE_EQ(s.learning_rate(3), 0.75e-3);
  EXPECT_DOUBLE_EQ(s.learning_rate(4), 1e-3);
  EXPECT_DOUBLE_EQ(s.learning_rate(8), 0.5e-3);
  EXPECT_DOUBLE_EQ(s.learning_rate(11), 0.125e-3);
  EXPECT_EQ(s.learning_rate(12), 0.0);
  EXPECT_EQ(s.learning_rate(20), 0.0);
  const LinearSchedule no_warmup{2.0, 0, 4};
  EXPECT_DOUBLE_EQ(no_warmup.learning_rate(0), 2.0);
  EXPECT_DOUBLE_EQ(no_warmup.learning_rate(1), 1.5);
}
