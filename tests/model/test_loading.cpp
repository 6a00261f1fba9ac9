// Model folders: single and sharded weights, prefixes and heads, and every way a folder
// can disagree with itself. Folders are copies of the committed fixtures, then broken.
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>

#include "taskscout/core/error.hpp"
#include "taskscout/core/tensor.hpp"
#include "taskscout/io/safetensors.hpp"
#include "taskscout/model/checkpoint.hpp"
#include "taskscout/model/model_folder.hpp"
#include "test_support.hpp"

using namespace taskscout;
using taskscout::testing::fixtures_dir;
using taskscout::testing::read_text;
using taskscout::testing::TempDir;
using taskscout::testing::write_text;
namespace fs = std::filesystem;

namespace {

fs::path fixture(const std::string& name) { return fixtures_dir() / "model" / name; }

// A copy of a fixture folder inside `dir`.
fs::path copy_fixture(const TempDir& dir, const std::string& name) {
  const fs::path to = dir / name;
  fs::copy(fixture(name), to, fs::copy_options::recursive);
  return to;
}

// Rewrites a safetensors file, letting `edit` change, drop (empty name) or add tensors.
void rewrite(const fs::path& path, const std::function<void(std::vector<std::pair<std::string, Array>>&)>& edit) {
  std::vector<std::pair<std::string, Array>> tensors;
  {
    // Owned copies: no view of the file being replaced may survive.
    const SafetensorsFile f(path);
    for (const auto& name : f.names()) {
      const Array view = f.get(name);
      Array owned(view.dtype(), view.shape());
      std::copy(view.bytes(), view.bytes() + view.nbytes(), owned.mutable_bytes());
      tensors.emplace_back(name, std::move(owned));
    }
  }
  edit(tensors);
  std::erase_if(tensors, [](const auto& t) { return t.first.empty(); });
  write_safetensors(path, tensors);
}

void replace_text(const fs::path& path, const std::string& from, const std::string& to) {
  std::string text = read_text(path);
  const auto at = text.find(from);
  ASSERT_NE(at, std::string::npos) << from;
  text.replace(at, from.size(), to);
  write_text(path, text);
}

// The InputError message of loading `folder`; it must contain every one of `parts`.
std::string load_error(const fs::path& folder, const std::vector<std::string>& parts) {
  try {
    load_encoder(folder);
  } catch (const InputError& e) {
    const std::string what = e.what();
    for (const auto& part : parts) EXPECT_NE(what.find(part), std::string::npos) << "'" << part << "' not in: " << what;
    return what;
  }
  ADD_FAILURE() << "no InputError for " << folder;
  return "";
}

void expect_same_parameters(const ParameterMap& a, const ParameterMap& b) {
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [name, t] : a) {
    ASSERT_TRUE(b.count(name)) << name;
    EXPECT_TRUE(at::equal(t, b.at(name))) << name;
  }
}

}  // namespace

TEST(ModelFolder, LoadsBareNames) {
  const Encoder e = load_encoder(fixture("bert"));
  EXPECT_EQ(e.config.architecture, Architecture::Bert);
  EXPECT_TRUE(e.has_pooler());
  // 5 embedding tensors, 16 per layer, 2 pooler tensors.
  EXPECT_EQ(e.parameters.size(), 5u + 16u * 2 + 2);
  const at::Tensor& w = e.parameters.at("encoder.layer.1.intermediate.dense.weight");
  EXPECT_EQ(w.sizes(), (at::IntArrayRef{64, 32}));
  EXPECT_EQ(w.scalar_type(), at::kFloat);
}

TEST(ModelFolder, StripsPrefixAndIgnoresHeadsAndBuffers) {
  // bert_prefixed: the same weights as bert under "bert.", with a classifier and the
  // legacy int64 position_ids buffer.
  const Encoder prefixed = load_encoder(fixture("bert_prefixed"));
  expect_same_parameters(prefixed.parameters, load_encoder(fixture("bert")).parameters);
  for (const auto& [name, t] : prefixed.parameters) {
    EXPECT_EQ(name.rfind("bert.", 0), std::string::npos) << name;
    EXPECT_EQ(name.find("classifier"), std::string::npos) << name;
    EXPECT_EQ(name.find("position_ids"), std::string::npos) << name;
  }
}

TEST(ModelFolder, MaskedLanguageModelCheckpoints) {
  const Encoder xlmr = load_encoder(fixture("xlmr"));  // roberta. prefix plus lm_head
  EXPECT_EQ(xlmr.config.architecture, Architecture::XlmRoberta);
  EXPECT_TRUE(xlmr.has_pooler());
  for (const auto& [name, t] : xlmr.parameters) EXPECT_EQ(name.find("lm_head"), std::string::npos) << name;

  const Encoder distil = load_encoder(fixture("distilbert"));  // distilbert. prefix plus vocab_*
  EXPECT_FALSE(distil.has_pooler());
  EXPECT_EQ(distil.parameters.size(), 4u + 16u * 2);
  EXPECT_TRUE(distil.parameters.count("transformer.layer.1.attention.q_lin.weight"));
}

TEST(ModelFolder, ShardedEqualsSingleFile) {
  expect_same_parameters(load_encoder(fixture("bert_sharded")).parameters, load_encoder(fixture("bert")).parameters);
}

TEST(ModelFolder, HalfPrecisionWeightsBecomeFloat32) {
  TempDir dir;
  const fs::path folder = copy_fixture(dir, "bert");
  rewrite(folder / "model.safetensors", [](auto& tensors) {
    for (auto& [name, a] : tensors) a = a.to(DType::F16);
  });
  const Encoder half = load_encoder(folder);
  const Encoder full = load_encoder(fixture("bert"));
  for (const auto& [name, t] : half.parameters) {
    EXPECT_EQ(t.scalar_type(), at::kFloat) << name;
    EXPECT_TRUE(at::equal(t, full.parameters.at(name).to(at::kHalf).to(at::kFloat))) << name;
  }
}

