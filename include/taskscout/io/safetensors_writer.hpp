#pragma once
// A safetensors file written one tensor at a time, for outputs too large to hold at once
// (a merged model streamed tensor by tensor). The header is fixed up front from the
// declared names, dtypes and shapes, so each tensor's bytes go straight to disk in
// declaration order; the file appears atomically on commit (AtomicFile), with the layout
// write_safetensors gives (header padded with spaces to a multiple of 8 bytes).
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <future>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "taskscout/core/array.hpp"

namespace taskscout {

class AtomicFile;

struct TensorDeclaration {
  std::string name;
  DType dtype = DType::F32;
  std::vector<std::int64_t> shape;
};

class SafetensorsWriter {
 public:
  // Writes the header. UsageError naming the path for duplicate, empty or "__metadata__"
  // names; IoError when the file cannot be created.
  SafetensorsWriter(const std::filesystem::path& path, std::vector<TensorDeclaration> tensors,
                    const std::map<std::string, std::string>& metadata = {});
  ~SafetensorsWriter();  // without commit(), nothing is left behind (a write in flight is waited for)
  SafetensorsWriter(const SafetensorsWriter&) = delete;
  SafetensorsWriter& operator=(const SafetensorsWriter&) = delete;

  // The next declared tensor's bytes, whose writeback to disk starts at once
  // (AtomicFile::write_behind). Error (internal) for a name out of order, or an array whose
  // dtype or shape differs from the declaration.
  void write(const std::string& name, const Array& array);
  // As write, but returns at once: the bytes are copied to the file on a thread of its own
  // while the caller computes the next tensor (the array keeps its memory alive until
  // then). The next write, write_async or commit waits for it and rethrows its error.
  void write_async(const std::string& name, Array array);
  // Every declared tensor must have been written. IoError when the file cannot be completed.
  void commit();

 private:
  void check_next(const std::string& name, const Array& array) const;
  void append(const Array& array);  // its bytes, then their writeback started
  void wait();                      // for the write in flight, rethrowing its error

  std::unique_ptr<AtomicFile> file_;
  std::vector<TensorDeclaration> tensors_;
  std::size_t next_ = 0;
  std::string path_;
  std::future<void> pending_;  // write_async's copy in flight
};

}  // namespace taskscout
