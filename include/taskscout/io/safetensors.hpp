#pragma once
// Safetensors files (https://github.com/huggingface/safetensors): an 8-byte little-endian
// header length N, N bytes of JSON header, then the tensor data. Opening maps the file and
// checks every claim of the header against the file before any tensor is read, so a
// lying header is an error, never an out-of-bounds read.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "taskscout/core/array.hpp"

namespace taskscout {

class MappedFile;

struct SafetensorsEntry {
  std::string name;
  std::string dtype;  // as written, e.g. "F32" or "U8"
  std::vector<std::int64_t> shape;
  std::size_t begin = 0, end = 0;  // byte range within the data section
};

class SafetensorsFile {
 public:
  // Throws IoError when the file cannot be read and InputError naming the file when the
  // header is not a JSON object, its length points past the end of the file, a tensor has
  // an unknown dtype or a negative dimension, its byte range does not match its shape or
  // lies outside the data, two tensors overlap, or __metadata__ is not a string map.
  explicit SafetensorsFile(const std::filesystem::path& path);

  const std::string& path() const;
  // Tensor names in the order of their data (the order they were written in).
  std::vector<std::string> names() const;
  const std::vector<SafetensorsEntry>& entries() const { return entries_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  bool contains(const std::string& name) const;
  const SafetensorsEntry& entry(const std::string& name) const;

  // The tensor as a read-only view of the mapped file (which it keeps alive). A tensor
  // whose data is not aligned to its element size (some writers do not pad) is copied.
  // Throws InputError listing the available names for an unknown name, and naming the
  // dtype for one taskscout cannot hold (F16, BF16, F32, F64, I32, I64 are supported).
  Array get(const std::string& name) const;
  // Drops the tensor's pages from the process's resident memory (MappedFile::release);
  // arrays already returned by get() stay valid. [begin, end) narrows it to those bytes of
  // the tensor, for readers that stream a tensor a chunk at a time.
  void release(const std::string& name, std::size_t begin = 0, std::size_t end = SIZE_MAX) const;
  // Starts reading the tensor's bytes into the page cache (MappedFile::prefetch).
  void prefetch(const std::string& name) const;

 private:
  std::shared_ptr<const MappedFile> file_;
  std::size_t data_start_ = 0;
  std::vector<SafetensorsEntry> entries_;
  std::map<std::string, std::size_t> index_;
  std::map<std::string, std::string> metadata_;
};

// Writes the tensors contiguously in the given order, with the header JSON padded with
// spaces to a multiple of 8 bytes (so every tensor stays 8-byte aligned when the tensors'
// sizes are multiples of 8). Atomic. Throws UsageError for duplicate or empty names.
void write_safetensors(const std::filesystem::path& path, const std::vector<std::pair<std::string, Array>>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

}  // namespace taskscout
