// A program built against the installed library: scores a small problem whose answer is
// known, makes a registry, and ranks an ESM file for a target given as features. Prints
// what it found; exits non-zero on any mismatch.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <taskscout/io/safetensors.hpp>
#include <taskscout/taskscout.hpp>
#include <utility>

namespace ts = taskscout;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: consumer WORK_FOLDER\n");
    return 2;
  }
  const std::filesystem::path work = argv[1];
  // Two well-separated classes in the first coordinate.
  const std::int64_t n = 40, d = 3;
  ts::Array x(ts::DType::F32, {n, d});
  ts::Array y(ts::DType::I64, {n});
  for (std::int64_t i = 0; i < n; ++i) {
    y.mutable_values<std::int64_t>()[i] = i % 2;
    for (std::int64_t j = 0; j < d; ++j)
      x.mutable_values<float>()[i * d + j] = static_cast<float>(j == 0 ? 4.0 * (i % 2) : std::sin(1.0 + i * j));
  }
  ts::EstimationInput input;
  input.features = x;
  input.targets = ts::targets_from_array(y, ts::TaskChoice::Auto, "y");
  const ts::Scores scores = ts::score_methods(input, {"logme", "knn"}, {}, "consumer");
  const double knn = scores.scores.at(1).score;
  std::printf("taskscout %s: logme %.6f knn %.6f\n", ts::version(), scores.scores.at(0).score, knn);
  if (scores.scores.size() != 2 || knn != 1.0) return 1;  // separable: every neighbour agrees

  // Two ESMs ranked through the public rank_sources: one keeps the class signal, the
  // other removes it, and one file that is not an ESM is skipped with its reason.
  std::filesystem::create_directories(work / "esms");
  for (const auto& [name, keep] : {std::pair{"keep", 1.0f}, std::pair{"drop", 0.0f}}) {
    ts::Array w(ts::DType::F32, {d, d}), b(ts::DType::F32, {d});
    for (std::int64_t i = 0; i < d; ++i) w.mutable_values<float>()[i * d + i] = i == 0 ? keep : 1.0f;
    ts::write_safetensors(work / "esms" / (std::string(name) + ".safetensors"), {{"weight", w}, {"bias", b}},
                          {{"format", "taskscout-esm"}, {"version", "1"}});
  }
  std::FILE* junk = std::fopen((work / "esms" / "junk.safetensors").c_str(), "w");
  std::fputs("not safetensors", junk);
  std::fclose(junk);
  ts::RankRequest request;
  request.esm_files = {(work / "esms").string()};
  request.features = input;
  request.features_name = "consumer features";
  request.methods = {"esm-logme"};
  const ts::RankResult ranked = ts::rank_sources(request);
  const ts::Ranking& ranking = ranked.methods.at(0).ranking;
  std::printf("ranked:");
  for (const auto& s : ranking.ranked) std::printf(" %s %.4f", s.name.c_str(), s.score);
  std::printf("; skipped: %zu\n", ranking.skipped.size());
  if (ranking.ranked.size() != 2 || ranking.ranked[0].name != "keep" || ranking.skipped.size() != 1) return 1;

  // Errors cross the boundary as taskscout::Error with their message.
  try {
    ts::Registry::open(work / "no-registry");
    return 1;
  } catch (const ts::Error& e) {
    std::printf("error as expected: %s\n", e.what());
  }
  const ts::Registry registry = ts::Registry::create(work / "registry");
  std::printf("registry with %zu sources\n", registry.list().size());
  return registry.list().empty() ? 0 : 1;
}
