#pragma once
// The weight files of a Hugging Face model folder: model.safetensors, or the shards that
// model.safetensors.index.json lists in its weight_map. Tensors are read on demand as
// views of the mapped files, so only what the encoder uses is ever touched.
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "taskscout/core/array.hpp"

namespace taskscout {

class SafetensorsFile;

class Checkpoint {
 public:
  // model.safetensors when present, else model.safetensors.index.json. Throws InputError
  // naming the folder when neither exists (saying so when only pytorch_model.bin does),
  // naming the index for a malformed index or a shard file that is missing, and naming
  // the shard for a tensor the index places in a shard that does not hold it.
  static Checkpoint open(const std::filesystem::path& folder);

  // The weight file (or index) errors should name.
  const std::string& source() const { return source_; }
  std::vector<std::string> names() const;
  bool contains(const std::string& name) const { return where_.count(name) != 0; }
  // The file holding `name`.
  const std::string& file_of(const std::string& name) const;
  // Throws InputError naming the source for an unknown name.
  Array get(const std::string& name) const;
  // Drops the tensor's pages from resident memory (SafetensorsFile::release), for readers
  // that stream a checkpoint one tensor at a time.
  void release(const std::string& name, std::size_t begin = 0, std::size_t end = SIZE_MAX) const;
  // Starts reading the tensor into the page cache (SafetensorsFile::prefetch).
  void prefetch(const std::string& name) const;

 private:
  std::string source_;
  std::map<std::string, std::shared_ptr<const SafetensorsFile>> where_;
};

}  // namespace taskscout
