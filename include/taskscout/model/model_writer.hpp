#pragma once
// Writing Hugging Face model folders: config.json, model.safetensors (metadata format "pt",
// as transformers requires) and the tokenizer files of the base model, so that taskscout
// and transformers' from_pretrained both load the result. A folder is written whole or
// not at all: everything goes into a temporary sibling folder that is renamed into place.
#include <ATen/ATen.h>

#include <filesystem>
#include <string>
#include <vector>

#include "taskscout/model/config.hpp"
#include "taskscout/model/parameters.hpp"

namespace taskscout {

// A folder written in full beside its target and then renamed onto it. The target may
// not exist yet (its parent folders are created), or be an empty folder or an earlier
// output (a folder holding config.json or adapter_config.json), which is replaced only
// once the new folder is complete. Anything else is a UsageError: taskscout never
// replaces a folder it did not write.
class StagedFolder {
 public:
  explicit StagedFolder(std::filesystem::path target);
  ~StagedFolder();
  // The UsageError the constructor would throw for `target`, checked before long work.
  static void check_target(
      const std::filesystem::path& target);  // removes the staging folder unless commit() succeeded
  StagedFolder(const StagedFolder&) = delete;
  StagedFolder& operator=(const StagedFolder&) = delete;

  // Where to write the folder's files.
  const std::filesystem::path& path() const { return staging_; }
  const std::filesystem::path& target() const { return target_; }
  // Renames the staging folder onto the target. Throws IoError naming the target (the
  // target is then as it was).
  void commit();

 private:
  std::filesystem::path target_, staging_;
  bool committed_ = false;
};

// The files of a tokenizer in a model folder (tokenizer.json, vocab.txt, merges.txt, …).
std::vector<std::string> tokenizer_file_names();
// Copies those of them `from` holds into `to`; returns how many.
std::size_t copy_tokenizer_files(const std::filesystem::path& from, const std::filesystem::path& to);

// Writes tensors as float32 safetensors (metadata {"format": "pt"}), in the given order.
void write_tensors(const std::filesystem::path& file, const std::vector<std::pair<std::string, at::Tensor>>& tensors);

struct ModelFolderContents {
  EncoderConfig config;                  // written as config.json (encoder_config_json)
  ParameterMap encoder;                  // names without the architecture prefix
  ParameterMap heads;                    // task-head tensors by their full Hugging Face names ("classifier.weight")
  std::filesystem::path tokenizer_from;  // the folder whose tokenizer files are copied; empty: none
};

// Writes config.json, model.safetensors and the tokenizer files into `folder`, an existing
// folder (normally a StagedFolder's path()); the errors of write_model_folder.
void write_model_files(const std::filesystem::path& folder, const ModelFolderContents& contents);

// Writes `contents` as the Hugging Face model folder `folder` (see StagedFolder). With
// heads (a task model) the encoder's tensors carry the architecture prefix
// ("bert.embeddings…", checkpoint_prefix), as transformers' task models name them;
// without, they are written bare, as a base model (BertModel) is. Throws the InputError of
// check_parameters for an encoder map the config does not describe, UsageError for a head
// name that collides with an encoder name, and IoError when writing fails (leaving
// nothing behind).
void write_model_folder(const std::filesystem::path& folder, const ModelFolderContents& contents);

}  // namespace taskscout
