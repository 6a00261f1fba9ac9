#include "taskscout/registry/esm_check.hpp"

#include <fmt/format.h>

#include <cmath>

#include "taskscout/core/error.hpp"
#include "taskscout/core/sha256.hpp"
#include "taskscout/io/safetensors.hpp"

namespace taskscout {

EsmFileInfo check_esm_file(const std::filesystem::path& path, const std::string& expected_base) {
  const SafetensorsFile file(path);  // InputError naming the file when it is not safetensors
  const std::string where = location(path.string());
  auto fail = [&](const std::string& what) {
    return InputError(
        where + "not a taskscout ESM file: " + what +
        " (expected tensors weight [D, D] and bias [D], F32, F16 or BF16, with metadata format=taskscout-esm, "
        "version=1; `taskscout esm train` writes such files)");
  };
  const auto& meta = file.metadata();
  auto value = [&](const char* key) -> std::string {
    auto it = meta.find(key);
    return it == meta.end() ? std::string() : it->second;
  };
  if (value("format") != "taskscout-esm") throw fail(fmt::format("metadata format is \"{}\"", value("format")));
  if (value("version") != "1")
    throw fail(fmt::format("metadata version is \"{}\"; this taskscout reads version 1", value("version")));
  for (const char* name : {"weight", "bias"})
    if (!file.contains(name)) throw fail(fmt::format("it has no tensor \"{}\"", name));
  const auto& w = file.entry("weight");
  const auto& b = file.entry("bias");
  // Half-precision maps are accepted: half the bytes for every rank that streams them.
  auto storable = [](const std::string& t) { return t == "F32" || t == "F16" || t == "BF16"; };
  if (!storable(w.dtype) || !storable(b.dtype))
    throw fail(fmt::format("weight is {} and bias is {}, each must be F32, F16 or BF16", w.dtype, b.dtype));
  if (w.shape.size() != 2 || w.shape[0] != w.shape[1] || w.shape[0] == 0)
    throw fail(fmt::format("weight has shape {}, not a non-empty square [D, D]", shape_string(w.shape)));
  if (b.shape.size() != 1 || b.shape[0] != w.shape[0])
    throw fail(fmt::format("bias has shape {} but weight is {}", shape_string(b.shape), shape_string(w.shape)));

  EsmFileInfo info;
  info.dim = w.shape[0];
  info.base_fingerprint = value("base_fingerprint");
  if (!info.base_fingerprint.empty() && !is_sha256_hex(info.base_fingerprint))
    throw fail("metadata base_fingerprint is not 64 lowercase hex digits");
  if (!expected_base.empty() && !info.base_fingerprint.empty() && info.base_fingerprint != expected_base)
    throw InputError(where + fmt::format("the ESM was trained for base model {}, but the base given has fingerprint "
                                         "{}; register it with the base it was trained on",
                                         info.base_fingerprint, expected_base));
  for (const char* name : {"weight", "bias"}) {
    const Array a = file.get(name).to(DType::F32);  // half values decode exactly, infinities included
    const auto v = a.values<float>();
    for (std::size_t i = 0; i < v.size(); ++i)
      if (!std::isfinite(v[i]))
        throw InputError(where +
                         fmt::format("the ESM's {} holds a non-finite value at flat index {}; retrain it", name, i));
  }
  return info;
}

}  // namespace taskscout
