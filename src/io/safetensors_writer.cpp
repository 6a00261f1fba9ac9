#include "taskscout/io/safetensors_writer.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <set>

#include "taskscout/core/error.hpp"
#include "taskscout/io/atomic_file.hpp"

namespace taskscout {

SafetensorsWriter::SafetensorsWriter(const std::filesystem::path& path, std::vector<TensorDeclaration> tensors,
                                     const std::map<std::string, std::string>& metadata)
    : tensors_(std::move(tensors)), path_(path.string()) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::set<std::string_view> seen;
  std::size_t offset = 0;
  for (const TensorDeclaration& t : tensors_) {
    if (t.name.empty() || t.name == "__metadata__" || !seen.insert(t.name).second)
      throw UsageError(location(path_) +
                       fmt::format("cannot write a tensor named \"{}\": names must be unique, non-empty and not "
                                   "__metadata__",
                                   t.name));
    std::size_t bytes = dtype_size(t.dtype);
    for (std::int64_t d : t.shape) bytes *= static_cast<std::size_t>(d);
    header[t.name] = {{"dtype", dtype_name(t.dtype)}, {"shape", t.shape}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string text;
  try {
    text = header.dump();
  } catch (const nlohmann::json::type_error&) {
    throw UsageError(location(path_) + "tensor names and metadata must be valid UTF-8");
  }
  text.append((8 - text.size() % 8) % 8, ' ');
  char len[8];
  for (int i = 0; i < 8; ++i) len[i] = static_cast<char>((static_cast<std::uint64_t>(text.size()) >> (8 * i)) & 0xff);
  file_ = std::make_unique<AtomicFile>(path);
  file_->write(len, 8);
  file_->write(text);
}

SafetensorsWriter::~SafetensorsWriter() {
  if (pending_.valid()) pending_.wait();  // its error, if any, goes with the uncommitted file
}

void SafetensorsWriter::wait() {
  if (pending_.valid()) pending_.get();
}

void SafetensorsWriter::check_next(const std::string& name, const Array& array) const {
  if (next_ >= tensors_.size() || tensors_[next_].name != name)
    throw Error(fmt::format("internal: {}: tensor \"{}\" written out of its declared order", path_, name));
  const TensorDeclaration& t = tensors_[next_];
  if (array.dtype() != t.dtype || array.shape() != t.shape)
    throw Error(fmt::format("internal: {}: tensor \"{}\" is {} {}, declared {} {}", path_, name,
                            dtype_name(array.dtype()), shape_string(array.shape()), dtype_name(t.dtype),
                            shape_string(t.shape)));
}

void SafetensorsWriter::append(const Array& array) {
  file_->write(array.bytes(), array.nbytes());
  file_->write_behind();
}

void SafetensorsWriter::write(const std::string& name, const Array& array) {
  wait();
  check_next(name, array);
  append(array);
  ++next_;
}

void SafetensorsWriter::write_async(const std::string& name, Array array) {
  wait();
  check_next(name, array);
  ++next_;
  pending_ = std::async(std::launch::async, [this, array = std::move(array)] { append(array); });
}

void SafetensorsWriter::commit() {
  wait();
  if (next_ != tensors_.size())
    throw Error(fmt::format("internal: {}: {} of {} declared tensors written", path_, next_, tensors_.size()));
  file_->commit();
}

}  // namespace taskscout
