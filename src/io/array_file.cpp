#include "taskscout/io/array_file.hpp"

#include <fmt/format.h>

#include "taskscout/core/error.hpp"
#include "taskscout/io/npy.hpp"
#include "taskscout/io/output_guard.hpp"
#include "taskscout/io/safetensors.hpp"

namespace taskscout {

namespace {

constexpr std::string_view kForms = "use file.npy, file.safetensors or file.safetensors:NAME";

}  // namespace

Array load_array(const std::string& spec) {
  if (spec.ends_with(".npy")) return read_npy(spec);
  // The last ".safetensors:" splits file and name, so paths with colons still work.
  std::string path = spec, name;
  if (!spec.ends_with(".safetensors")) {
    const auto pos = spec.rfind(".safetensors:");
    if (pos == std::string::npos) throw UsageError(fmt::format("cannot load an array from \"{}\": {}", spec, kForms));
    path = spec.substr(0, pos + 12);
    name = spec.substr(pos + 13);
  }
  const SafetensorsFile file(path);
  if (!name.empty()) return file.get(name);
  const auto names = file.names();
  if (names.size() != 1) {
    std::string list;
    for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
    throw InputError(location(path) + fmt::format("holds {} tensors ({}); choose one as {}:NAME", names.size(),
                                                  names.empty() ? "none" : list, path));
  }
  return file.get(names[0]);
}

void save_array(const std::filesystem::path& path, const Array& array, const std::string& tensor_name) {
  const std::string ext = path.extension().string();
  if (ext == ".npy") return write_npy(path, array);
  // The mark lets a later run replace this file and nothing else (output_guard.hpp).
  if (ext == ".safetensors") return write_safetensors(path, {{tensor_name, array}}, {{"format", kArrayFormat}});
  throw UsageError(
      fmt::format("cannot save an array as \"{}\": the file name must end in .npy or .safetensors", path.string()));
}

}  // namespace taskscout
