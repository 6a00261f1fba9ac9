#include "taskscout/io/shard_index.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "taskscout/core/error.hpp"
#include "taskscout/io/json_error.hpp"
#include "taskscout/io/mapped_file.hpp"

namespace taskscout {

std::map<std::string, std::string> parse_shard_index(std::string_view text, const std::string& source) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {  // parse_error, or out_of_range for a number like 1e999
    throw InputError(location(source) + "not valid JSON: " + json_error_text(e));
  }
  if (!j.is_object() || !j.contains("weight_map") || !j["weight_map"].is_object())
    throw InputError(location(source) + "no \"weight_map\" object mapping tensor names to shard files");
  std::map<std::string, std::string> shards;
  for (const auto& [name, file_json] : j["weight_map"].items()) {
    if (!file_json.is_string())
      throw InputError(location(source) + fmt::format("weight_map[\"{}\"] is not a file name", name));
    std::string file = file_json.get<std::string>();
    // A shard outside the folder ("../x", "/etc/x") would read a file the model does not own.
    if (file.empty() || file == "." || file == ".." || file.find('/') != std::string::npos)
      throw InputError(location(source) +
                       fmt::format("shard \"{}\" (holding \"{}\") is not a file name in the folder", file, name));
    shards.emplace(name, std::move(file));
  }
  return shards;
}

std::map<std::string, std::string> read_shard_index(const std::filesystem::path& index) {
  return parse_shard_index(MappedFile(index).text(), index.string());
}

}  // namespace taskscout
