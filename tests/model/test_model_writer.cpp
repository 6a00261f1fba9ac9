// Writing Hugging Face model folders: what is written loads back into the same config,
// tensors and encoder outputs, and a failed write leaves nothing behind.
#include <c10/core/InferenceMode.h>
#include <gtest/gtest.h>

#include "taskscout/core/error.hpp"
#include "taskscout/core/tensor.hpp"
#include "taskscout/io/safetensors.hpp"
#include "taskscout/model/checkpoint.hpp"
#include "taskscout/model/encoder.hpp"
#include "taskscout/model/model_folder.hpp"
#include "taskscout/model/model_writer.hpp"
#include "test_support.hpp"

using namespace taskscout;
using taskscout::testing::fixtures_dir;
using taskscout::testing::TempDir;
namespace fs = std::filesystem;

namespace {

at::Tensor encode_some(const Encoder& e) {
  c10::InferenceMode guard;
  const at::Tensor ids = at::arange(3, 3 + 14, at::kLong).remainder(e.config.vocab_size).view({2, 7});
  at::Tensor mask = at::ones({2, 7}, at::kLong);
  mask[1].slice(0, 4, 7).fill_(0);
  return encode(e.config, e.parameters, ids, mask).last_hidden_state;
}

void expect_same_parameters(const ParameterMap& a, const ParameterMap& b) {
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [name, t] : a) {
    ASSERT_TRUE(b.count(name)) << name;
    EXPECT_TRUE(at::equal(t, b.at(name))) << name;
  }
}

}  // namespace

TEST(EncoderConfigJson, ReloadsIdentically) {
  for (const char* name : {"bert", "bert_prefixed", "roberta", "xlmr", "distilbert"}) {
    EncoderConfig c = read_encoder_config(fixtures_dir() / "model" / name / "config.json");
    EXPECT_EQ(parse_encoder_config(encoder_config_json(c), "written"), c) << name;
    c.architectures = {"SomethingForSequenceClassification"};
    c.labels = {"negative", "positive", "1"};
    c.problem_type = "single_label_classification";
    EXPECT_EQ(parse_encoder_config(encoder_config_json(c), "written"), c) << name;
  }
}

TEST(EncoderConfigJson, RejectsBadId2Label) {
  const std::string base =
      R"({"model_type": "bert", "vocab_size": 100, "hidden_size": 16, "num_hidden_layers": 2,
          "num_attention_heads": 4, "intermediate_size": 32, "max_position_embeddings": 40, "type_vocab_size": 2)";
  for (const char* tail : {R"(, "id2label": {"0": "a", "2": "b"}})", R"(, "id2label": {"0": "a", "1": "a"}})",
                           R"(, "id2label": {"x": "a"}})", R"(, "id2label": ["a"]})", R"(, "problem_type": "ranking"})",
                           R"(, "architectures": "Bert"})"}) {
    try {
      parse_encoder_config(base + tail, "m/config.json");
      ADD_FAILURE() << "accepted " << tail;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("m/config.json"), std::string::npos) << e.what();
    }
  }
}

