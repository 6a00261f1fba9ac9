// Writes the binary seed inputs of the harnesses (fuzz/corpus/<harness>/) with taskscout's
// own writers, so the seeds are exactly what the project produces: .npy arrays, safetensors
// files, an ESM file and a registry archive. Text seeds (CSV, TSV, JSONL, config.json,
// tokenizer.json) are written by make_seeds.sh. Usage: make_seeds CORPUS_DIR
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "taskscout/core/array.hpp"
#include "taskscout/core/sha256.hpp"
#include "taskscout/io/npy.hpp"
#include "taskscout/io/safetensors.hpp"
#include "taskscout/registry/archive.hpp"
#include "taskscout/registry/registry.hpp"

using namespace taskscout;
namespace fs = std::filesystem;

namespace {

Array ramp(DType dtype, std::vector<std::int64_t> shape) {
  Array f(DType::F64, shape);
  auto v = f.mutable_values<double>();
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = 0.5 * static_cast<double>(i) - 1;
  return f.to(dtype);
}

void write_esm(const fs::path& path, std::int64_t d, const std::string& base) {
  Array w(DType::F32, {d, d}), b(DType::F32, {d});
  for (std::int64_t i = 0; i < d; ++i) w.mutable_values<float>()[i * d + i] = 1;
  b.mutable_values<float>()[0] = 0.5f;
  write_safetensors(path, {{"weight", w}, {"bias", b}},
                    {{"format", "taskscout-esm"}, {"version", "1"}, {"base_fingerprint", base}});
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_seeds CORPUS_DIR\n");
    return 2;
  }
  const fs::path out = argv[1];
  for (const char* d : {"npy", "safetensors", "esm", "archive"}) fs::create_directories(out / d);

  write_npy(out / "npy" / "f32_2x3.npy", ramp(DType::F32, {2, 3}));
  write_npy(out / "npy" / "f64_4.npy", ramp(DType::F64, {4}));
  write_npy(out / "npy" / "i64_2x2.npy", ramp(DType::I64, {2, 2}));
  write_npy(out / "npy" / "f32_scalar.npy", ramp(DType::F32, {}));

  write_safetensors(out / "safetensors" / "mixed.safetensors",
                    {{"a", ramp(DType::F32, {2, 2})}, {"b", ramp(DType::F64, {3})}, {"c", ramp(DType::I64, {1})}},
                    {{"format", "pt"}});
  write_safetensors(out / "safetensors" / "half.safetensors",
                    {{"h", ramp(DType::F16, {4})}, {"bf", ramp(DType::BF16, {2, 1})}, {"i", ramp(DType::I32, {2})}});
  write_safetensors(out / "safetensors" / "empty.safetensors", {});

  const std::string base = sha256_hex("base model");
  write_esm(out / "esm" / "esm_d3.safetensors", 3, base);
  write_esm(out / "esm" / "esm_d2_nobase.safetensors", 2, "");

  // A registry of two sources (an ESM each, one with a mean embedding), exported.
  const fs::path tmp = fs::temp_directory_path() / ("taskscout-seeds-" + std::to_string(::getpid()));
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  {
    Registry reg = Registry::create(tmp / "reg");
    for (int i = 0; i < 2; ++i) {
      const std::string name = i == 0 ? "sst2" : "trec";
      NewSource s;
      s.record.name = name;
      s.record.base_fingerprint = base;
      s.record.task = LabelKind::Classification;
      s.record.label_names = {"negative", "positive"};
      s.record.dataset_fingerprint = sha256_hex("dataset " + name);
      s.record.dataset_size = 100 + i;
      s.record.dev_metrics = {{"accuracy", 0.875}};
      s.record.provenance = {{"command", "make_seeds"}};
      write_esm(tmp / (name + ".esm.safetensors"), 2 + i, base);
      s.artifact_files["esm"] = tmp / (name + ".esm.safetensors");
      if (i == 0) {
        write_safetensors(tmp / "mean.safetensors", {{"mean", ramp(DType::F32, {2})}});
        s.artifact_files["mean_embedding"] = tmp / "mean.safetensors";
      }
      reg.add(s);
    }
    export_registry(reg, out / "archive" / "two_sources.tsar");
  }
  fs::remove_all(tmp);
  return 0;
}
