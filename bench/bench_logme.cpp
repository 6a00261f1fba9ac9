// Times taskscout's LogME on the cases written by bench/make_logme_data.py and measures
// this machine's float64 GEMM rate, printing one JSON object per line.
// Usage: bench_logme DATA_DIR REPEATS THREADS
#include <ATen/ATen.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench_support.hpp"
#include "taskscout/core/threads.hpp"
#include "taskscout/core/timer.hpp"
#include "taskscout/estimate/estimators.hpp"
#include "taskscout/io/npy.hpp"

using namespace taskscout;
using bench::median_seconds;

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: bench_logme DATA_DIR REPEATS THREADS\n");
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  const int repeats = std::stoi(argv[2]);
  set_thread_count(std::stoi(argv[3]));

  // Float64 GEMM peak through libtorch (OpenBLAS), the yardstick for LogME's Gram matrix.
  const at::Tensor a = at::randn({2048, 2048}, at::kDouble), b = at::randn({2048, 2048}, at::kDouble);
  at::mm(a, b);
  const double gemm = median_seconds(5, [&] { at::mm(a, b); });
  std::printf("%s\n", nlohmann::json{{"gemm_f64_gflops", 2.0 * 2048 * 2048 * 2048 / gemm / 1e9}}.dump().c_str());

  for (const char* name : {"n1000_d768_c2", "n10000_d768_c2", "n50000_d768_c4"}) {
    EstimationInput in;
    in.features = read_npy(dir / (std::string(name) + "_features.npy"));
    const Array label_array = read_npy(dir / (std::string(name) + "_labels.npy"));
    const auto labels = label_array.values<std::int64_t>();
    in.targets = Targets::from_class_labels({labels.begin(), labels.end()});
    double value = logme(in);  // warm-up
    const double seconds = median_seconds(repeats, [&] { value = logme(in); });
    const double n = static_cast<double>(in.features.rows()), d = static_cast<double>(in.features.cols());
    const double m = std::min(n, d), c = static_cast<double>(in.targets.num_classes);
    // Gram (symmetric rank-k update), Fᵀy, tridiagonalization, Qᵀ·rhs.
    const double flops = n * d * m + 2 * n * d * c + 4.0 / 3.0 * m * m * m + 2 * m * m * c;
    std::printf("%s\n", nlohmann::json{{"case", name},
                                       {"median_seconds", seconds},
                                       {"logme", value},
                                       {"flops", flops},
                                       {"gflops", flops / seconds / 1e9}}
                            .dump()
                            .c_str());
  }
  return 0;
}