TEST(ModelFolderErrors, UnsupportedModelTypeNamesFolderTypeAndSupported) {
  TempDir dir;
  const fs::path folder = copy_fixture(dir, "bert");
  replace_text(folder / "config.json", "\"model_type\": \"bert\"", "\"model_type\": \"gpt2\"");
  load_error(folder, {(folder / "config.json").string(), "gpt2", "bert, roberta, xlm-roberta, distilbert"});
}

TEST(ModelFolderErrors, ShapeMismatchNamesTensorAndBothShapes) {
  TempDir dir;
  const fs::path folder = copy_fixture(dir, "bert");
  replace_text(folder / "config.json", "\"intermediate_size\": 64", "\"intermediate_size\": 48");
  load_error(folder, {(folder / "model.safetensors").string(), "\"encoder.layer.0.intermediate.dense.weight\"",
                      "[64, 32]", "[48, 32]"});
}

TEST(ModelFolderErrors, MoreLayersInWeightsThanConfig) {
  TempDir dir;
  const fs::path folder = copy_fixture(dir, "distilbert");
  replace_text(folder / "config.json", "\"n_layers\": 2", "\"n_layers\": 1");
  load_error(folder, {"distilbert.transformer.layer.1.", "layer 1", "layer count is 1"});
}

TEST(ModelFolderErrors, MissingTensorIsNamed) {
  TempDir dir;
  const fs::path folder = copy_fixture(dir, "bert_prefixed");
  rewrite(folder / "model.safetensors", [](auto& tensors) {
    for (auto& [name, a] : tensors)
      if (name == "bert.encoder.layer.1.output.LayerNorm.bias") name.clear();
  });
  load_error(folder,
             {(folder / "model.safetensors").string(), "\"bert.encoder.layer.1.output.LayerNorm.bias\"", "missing"});
}

TEST(ModelFolderErrors, IntegerWeightsAreRejected) {
  TempDir dir;
  const fs::path folder = copy_fixture(dir, "bert");
  rewrite(folder / "model.safetensors", [](auto& tensors) {
    for (auto& [name, a] : tensors)
      if (name == "embeddings.LayerNorm.weight") a = a.to(DType::I32);
  });
  load_error(folder, {"\"embeddings.LayerNorm.weight\"", "I32"});
}

TEST(ModelFolderErrors, HalfAPoolerIsAnError) {
  TempDir dir;
  const fs::path folder = copy_fixture(dir, "bert");
  rewrite(folder / "model.safetensors", [](auto& tensors) {
    for (auto& [name, a] : tensors)
      if (name == "pooler.dense.bias") name.clear();
  });
  load_error(folder, {"pooler"});
}

TEST(ModelFolderErrors, MissingShardIsNamed) {
  TempDir dir;
  const fs::path folder = copy_fixture(dir, "bert_sharded");
  fs::remove(folder / "model-00002-of-00002.safetensors");
  load_error(folder,
             {(folder / "model.safetensors.index.json").string(), "model-00002-of-00002.safetensors", "missing"});
}

TEST(ModelFolderErrors, IndexPointingAtTheWrongShard) {
  TempDir dir;
  const fs::path folder = copy_fixture(dir, "bert_sharded");
  const SafetensorsFile first(folder / "model-00001-of-00002.safetensors");
  const SafetensorsFile second(folder / "model-00002-of-00002.safetensors");
  const std::string moved = second.names().front();
  replace_text(folder / "model.safetensors.index.json", "\"" + moved + "\": \"model-00002-of-00002.safetensors\"",
               "\"" + moved + "\": \"model-00001-of-00002.safetensors\"");
  load_error(folder, {(folder / "model-00001-of-00002.safetensors").string(), "\"" + moved + "\""});
}

TEST(ModelFolderErrors, NoWeightsOrNoConfig) {
  TempDir dir;
  const fs::path folder = copy_fixture(dir, "bert");
  fs::remove(folder / "model.safetensors");
  load_error(folder, {folder.string(), "no model.safetensors"});
  write_text(folder / "pytorch_model.bin", "x");
  load_error(folder, {folder.string(), "pytorch_model.bin", "safetensors"});
  fs::remove(folder / "config.json");
  load_error(folder, {folder.string(), "config.json"});
  load_error(dir / "absent", {"absent", "no such directory"});
}

TEST(ModelFolderErrors, MalformedIndex) {
  TempDir dir;
  const fs::path folder = copy_fixture(dir, "bert_sharded");
  write_text(folder / "model.safetensors.index.json", "{\"metadata\": {}}");
  load_error(folder, {"model.safetensors.index.json", "weight_map"});
}

TEST(ModelFolderErrors, CheckParametersOnAnInMemoryMap) {
  const Encoder e = load_encoder(fixture("roberta"));
  ParameterMap p = e.parameters;
  EXPECT_NO_THROW(check_parameters(p, e.config, "merged"));
  p["encoder.layer.0.attention.self.key.bias"] = at::zeros({31});
  try {
    check_parameters(p, e.config, "merged");
    ADD_FAILURE() << "no error";
  } catch (const InputError& err) {
    EXPECT_NE(std::string(err.what()).find("\"encoder.layer.0.attention.self.key.bias\" has shape [31]"),
              std::string::npos)
        << err.what();
  }
  p.erase("encoder.layer.0.attention.self.key.bias");
  EXPECT_THROW(check_parameters(p, e.config, "merged"), InputError);
}