TEST(ModelWriter, TaskModelReloadsIdentically) {
  TempDir dir;
  for (const char* name : {"bert", "roberta", "distilbert"}) {
    const Encoder base = load_encoder(fixtures_dir() / "model" / name);
    // A base folder with tokenizer files to copy.
    fs::copy(fixtures_dir() / "model" / name, dir / (std::string("base_") + name));
    taskscout::testing::write_text(dir / (std::string("base_") + name) / "vocab.txt", "[PAD]\n[UNK]\nhello\n");

    ModelFolderContents m;
    m.config = base.config;
    m.config.architectures = {"BertForSequenceClassification"};
    m.config.labels = {"neg", "pos"};
    m.config.problem_type = "single_label_classification";
    for (const auto& [n, t] : base.parameters) m.encoder[n] = t.clone().add_(0.5);  // not the base's values
    m.heads["classifier.weight"] = at::randn({2, base.config.hidden_size});
    m.heads["classifier.bias"] = at::randn({2});
    m.tokenizer_from = dir / (std::string("base_") + name);
    const fs::path out = dir / (std::string("out/") + name);
    write_model_folder(out, m);

    const Encoder loaded = load_encoder(out);
    EXPECT_EQ(loaded.config, m.config) << name;
    expect_same_parameters(loaded.parameters, m.encoder);
    Encoder expected = base;
    expected.parameters = m.encoder;
    EXPECT_TRUE(at::equal(encode_some(loaded), encode_some(expected))) << name;
    EXPECT_EQ(taskscout::testing::read_text(out / "vocab.txt"), "[PAD]\n[UNK]\nhello\n");

    const SafetensorsFile file(out / "model.safetensors");
    EXPECT_EQ(file.metadata().at("format"), "pt");
    const std::string prefix = name == std::string("roberta") ? "roberta." : std::string(name) + ".";
    EXPECT_TRUE(file.contains(prefix + "embeddings.word_embeddings.weight")) << name;
    EXPECT_TRUE(file.contains("classifier.weight"));
    EXPECT_TRUE(at::equal(as_tensor(file.get("classifier.bias")), m.heads.at("classifier.bias")));
    // Nothing but the folder itself is left beside it.
    EXPECT_EQ(std::distance(fs::directory_iterator(dir / "out"), fs::directory_iterator()),
              std::string(name) == "bert" ? 1 : (std::string(name) == "roberta" ? 2 : 3));
  }
}

TEST(ModelWriter, BaseModelHasBareNames) {
  TempDir dir;
  const Encoder base = load_encoder(fixtures_dir() / "model" / "bert");
  write_model_folder(dir / "base", {base.config, base.parameters, {}, {}});
  const SafetensorsFile file(dir / "base" / "model.safetensors");
  EXPECT_TRUE(file.contains("embeddings.word_embeddings.weight"));
  EXPECT_FALSE(file.contains("bert.embeddings.word_embeddings.weight"));
  expect_same_parameters(load_encoder(dir / "base").parameters, base.parameters);
}

TEST(ModelWriter, ReplacesOnlyItsOwnFolders) {
  TempDir dir;
  const Encoder base = load_encoder(fixtures_dir() / "model" / "bert");
  const ModelFolderContents m{base.config, base.parameters, {}, {}};
  write_model_folder(dir / "out", m);
  taskscout::testing::write_text(dir / "out" / "stale.txt", "from an earlier run");
  write_model_folder(dir / "out", m);  // an earlier output is replaced whole
  EXPECT_FALSE(fs::exists(dir / "out" / "stale.txt"));
  EXPECT_TRUE(fs::exists(dir / "out" / "model.safetensors"));

  fs::create_directory(dir / "photos");
  taskscout::testing::write_text(dir / "photos" / "cat.jpg", "meow");
  EXPECT_THROW(write_model_folder(dir / "photos", m), UsageError);
  EXPECT_EQ(taskscout::testing::read_text(dir / "photos" / "cat.jpg"), "meow");
  taskscout::testing::write_text(dir / "file", "x");
  EXPECT_THROW(write_model_folder(dir / "file", m), UsageError);
}

TEST(ModelWriter, FailureLeavesNothing) {
  TempDir dir;
  const Encoder base = load_encoder(fixtures_dir() / "model" / "bert");
  ModelFolderContents m{base.config, base.parameters, {}, {}};
  m.heads["bert.embeddings.word_embeddings.weight"] = at::zeros({2});  // collides with the prefixed encoder
  EXPECT_THROW(write_model_folder(dir / "out", m), UsageError);
  m.heads.clear();
  m.encoder.erase("encoder.layer.1.output.dense.bias");
  EXPECT_THROW(write_model_folder(dir / "out", m), InputError);
  EXPECT_TRUE(fs::is_empty(dir.path()));

  // A failure while staging (here: the safetensors writer refuses an empty name, after
  // config.json is written) removes the staging folder.
  m = {base.config, base.parameters, {{"", at::zeros({2})}}, {}};
  EXPECT_ANY_THROW(write_model_folder(dir / "out", m));
  EXPECT_TRUE(fs::is_empty(dir.path()));
}
