// ESM-LogME benchmark (issue 5), printing one JSON object per line.
//   bench_esm make-esms DIR COUNT DIM SEED
//       writes COUNT synthetic ESM files (W = I + 0.5·G/√D, b = 0.1·g, G, g Gaussian)
//   bench_esm per-source DATA_DIR ESM_DIR REPEATS THREADS
//       for the targets n1000_d768_c2 and n10000_d768_c2 of bench/make_logme_data.py:
//       the one-off target factorization, the median time of one source's score (BLAS on
//       all threads), and the throughput of score_sources over every ESM in ESM_DIR
//       (one source per worker), with the float64 GEMM rate measured in the same run.
//   bench_esm scale-cost TARGET.npy LABELS REPEATS ESM_FILE…
//       for the scale benchmark (issue 13, bench/scale/run_rank_scale.sh): on that target,
//       the median time of one source's score with BLAS on 1 and on 2 threads, and of
//       load_esm of each file (warm page cache: the decode cost, e.g. F16 → F32).
#include <ATen/ATen.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench_support.hpp"
#include "taskscout/core/lapack.hpp"
#include "taskscout/core/tensor.hpp"
#include "taskscout/core/threads.hpp"
#include "taskscout/core/timer.hpp"
#include "taskscout/esm/esm.hpp"
#include "taskscout/io/npy.hpp"
#include "taskscout/io/safetensors.hpp"
#include "taskscout/select/esm_logme.hpp"
#include "taskscout/select/ranking.hpp"
#include "taskscout/select/targets.hpp"

using namespace taskscout;
using bench::median_seconds;
namespace fs = std::filesystem;

namespace {

void print(const nlohmann::json& j) { std::printf("%s\n", j.dump().c_str()), std::fflush(stdout); }

std::vector<fs::path> esm_files(const fs::path& dir) {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".safetensors") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}

int make_esms(const fs::path& dir, int count, std::int64_t d, std::uint64_t seed) {
  fs::create_directories(dir);
  at::manual_seed(seed);
  for (int i = 0; i < count; ++i) {
    Esm esm;
    esm.weight = to_array((at::eye(d) + 0.5 * at::randn({d, d}) / std::sqrt(static_cast<double>(d))).contiguous());
    esm.bias = to_array((0.1 * at::randn({d})).contiguous());
    esm.metadata = {{"base_fingerprint", "bench"}};
    char name[32];
    std::snprintf(name, sizeof name, "esm_%05d.safetensors", i);
    save_esm(dir / name, esm);
  }
  return 0;
}

int per_source(const fs::path& data, const fs::path& esm_dir, int repeats, int threads) {
  set_thread_count(threads);
  lapack::set_blas_threads(threads);
  const at::Tensor a = at::randn({2048, 2048}, at::kDouble), b = at::randn({2048, 2048}, at::kDouble);
  at::mm(a, b);
  const double gemm = median_seconds(5, [&] { at::mm(a, b); });
  print({{"gemm_f64_gflops", 2.0 * 2048 * 2048 * 2048 / gemm / 1e9}});

  const std::vector<fs::path> files = esm_files(esm_dir);
  std::vector<Esm> esms;
  for (const auto& f : files) esms.push_back(load_esm(f));
  for (const char* name : {"n1000_d768_c2", "n10000_d768_c2"}) {
    EstimationInput in;
    in.features = read_npy(data / (std::string(name) + "_features.npy"));
    const Array label_array = read_npy(data / (std::string(name) + "_labels.npy"));
    const auto labels = label_array.values<std::int64_t>();
    in.targets = Targets::from_class_labels({labels.begin(), labels.end()});

    Stopwatch factor_watch;
    const EsmLogmeTarget target(in, name);
    const double factor_seconds = factor_watch.seconds();
    std::vector<double> scores;
    for (const auto& esm : esms) scores.push_back(target.score(esm));  // warm-up, and the values
    const double one = median_seconds(repeats, [&] { target.score(esms[0]); });
    // Throughput: every ESM file loaded and scored by the worker pool, as `rank` does.
    std::vector<std::string> names;
    for (const auto& f : files) names.push_back(f.filename().string());
    std::vector<SourceScore> pooled;
    const double pool_seconds = median_seconds(std::max(1, repeats / 3), [&] {
      pooled = score_sources(names, [&](std::size_t i) { return target.score(load_esm(files[i]), names[i]); });
    });
    for (const auto& s : pooled)
      if (!s.ok()) std::fprintf(stderr, "skipped %s: %s\n", s.name.c_str(), s.skipped.c_str());
    print({{"case", name},
           {"n", in.features.rows()},
           {"d", in.features.cols()},
           {"factor_seconds", factor_seconds},
           {"source_seconds", one},
           {"pooled_seconds_per_source", pool_seconds / static_cast<double>(files.size())},
           {"sources", files.size()},
           {"flops_per_source", target.flops_per_source()},
           {"scores", scores}});
  }
  return 0;
}

int scale_cost(const fs::path& features, const std::string& labels, int repeats, const std::vector<fs::path>& files) {
  EstimationInput in;
  in.features = read_npy(features);
  in.targets = load_targets(labels, "label", TaskChoice::Auto);
  const EsmLogmeTarget target(in, features.string());
  const Esm esm = load_esm(files.at(0));
  for (int threads : {1, 2}) {
    set_thread_count(threads);
    lapack::set_blas_threads(threads);
    target.score(esm);  // warm-up
    print({{"threads", threads},
           {"n", in.features.rows()},
           {"d", in.features.cols()},
           {"source_seconds", median_seconds(repeats, [&] { target.score(esm); })},
           {"flops_per_source", target.flops_per_source()}});
  }
  for (const auto& f : files) {
    load_esm(f);  // into the page cache
    const SafetensorsFile st(f);
    print({{"file", f.string()},
           {"dtype", st.entry("weight").dtype},
           {"bytes", fs::file_size(f)},
           {"load_seconds", median_seconds(repeats, [&] { load_esm(f); })}});
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  try {
    if (mode == "make-esms" && argc == 6)
      return make_esms(argv[2], std::stoi(argv[3]), std::stoll(argv[4]), std::stoull(argv[5]));
    if (mode == "per-source" && argc == 6) return per_source(argv[2], argv[3], std::stoi(argv[4]), std::stoi(argv[5]));
    if (mode == "scale-cost" && argc >= 6)
      return scale_cost(argv[2], argv[3], std::stoi(argv[4]), std::vector<fs::path>(argv + 5, argv + argc));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  std::fprintf(stderr,
               "usage: bench_esm make-esms DIR COUNT DIM SEED\n"
               "       bench_esm per-source DATA_DIR ESM_DIR REPEATS THREADS\n"
               "       bench_esm scale-cost TARGET.npy LABELS REPEATS ESM_FILE...\n");
  return 2;
}
