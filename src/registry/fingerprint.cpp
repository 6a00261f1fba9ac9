#include "taskscout/registry/fingerprint.hpp"

#include <fmt/format.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "taskscout/core/error.hpp"
#include "taskscout/core/sha256.hpp"

namespace taskscout {

namespace fs = std::filesystem;

namespace {

// The weight files the encoder loader reads (model/checkpoint.hpp), in a fixed order.
std::vector<std::string> weight_files(const fs::path& folder) {
  std::error_code ec;
  if (fs::is_regular_file(folder / "model.safetensors", ec)) return {"model.safetensors"};
  const fs::path index = folder / "model.safetensors.index.json";
  if (!fs::is_regular_file(index, ec))
    throw InputError(location(folder.string()) +
                     "no model.safetensors or model.safetensors.index.json: the base model's weights are needed to "
                     "fingerprint it (convert pytorch_model.bin to safetensors)");
  std::ifstream in(index);
  std::stringstream text;
  text << in.rdbuf();
  const auto j = nlohmann::json::parse(text.str(), nullptr, false);
  if (j.is_discarded() || !j.contains("weight_map") || !j["weight_map"].is_object())
    throw InputError(location(index.string()) + "not a safetensors index: expected an object with a \"weight_map\"");
  std::set<std::string> shards;
  for (const auto& [name, file] : j["weight_map"].items()) {
    if (!file.is_string() || file.get<std::string>().find('/') != std::string::npos)
      throw InputError(location(index.string()) + fmt::format("weight_map entry \"{}\" is not a file name", name));
    shards.insert(file.get<std::string>());
  }
  std::vector<std::string> out{"model.safetensors.index.json"};
  out.insert(out.end(), shards.begin(), shards.end());
  return out;
}

void put_field(Sha256& h, std::string_view text) {
  const std::uint64_t n = text.size();
  for (int i = 0; i < 8; ++i) {
    const auto b = static_cast<unsigned char>(n >> (8 * i));
    h.update(&b, 1);
  }
  h.update(text);
}

}  // namespace

std::string base_model_fingerprint(const fs::path& folder) {
  std::error_code ec;
  if (!fs::is_regular_file(folder / "config.json", ec))
    throw InputError(location(folder.string()) + "not a Hugging Face model folder: it has no config.json");
  std::vector<std::string> files{"config.json"};
  for (auto& f : weight_files(folder)) files.push_back(std::move(f));
  // The manifest: one line per file, "name size sha256".
  std::string manifest = "taskscout-base-fingerprint-v1\n";
  for (const auto& name : files) {
    const fs::path p = folder / name;
    const auto size = fs::file_size(p, ec);
    if (ec) throw InputError(location(p.string()) + "a weight file the model folder lists is missing: " + ec.message());
    manifest += fmt::format("{} {} {}\n", name, size, sha256_file_hex(p));
  }
  return sha256_hex(manifest);
}

std::string dataset_fingerprint(const Dataset& d) {
  // Length-prefixed fields, so no text can imitate a boundary.
  Sha256 h;
  put_field(h, "taskscout-dataset-fingerprint-v1");
  put_field(h, d.kind == LabelKind::Classification ? "classification" : "regression");
  put_field(h, std::to_string(d.size()));
  for (std::size_t i = 0; i < d.size(); ++i) {
    put_field(h, i < d.texts.size() ? d.texts[i] : "");
    put_field(h, i < d.text_pairs.size() ? d.text_pairs[i] : "");
    if (i < d.label_ids.size())
      put_field(h, d.label_names.at(static_cast<std::size_t>(d.label_ids[i])));
    else if (i < d.values.size())
      put_field(h, fmt::format("{}", d.values[i]));
    else
      put_field(h, "");
  }
  return h.finish_hex();
}

}  // namespace taskscout
