// model.safetensors.index.json, as the encoder loader and the base fingerprint read it.
#include <gtest/gtest.h>

#include "taskscout/core/error.hpp"
#include "taskscout/io/shard_index.hpp"
#include "test_support.hpp"

namespace taskscout {
namespace {

// The message of the InputError `json` raises, or "" when it parses.
std::string error_of(const std::string& json) {
  try {
    parse_shard_index(json, "index.json");
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(ShardIndex, MapsEachTensorToItsShard) {
  const auto shards = parse_shard_index(
      R"({"metadata": {"total_size": 8}, "weight_map": {"a": "model-1.safetensors", "b": "model-2.safetensors",
          "c": "model-1.safetensors"}})",
      "index.json");
  const std::map<std::string, std::string> expected = {
      {"a", "model-1.safetensors"}, {"b", "model-2.safetensors"}, {"c", "model-1.safetensors"}};
  EXPECT_EQ(shards, expected);
  EXPECT_TRUE(parse_shard_index(R"({"weight_map": {}})", "index.json").empty());
}

TEST(ShardIndex, RefusesWhatIsNotAnIndexNamingTheFile) {
  for (const auto& [json, part] : std::vector<std::pair<std::string, std::string>>{
           {"{", "not valid JSON"},
           {R"({"weight_map": 1e999})", "not valid JSON"},  // out_of_range, not parse_error
           {"[]", "no \"weight_map\""},
           {R"({"metadata": {}})", "no \"weight_map\""},
           {R"({"weight_map": ["a"]})", "no \"weight_map\""},
           {R"({"weight_map": {"a": 3}})", "weight_map[\"a\"] is not a file name"},
       }) {
    const std::string m = error_of(json);
    EXPECT_EQ(m.rfind("index.json: ", 0), 0u) << json << " → " << m;
    EXPECT_NE(m.find(part), std::string::npos) << json << " → " << m;
  }
}

// A shard outside the folder would read a file the model does not own.
TEST(ShardIndex, RefusesShardsThatAreNotPlainFileNames) {
  for (const std::string shard : {"", ".", "..", "../x.safetensors", "/etc/passwd", "sub/x.safetensors"}) {
    const std::string m = error_of(R"({"weight_map": {"w": ")" + shard + R"("}})");
    EXPECT_NE(m.find("shard \"" + shard + "\" (holding \"w\") is not a file name in the folder"), std::string::npos)
        << shard << " → " << m;
  }
}

TEST(ShardIndex, ReadsTheFile) {
  testing::TempDir dir;
  testing::write_text(dir / "model.safetensors.index.json", R"({"weight_map": {"w": "m.safetensors"}})");
  EXPECT_EQ(read_shard_index(dir / "model.safetensors.index.json").at("w"), "m.safetensors");
  EXPECT_THROW(read_shard_index(dir / "absent.json"), Error);
}

}  // namespace
}  // namespace taskscout
