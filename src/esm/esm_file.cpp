// The ESM file format (see esm.hpp), its validation and the application of a map.
#include <fmt/format.h>

#include <cmath>

#include "taskscout/core/error.hpp"
#include "taskscout/core/sha256.hpp"
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

bool is_half(DType t) { return t == DType::F16 || t == DType::BF16; }

void check_finite(const Array& a, const std::string& what, const std::string& tensor) {
  // Half values decode exactly to float32 (infinities and NaNs included), so checking the
  // decoded copy checks the stored values.
  const std::int64_t bad = is_half(a.dtype())        ? first_non_finite<float>(a.to(DType::F32))
                           : a.dtype() == DType::F32 ? first_non_finite<float>(a)
                                                     : first_non_finite<double>(a);
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
    if (a->dtype() != DType::F32 && a->dtype() != DType::F64 && !is_half(a->dtype()))
      throw InputError(fmt::format("{}: ESM {} is {}, expected F32 (or F16, BF16, F64)", what,
                                   a == &esm.weight ? "weight" : "bias", dtype_name(a->dtype())));
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
  // A half-precision file (half the bytes to store and read) is decoded once here, so every
  // user of the map computes with float32 as for an F32 file; F32 stays memory-mapped.
  if (is_half(esm.weight.dtype())) esm.weight = esm.weight.to(DType::F32);
  if (is_half(esm.bias.dtype())) esm.bias = esm.bias.to(DType::F32);
  validate_esm(esm, what);
  return esm;
}

void save_esm(const std::filesystem::path& path, const Esm& esm, DType dtype) {
  if (dtype != DType::F32 && dtype != DType::F16 && dtype != DType::BF16)
    throw UsageError(fmt::format("an ESM is stored as F32, F16 or BF16, not {}", dtype_name(dtype)));
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
  const Array weight = esm.weight.to(dtype), bias = esm.bias.to(dtype);
  if (dtype != DType::F32) {
    // A value beyond the half format's range rounds to infinity: refuse rather than write a
    // file every reader would reject.
    for (const auto& [stored, tensor] : {std::pair{&weight, "weight"}, std::pair{&bias, "bias"}}) {
      const Array decoded = stored->to(DType::F32);
      if (first_non_finite<float>(decoded) >= 0)
        throw InputError(
            fmt::format("{}: the ESM's {} holds values beyond the range of {} (largest finite: {}); "
                        "store it as F32",
                        path.string(), tensor, dtype_name(dtype), dtype == DType::F16 ? "65504" : "3.4e38"));
    }
  }
  write_safetensors(path, {{"weight", weight}, {"bias", bias}}, metadata);
}

}  // namespace taskscout
