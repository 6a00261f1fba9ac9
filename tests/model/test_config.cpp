#include <gtest/gtest.h>

#include "taskscout/core/error.hpp"
#include "taskscout/model/config.hpp"
#include "test_support.hpp"

using namespace taskscout;

namespace {

const char* kBert = R"({"model_type": "bert", "vocab_size": 100, "hidden_size": 16, "num_hidden_layers": 2,
  "num_attention_heads": 4, "intermediate_size": 32, "max_position_embeddings": 40, "type_vocab_size": 2,
  "hidden_act": "gelu", "layer_norm_eps": 1e-12, "pad_token_id": 0})";

// The InputError message for parsing `text` as "dir/config.json"; it must name the file.
std::string error_of(const std::string& text) {
  try {
    parse_encoder_config(text, "dir/config.json");
  } catch (const InputError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("dir/config.json"), std::string::npos) << what;
    return what;
  }
  ADD_FAILURE() << "no InputError for " << text;
  return "";
}

std::string with(std::string text, const std::string& from, const std::string& to) {
  text.replace(text.find(from), from.size(), to);
  return text;
}

}  // namespace

TEST(EncoderConfig, ReadsBert) {
  const EncoderConfig c = parse_encoder_config(kBert, "c");
  EXPECT_EQ(c.architecture, Architecture::Bert);
  EXPECT_EQ(c.hidden_size, 16);
  EXPECT_EQ(c.num_layers, 2);
  EXPECT_EQ(c.head_dim(), 4);
  EXPECT_EQ(c.intermediate_size, 32);
  EXPECT_EQ(c.type_vocab_size, 2);
  EXPECT_EQ(c.activation, Activation::Gelu);
  EXPECT_FALSE(c.positions_after_padding());
}

TEST(EncoderConfig, RobertaDefaultsAndPositions) {
  const std::string text = with(with(kBert, "\"bert\"", "\"xlm-roberta\""), ", \"pad_token_id\": 0", "");
  const EncoderConfig c = parse_encoder_config(text, "c");
  EXPECT_EQ(c.architecture, Architecture::XlmRoberta);
  EXPECT_EQ(c.pad_token_id, 1);  // RoBERTa's <pad>
  EXPECT_TRUE(c.positions_after_padding());
}

TEST(EncoderConfig, ReadsDistilBertNames) {
  const EncoderConfig c = parse_encoder_config(
      R"({"model_type": "distilbert", "vocab_size": 50, "dim": 24, "n_layers": 3, "n_heads": 3,
          "hidden_dim": 48, "max_position_embeddings": 30, "activation": "relu"})",
      "c");
  EXPECT_EQ(c.architecture, Architecture::DistilBert);
  EXPECT_EQ(c.hidden_size, 24);
  EXPECT_EQ(c.num_layers, 3);
  EXPECT_EQ(c.num_heads, 3);
  EXPECT_EQ(c.intermediate_size, 48);
  EXPECT_EQ(c.type_vocab_size, 0);
  EXPECT_EQ(c.activation, Activation::Relu);
  EXPECT_DOUBLE_EQ(c.layer_norm_eps, 1e-12);
}

TEST(EncoderConfig, UnsupportedModelTypeNamesTheSupportedOnes) {
  const std::string e = error_of(with(kBert, "\"bert\"", "\"gpt2\""));
  EXPECT_NE(e.find("\"gpt2\""), std::string::npos) << e;
  EXPECT_NE(e.find("bert, roberta, xlm-roberta, distilbert"), std::string::npos) << e;
  EXPECT_NE(error_of(with(kBert, "\"model_type\": \"bert\",", "")).find("model_type"), std::string::npos);
}

TEST(EncoderConfig, BadFields) {
  EXPECT_NE(error_of(with(kBert, "\"hidden_size\": 16,", "")).find("\"hidden_size\" is missing"), std::string::npos);
  EXPECT_NE(error_of(with(kBert, "\"hidden_size\": 16", "\"hidden_size\": -16")).find("positive"), std::string::npos);
  EXPECT_NE(error_of(with(kBert, "\"hidden_size\": 16", "\"hidden_size\": 18")).find("divisible"), std::string::npos);
  EXPECT_NE(error_of(with(kBert, "\"gelu\"", "\"swish\"")).find("swish"), std::string::npos);
  EXPECT_NE(error_of(with(kBert, "\"pad_token_id\": 0", "\"pad_token_id\": 100")).find("pad_token_id"),
            std::string::npos);
  EXPECT_NE(error_of(with(kBert, "\"pad_token_id\": 0", "\"position_embedding_type\": \"relative_key\""))
                .find("relative_key"),
            std::string::npos);
  EXPECT_NE(error_of("{\"model_type\": ").find("not valid JSON"), std::string::npos);
  EXPECT_NE(error_of("[1]").find("not a JSON object"), std::string::npos);
}

TEST(EncoderConfig, MissingFileIsAnIoError) {
  taskscout::testing::TempDir dir;
  EXPECT_THROW(read_encoder_config(dir / "config.json"), IoError);
}

// The same nlohmann out_of_range that fuzz_dataset found in JSONL: a config number too large
// for a double is one InputError naming the file, not an internal error.
TEST(EncoderConfig, ANumberTooLargeForADoubleIsAnInputError) {
  const std::string what = error_of(with(kBert, "1e-12", "1e999"));
  EXPECT_NE(what.find("not valid JSON"), std::string::npos) << what;
}
