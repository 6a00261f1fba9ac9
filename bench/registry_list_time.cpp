// In-process timing of the registry's read path, without the taskscout binary's start-up
// (which loads libtorch): Registry::open + list(), and get(name), median of R runs.
// Built by bench/run_registry.sh against the build's static libraries (torch-free).
// Usage: registry_list_time REGISTRY [R=9] [NAME]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "taskscout/registry/registry.hpp"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: registry_list_time REGISTRY [R=9] [NAME]\n");
    return 2;
  }
  const int repeats = argc > 2 ? std::stoi(argv[2]) : 9;
  const std::string name = argc > 3 ? argv[3] : "";
  using clock = std::chrono::steady_clock;
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  std::vector<double> list_s, get_s;
  std::size_t count = 0;
  for (int r = 0; r < repeats; ++r) {
    const auto t0 = clock::now();
    const taskscout::Registry reg = taskscout::Registry::open(argv[1]);
    const auto sources = reg.list();
    const auto t1 = clock::now();
    count = sources.size();
    list_s.push_back(std::chrono::duration<double>(t1 - t0).count());
    if (!name.empty()) {
      const auto t2 = clock::now();
      (void)reg.get(name);
      get_s.push_back(std::chrono::duration<double>(clock::now() - t2).count());
    }
  }
  std::printf("{\"sources\": %zu, \"open_and_list_seconds\": %.4f, \"get_seconds\": %.6f}\n", count, median(list_s),
              get_s.empty() ? 0.0 : median(get_s));
  return 0;
}
