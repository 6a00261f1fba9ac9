// Encoder outputs against two independent implementations on the same weights and inputs
// (tests/fixtures/model/<name>, made by scripts/oracles/encoders): expected.safetensors
// from a python3-torch forward written after the Hugging Face modeling code (transformers
// itself is not available here), and onnxruntime.safetensors from ONNX Runtime running
// that model exported to ONNX (only for the base fixtures; the prefixed and sharded
// variants hold the same weights as bert).
#include <c10/core/InferenceMode.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "taskscout/core/error.hpp"
#include "taskscout/core/tensor.hpp"
#include "taskscout/io/safetensors.hpp"
#include "taskscout/model/encoder.hpp"
#include "taskscout/model/model_folder.hpp"
#include "taskscout/model/pooling.hpp"
#include "test_support.hpp"

using namespace taskscout;
using taskscout::testing::fixtures_dir;
using taskscout::testing::read_text;

namespace {

constexpr double kTolerance = 1e-5;

at::Tensor int_tensor(const nlohmann::json& rows) {
  std::vector<std::int64_t> flat;
  for (const auto& row : rows)
    for (const auto& v : row) flat.push_back(v.get<std::int64_t>());
  const auto b = static_cast<std::int64_t>(rows.size());
  return at::tensor(flat, at::kLong).view({b, static_cast<std::int64_t>(flat.size()) / b});
}

// Largest |a − b| over the token positions where keep is true ([B, L] against [..., B, L, D]).
double max_diff(const at::Tensor& a, const at::Tensor& b, const at::Tensor& keep) {
  const at::Tensor d = (a - b).abs().amax(-1);  // [..., B, L]
  const at::Tensor masked = at::where(keep.expand_as(d), d, at::zeros_like(d));
  return masked.max().item<double>();
}

struct Oracle {
  std::string fixture, outputs;  // folder and expected-output file
};

class Reference : public ::testing::TestWithParam<Oracle> {};

TEST_P(Reference, MatchesOracle) {
  c10::InferenceMode guard;
  const auto dir = fixtures_dir() / "model" / GetParam().fixture;
  const Encoder model = load_encoder(dir);
  const auto inputs = nlohmann::json::parse(read_text(dir / "inputs.json"));
  const at::Tensor ids = int_tensor(inputs["input_ids"]);
  const at::Tensor mask = int_tensor(inputs["attention_mask"]);
  const at::Tensor types = inputs.contains("token_type_ids") ? int_tensor(inputs["token_type_ids"]) : at::Tensor();
  const EncoderOutput out = encode(model.config, model.parameters, ids, mask, types, {.all_hidden_states = true});

  const SafetensorsFile expected(dir / GetParam().outputs);
  auto want = [&](const std::string& name) { return as_tensor(expected.get(name)); };
  const at::Tensor real = mask.ne(0), pad = mask.eq(0);

  const double last = max_diff(out.last_hidden_state, want("last_hidden_state"), real);
  const at::Tensor hidden = at::stack(out.hidden_states);
  ASSERT_EQ(hidden.sizes(), want("hidden_states").sizes());
  const double all = max_diff(hidden, want("hidden_states"), real);
  const double cls = (pool_cls(out.last_hidden_state) - want("cls")).abs().max().item<double>();
  const double mean = (pool_mean(out.last_hidden_state, mask) - want("mean")).abs().max().item<double>();
  double pooler = 0;
  if (expected.contains("pooler_output")) {
    ASSERT_TRUE(model.has_pooler());
    pooler = (pool_pooler(model.parameters, out.last_hidden_state) - want("pooler_output")).abs().max().item<double>();
  } else {
    EXPECT_THROW(pool_pooler(model.parameters, out.last_hidden_state), InputError);
  }
  // Padding positions are outside the contract, but Hugging Face computes them the same way.
  const double padding = max_diff(hidden, want("hidden_states"), pad);
  std::printf(
      "[ %s ] max |diff|: last %.3g, hidden_states %.3g, cls %.3g, mean %.3g, pooler %.3g; "
      "padding positions %.3g\n",
      (GetParam().fixture + "/" + GetParam().outputs).c_str(), last, all, cls, mean, pooler, padding);
  EXPECT_LE(last, kTolerance);
  EXPECT_LE(all, kTolerance);
  EXPECT_LE(cls, kTolerance);
  EXPECT_LE(mean, kTolerance);
  EXPECT_LE(pooler, kTolerance);
  EXPECT_LE(padding, kTolerance);
}

std::vector<Oracle> oracles() {
  std::vector<Oracle> all;
  for (const char* f : {"bert", "bert_prefixed", "bert_sharded", "roberta", "xlmr", "distilbert"})
    all.push_back({f, "expected.safetensors"});
  for (const char* f : {"bert", "roberta", "xlmr", "distilbert"}) all.push_back({f, "onnxruntime.safetensors"});
  return all;
}

INSTANTIATE_TEST_SUITE_P(Fixtures, Reference, ::testing::ValuesIn(oracles()), [](const auto& info) {
  return info.param.fixture + (info.param.outputs == "expected.safetensors" ? "_python" : "_onnxruntime");
});

}  // namespace
