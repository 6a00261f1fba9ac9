// LoRA: zero-initialized B leaves the base's outputs exactly; the adapted forward equals
// the merged weights W + (alpha/r)·B·A; gradients match finite differences; the PEFT
// folder layout round-trips and bad folders are rejected with the file named.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "../train/tiny_model.hpp"
#include "gradient_check.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/io/safetensors.hpp"
#include "taskscout/model/encoder.hpp"
#include "taskscout/model/lora.hpp"

using namespace taskscout;
using taskscout::testing::TempDir;

namespace {

const at::Tensor& ids() {
  static const at::Tensor t = at::tensor({2, 5, 9, 7, 3, 0, 2, 6, 6, 3, 0, 0}, at::kLong).view({2, 6});
  return t;
}
at::Tensor mask() { return ids().ne(0).to(at::kLong); }

}  // namespace

TEST(Lora, TargetsAsPeftMatchesThem) {
  const EncoderConfig c = taskscout::testing::tiny_config();
  EXPECT_EQ(lora_modules(c, {}),
            (std::vector<std::string>{"encoder.layer.0.attention.self.query", "encoder.layer.0.attention.self.value",
                                      "encoder.layer.1.attention.self.query", "encoder.layer.1.attention.self.value"}));
  LoraConfig dense;
  dense.target_modules = {"dense"};  // attention.output.dense, intermediate.dense, output.dense (pooler absent)
  EXPECT_EQ(lora_modules(c, dense).size(), 6u);
  EXPECT_EQ(default_lora_targets(Architecture::DistilBert), (std::vector<std::string>{"q_lin", "v_lin"}));
  LoraConfig bad;
  bad.target_modules = {"q_proj"};
  try {
    lora_modules(c, bad);
    ADD_FAILURE() << "no error";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("attention.self.query"), std::string::npos) << e.what();
  }
  bad = {};
  bad.rank = 0;
  EXPECT_THROW(lora_modules(c, bad), UsageError);
}

TEST(Lora, StartsAsTheBaseAndEqualsMergedWeights) {
  const EncoderConfig c = taskscout::testing::tiny_config();
  const ParameterMap base = taskscout::testing::tiny_parameters(c, 3);
  LoraConfig l;
  l.rank = 2;
  l.alpha = 6;
  ParameterMap lora = init_lora(c, l, 1);
  ParameterMap p = base;
  for (const auto& [name, t] : lora) p[name] = t;
  EncodeOptions o;
  o.lora_scaling = l.scaling();
  const at::Tensor plain = encode(c, base, ids(), mask()).last_hidden_state;
  // B = 0. Equal to rounding, not bit for bit: with a LoRA the query, key and value are three
  // GEMMs instead of one fused GEMM, and OpenBLAS's AVX-512 kernels sum those shapes in a
  // different order (bit-equal on AVX2 machines, 1 ulp apart on AVX-512 ones).
  const at::Tensor zero_lora = encode(c, p, ids(), mask(), {}, o).last_hidden_state;
  EXPECT_TRUE(at::allclose(zero_lora, plain, 0, 1e-6)) << (zero_lora - plain).abs().max().item<float>();

  ParameterMap merged = base;
  for (const std::string& m : lora_modules(c, l)) {
    at::Tensor& b = p[m + ".lora_B.weight"];
    b = at::randn(b.sizes()) * 0.3;
    merged[m + ".weight"] = base.at(m + ".weight") + l.scaling() * at::matmul(b, p.at(m + ".lora_A.weight"));
  }
  const at::Tensor adapted = encode(c, p, ids(), mask(), {}, o).last_hidden_state;
  EXPECT_FALSE(at::allclose(adapted, plain, 1e-3, 1e-3));
  EXPECT_TRUE(at::allclose(adapted, encode(c, merged, ids(), mask()).last_hidden_state, 1e-4, 1e-5));
  // Without the scaling option the LoRA tensors are ignored: the plain path.
  EXPECT_TRUE(at::equal(encode(c, p, ids(), mask()).last_hidden_state, plain));
}

