// The ESM file format (see esm.hpp), its validation and the application of a map.
#include <fmt/format.h>

#include <cmath>

#include "taskscout/core/error.hpp"
#include "taskscout/core/sha256.hpp"
#include "taskscout/core/tensor.hpp"
#include "taskscout/esm/esm.hpp"
#include "taskscout/io/safetensors.hpp"

namespace taskscout {

namespace {

// Index of the first non-finite value, or −1.
template <class T>
std::int64_t first_non_finite(const Array& a) {
  const auto v = a.values<T>();
  for (std::size_t i = 0; i < v.size(); ++i)
    if (!std::isfinite(v[i])) return static_cast<std::int64_t>(i);
  return -1;
}

void check_finite(const Array& a, const std::string& what, const std::string& tensor) {
  const std::int64_t bad = a.dtype() == DType::F32 ? first_non_finite<float>(a) : first_non_finite<double>(a);
  if (bad < 0) return;
  const std::int64_t cols = a.ndim() == 2 ? a.shape()[1] : 1;
  const std::string where = a.ndim() == 2 ? fmt::format("[{}, {}]", bad / cols, bad % cols) : fmt::format("[{}]", bad);
  throw InputError(
      fmt::format("{}: ESM {} has a non-finite value at {}; the map is unusable, retrain it "
                  "(taskscout esm train)",
                  what, tensor, where));
}

}  // namespace

std::string Esm::base_fingerprint() const {
  auto it = metadata.find("base_fingerprint");
  return it == metadata.end() ? std::string() : it->second;
}

void validate_esm(const Esm& esm, const std::string& what) {
  auto it = esm.metadata.find("format");
  if (it != esm.metadata.end() && it->second != kEsmFormat)
    throw InputError(
        fmt::format("{}: metadata format is '{}', not '{}'; this is not an ESM file", what, it->second, kEsmFormat));
  it = esm.metadata.find("version");
  if (it != esm.metadata.end() && it->second != kEsmVersion)
    throw InputError(
        fmt::format("{}: ESM format version '{}' is not supported (this taskscout reads version {}); "
                    "retrain the map with this version",
                    what, it->second, kEsmVersion));
  for (const auto* a : {&esm.weight, &esm.bias})
    if (a->dtype() != DType::F32 && a->dtype() != DType::F64)
      throw InputError(fmt::format("{}: ESM {} is {}, expected F32", what, a == &esm.weight ? "weight" : "bias",
                                   dtype_name(a->dtype())));
  if (esm.bias.ndim() != 1 || esm.bias.numel() < 1)
    throw InputError(fmt::format("{}: ESM bias has shape {}, expected [D]", what, shape_string(esm.bias.shape())));
  const std::int64_t d = esm.bias.numel();
  if (esm.weight.ndim() != 2 || esm.weight.shape()[0] != d || esm.weight.shape()[1] != d)
    throw InputError(fmt::format("{}: ESM weight has shape {}, expected [{}, {}] to match the bias [{}]", what,
                                 shape_string(esm.weight.shape()), d, d, d));
  check_finite(esm.weight, what, "weight");
  check_finite(esm.bias, what, "bias");
}

Esm load_esm(const std::filesystem::path& path) {
  const SafetensorsFile file(path);
  const std::string what = path.string();
  Esm esm;
  esm.metadata = file.metadata();
  auto it = esm.metadata.find("format");
  if (it == esm.metadata.end())
    throw InputError(
        fmt::format("{}: no \"format\": \"{}\" in the safetensors metadata; this is not an ESM file "
                    "(write one with taskscout esm train)",
                    what, kEsmFormat));
  for (const char* name : {"weight", "bias"})
    if (!file.contains(name))
      throw InputError(
          fmt::format("{}: ESM file has no tensor '{}'; it needs 'weight' [D, D] and 'bias' [D]", what, name));
  esm.weight = file.get("weight");
  esm.bias = file.get("bias");
  validate_esm(esm, what);
  return esm;
}

void save_esm(const std::filesystem::path& path, const Esm& esm) {
  validate_esm(esm, path.string());
  // The rule `register` applies when it reads the file (registry/esm_check.cpp), applied
  // when writing too, so no ESM is written that register would refuse.
  const std::string base = esm.base_fingerprint();
  if (!base.empty() && !is_sha256_hex(base))
    throw InputError(fmt::format("{}: the ESM's base fingerprint is not 64 lowercase hex digits; {}", path.string(),
                                 kBaseFingerprintHelp));
  std::map<std::string, std::string> metadata = esm.metadata;
  metadata["format"] = kEsmFormat;
  metadata["version"] = kEsmVersion;
  write_safetensors(path, {{"weight", esm.weight.to(DType::F32)}, {"bias", esm.bias.to(DType::F32)}}, metadata);
}

at::Tensor apply_esm(const Esm& esm, const at::Tensor& x) {
  if (x.dim() != 2 || x.size(1) != esm.dim())
    throw InputError(
        fmt::format("embeddings with {} columns do not match the ESM's dimension {}; they must come "
                    "from the ESM's base model",
                    x.dim() == 2 ? x.size(1) : x.numel(), esm.dim()));
  const at::ScalarType type = x.scalar_type() == at::kDouble ? at::kDouble : at::kFloat;
  return at::addmm(as_tensor(esm.bias).to(type), x.to(type), as_tensor(esm.weight).to(type).t());
}

}  // namespace taskscout
