#pragma once
// model.safetensors.index.json: how a Hugging Face model split into shards says which file
// holds each tensor ({"weight_map": {"tensor": "model-00001-of-00002.safetensors", …}}).
// One reader for the encoder loader (model/checkpoint.hpp) and the base fingerprint
// (io/model_fingerprint.hpp), so both accept and refuse the same files.
#include <filesystem>
#include <map>
#include <string>
#include <string_view>

namespace taskscout {

// Tensor name → shard file name. InputError naming `source` for malformed JSON, no
// "weight_map" object, an entry that is not a string, or a shard that is not a plain file
// name in the folder (empty, ".", "..", or with a '/').
std::map<std::string, std::string> parse_shard_index(std::string_view json, const std::string& source);
// parse_shard_index of the file.
std::map<std::string, std::string> read_shard_index(const std::filesystem::path& index);

}  // namespace taskscout