TEST(Lora, GradientsMatchFiniteDifferences) {
  const EncoderConfig c = taskscout::testing::tiny_config(Architecture::DistilBert);
  LoraConfig l;
  l.rank = 3;
  ParameterMap p = taskscout::testing::tiny_parameters(c, 4);
  for (auto [name, t] : init_lora(c, l, 2)) p[name] = t.name() == "" ? at::randn(t.sizes()) * 0.2 : t;
  p = taskscout::testing::as_double_leaves(p);
  EncodeOptions o;
  o.lora_scaling = l.scaling();
  const at::Tensor target = at::randn({2, 6, 16}, at::kDouble);
  auto loss = [&](const ParameterMap& m) {
    return (encode(c, m, ids(), mask(), {}, o).last_hidden_state * target).sum();
  };
  taskscout::testing::expect_gradients_match(
      p,
      {"transformer.layer.0.attention.q_lin.lora_A.weight", "transformer.layer.0.attention.q_lin.lora_B.weight",
       "transformer.layer.1.attention.v_lin.lora_B.weight"},
      loss);
}

TEST(Lora, PeftFolderRoundTrips) {
  TempDir dir;
  const EncoderConfig c = taskscout::testing::tiny_config();
  LoraConfig l;
  l.rank = 2;
  l.alpha = 4;
  LoraFiles f{l,
              "/models/base",
              init_lora(c, l, 1),
              {{"classifier.weight", at::randn({3, 16})}, {"classifier.bias", at::randn({3})}}};
  f.encoder["pooler.dense.weight"] = at::randn({16, 16});
  f.encoder["pooler.dense.bias"] = at::randn({16});
  write_lora_files(dir.path(), c, f);
  EXPECT_TRUE(is_lora_folder(dir.path()));
  const SafetensorsFile file(dir / "adapter_model.safetensors");
  EXPECT_TRUE(file.contains("base_model.model.bert.encoder.layer.1.attention.self.value.lora_A.weight"));
  EXPECT_TRUE(file.contains("base_model.model.classifier.weight"));
  EXPECT_TRUE(file.contains("base_model.model.bert.pooler.dense.weight"));
  const auto j = nlohmann::json::parse(taskscout::testing::read_text(dir / "adapter_config.json"));
  EXPECT_EQ(j["peft_type"], "LORA");
  EXPECT_EQ(j["r"], 2);
  EXPECT_EQ(j["base_model_name_or_path"], "/models/base");
  EXPECT_NE(std::find(j["modules_to_save"].begin(), j["modules_to_save"].end(), "pooler"), j["modules_to_save"].end());

  const LoraFiles back = read_lora_files(dir.path(), c);
  EXPECT_EQ(back.config.rank, 2);
  EXPECT_EQ(back.config.alpha, 4);
  EXPECT_EQ(back.base_model, "/models/base");
  ASSERT_EQ(back.encoder.size(), f.encoder.size());
  for (const auto& [name, t] : f.encoder) EXPECT_TRUE(at::equal(back.encoder.at(name), t)) << name;
  for (const auto& [name, t] : f.head) EXPECT_TRUE(at::equal(back.head.at(name), t)) << name;
}

TEST(Lora, RejectsWhatItCannotCompute) {
  const EncoderConfig c = taskscout::testing::tiny_config();
  LoraConfig l;
  l.rank = 2;
  auto expect_error = [&](const std::function<void(const std::filesystem::path&)>& spoil, const std::string& file) {
    TempDir dir;
    write_lora_files(dir.path(), c, {l, "", init_lora(c, l, 1), {}});
    spoil(dir.path());
    try {
      read_lora_files(dir.path(), c);
      ADD_FAILURE() << "no error";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(file), std::string::npos) << e.what();
    }
  };
  auto edit_config = [](const std::string& key, nlohmann::json value) {
    return [key, value](const std::filesystem::path& d) {
      auto j = nlohmann::json::parse(taskscout::testing::read_text(d / "adapter_config.json"));
      j[key] = value;
      taskscout::testing::write_text(d / "adapter_config.json", j.dump());
    };
  };
  expect_error(edit_config("bias", "lora_only"), "adapter_config.json");
  expect_error(edit_config("use_dora", true), "adapter_config.json");
  expect_error(edit_config("target_modules", nlohmann::json::array({"q_proj"})), "adapter_config.json");
  expect_error(edit_config("r", 3), "adapter_model.safetensors");  // shapes disagree with the rank
  expect_error(
      [](const std::filesystem::path& d) {
        ParameterMap half = init_lora(taskscout::testing::tiny_config(), {2, 16, {}}, 1);
        half.erase("encoder.layer.0.attention.self.query.lora_B.weight");
        write_lora_files(d, taskscout::testing::tiny_config(), {{2, 16, {}}, "", half, {}});
      },
      "adapter_model.safetensors");
}
