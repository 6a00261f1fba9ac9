#include "taskscout/model/model_writer.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <random>
#include <set>

#include "taskscout/core/error.hpp"
#include "taskscout/core/tensor.hpp"
#include "taskscout/io/atomic_file.hpp"
#include "taskscout/io/safetensors.hpp"
#include "taskscout/model/parameter_names.hpp"

namespace fs = std::filesystem;

namespace taskscout {

namespace {

// ".<name>.<tag>-<random>" beside `target`, not yet existing.
fs::path sibling(const fs::path& target, const char* tag) {
  std::random_device rd;
  std::string name = target.filename().string();
  name.insert(0, 1, '.');
  name += '.';
  name += tag;
  name += '-';
  name += std::to_string(rd());
  return target.parent_path() / name;
}

bool replaceable(const fs::path& target) {
  return fs::is_empty(target) || fs::exists(target / "config.json") || fs::exists(target / "adapter_config.json");
}

}  // namespace

void StagedFolder::check_target(const fs::path& target) {
  std::error_code ec;
  if (fs::exists(target, ec) && (!fs::is_directory(target) || !replaceable(target)))
    throw UsageError(location(target.string()) +
                     "exists and is not a model folder taskscout wrote; choose another output folder or remove it");
}

StagedFolder::StagedFolder(fs::path target) : target_(std::move(target)) {
  check_target(target_);
  if (target_.filename().empty()) target_ = target_.parent_path();  // "out/" → "out"
  if (!target_.has_parent_path()) target_ = fs::path(".") / target_;
  std::error_code ec;
  fs::create_directories(target_.parent_path(), ec);
  if (ec) throw IoError(location(target_.parent_path().string()) + "cannot create the folder: " + ec.message());
  staging_ = sibling(target_, "tmp");
  if (!fs::create_directory(staging_, ec) || ec)
    throw IoError(location(target_.string()) + "cannot create a folder beside it: " + ec.message() +
                  "; check that the parent folder is writable");
}

StagedFolder::~StagedFolder() {
  if (committed_) return;
  std::error_code ec;
  fs::remove_all(staging_, ec);
}

void StagedFolder::commit() {
  std::error_code ec;
  if (fs::exists(target_, ec)) {
    // Move the old folder aside first: a rename cannot replace a non-empty folder.
    const fs::path old = sibling(target_, "old");
    fs::rename(target_, old, ec);
    if (ec) throw IoError(location(target_.string()) + "cannot replace the folder: " + ec.message());
    fs::rename(staging_, target_, ec);
    if (ec) {
      std::error_code ignored;
      fs::rename(old, target_, ignored);
      throw IoError(location(target_.string()) + "cannot replace the folder: " + ec.message());
    }
    fs::remove_all(old, ec);
  } else {
    fs::rename(staging_, target_, ec);
    if (ec) throw IoError(location(target_.string()) + "cannot create the folder: " + ec.message());
  }
  committed_ = true;
}

std::vector<std::string> tokenizer_file_names() {
  return {"tokenizer.json",
          "tokenizer_config.json",
          "special_tokens_map.json",
          "added_tokens.json",
          "vocab.txt",
          "vocab.json",
          "merges.txt",
          "sentencepiece.bpe.model",
          "spiece.model",
          "tokenizer.model"};
}

std::size_t copy_tokenizer_files(const fs::path& from, const fs::path& to) {
  std::size_t copied = 0;
  for (const std::string& name : tokenizer_file_names()) {
    if (!fs::is_regular_file(from / name)) continue;
    std::error_code ec;
    fs::copy_file(from / name, to / name, fs::copy_options::overwrite_existing, ec);
    if (ec) throw IoError(location((from / name).string()) + "cannot copy to " + to.string() + ": " + ec.message());
    ++copied;
  }
  return copied;
}

void write_tensors(const fs::path& file, const std::vector<std::pair<std::string, at::Tensor>>& tensors) {
  std::vector<std::pair<std::string, Array>> arrays;
  arrays.reserve(tensors.size());
  for (const auto& [name, t] : tensors) arrays.emplace_back(name, to_array(t.detach().to(at::kFloat).contiguous()));
  write_safetensors(file, arrays, {{"format", "pt"}});
}

void write_model_folder(const fs::path& folder, const ModelFolderContents& m) {
  check_parameters(m.encoder, m.config, "the model to write");
  StagedFolder staged(folder);
  write_model_files(staged.path(), m);
  staged.commit();
}

void write_model_files(const fs::path& folder, const ModelFolderContents& m) {
  check_parameters(m.encoder, m.config, "the model to write");
  const std::string prefix = m.heads.empty() ? "" : checkpoint_prefix(m.config.architecture);

  // Forward order first (as transformers saves), then anything else the map holds.
  std::vector<std::pair<std::string, at::Tensor>> tensors;
  std::set<std::string> written;
  for (const ParameterSpec& spec : parameter_specs(m.config))
    if (auto it = m.encoder.find(spec.name); it != m.encoder.end()) {
      tensors.emplace_back(prefix + spec.name, it->second);
      written.insert(spec.name);
    }
  for (const auto& [name, t] : m.encoder)
    if (!written.count(name)) tensors.emplace_back(prefix + name, t);
  std::set<std::string> names;
  for (const auto& [name, t] : tensors) names.insert(name);
  for (const auto& [name, t] : m.heads) {
    if (!names.insert(name).second)
      throw UsageError(fmt::format("the head tensor \"{}\" has the name of an encoder tensor", name));
    tensors.emplace_back(name, t);
  }

  write_file_atomically(folder / "config.json", encoder_config_json(m.config));
  write_tensors(folder / "model.safetensors", tensors);
  if (!m.tokenizer_from.empty()) copy_tokenizer_files(m.tokenizer_from, folder);
}

}  // namespace taskscout
