// taskscout synth: writes a synthetic pool (see eval/synthetic_pool.hpp) as array files.
#include <fmt/format.h>

#include <filesystem>
#include <iostream>

#include "command.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/eval/synthetic_pool.hpp"
#include "taskscout/io/array_file.hpp"
#include "taskscout/io/atomic_file.hpp"

namespace taskscout::cli {
namespace {

struct SynthOptions {
  CommonOptions common;
  std::string out;
  SyntheticPoolSpec spec;
};

void run(SynthOptions o) {
  apply_common_options(o.common);
  o.spec.seed = o.common.seed;
  const SyntheticPool pool = make_synthetic_pool(o.spec);
  namespace fs = std::filesystem;
  const fs::path dir = o.out;
  std::error_code ec;
  for (const char* sub : {"features", "probs", "labels"}) {
    fs::create_directories(dir / sub, ec);
    if (ec) throw IoError(location((dir / sub).string()) + "cannot create the folder: " + ec.message());
  }
  for (const auto& s : pool.sources) {
    save_array(dir / "features" / (s.name + ".npy"), s.features);
    save_array(dir / "probs" / (s.name + ".npy"), s.probs);
  }
  for (const auto& t : pool.targets) save_array(dir / "labels" / (t.name + ".npy"), t.labels);
  // The known structure, one row per (target, source), for judging rankings.
  ResultTable table{{"target", "source", "shared_factors", "target_factors", "source_noise"}, {}};
  for (const auto& t : pool.targets)
    for (const auto& s : pool.sources)
      table.rows.push_back({t.name, s.name, std::to_string(shared_factors(s, t)), std::to_string(t.factors.size()),
                            fmt::format("{:.3f}", s.noise)});
  write_file_atomically(dir / "pool.csv", format_table(table, /*csv=*/true));
  std::cerr << fmt::format("wrote {} sources and {} targets ({} examples, {} dims) to {}\n", pool.sources.size(),
                           pool.targets.size(), o.spec.examples, o.spec.dim, dir.string());
}

}  // namespace

void add_synth_command(CLI::App& app) {
  auto o = std::make_shared<SynthOptions>();
  CLI::App* cmd = app.add_subcommand("synth", "Write a synthetic pool of sources and targets with known structure");
  cmd->footer(
      "Example:\n  taskscout synth --out demo --sources 10 --targets 3 --seed 1\n"
      "Writes features/SOURCE.npy (N×D float32), probs/SOURCE.npy (a source model's softmax outputs),\n"
      "labels/TARGET.npy (int64 class ids) and pool.csv (which latent factors each pair shares).");
  cmd->add_option("--out", o->out, "Output folder")->required();
  cmd->add_option("--sources", o->spec.sources, "Number of sources")->capture_default_str();
  cmd->add_option("--targets", o->spec.targets, "Number of targets")->capture_default_str();
  cmd->add_option("--examples", o->spec.examples, "Examples (rows) per array")->capture_default_str();
  cmd->add_option("--dim", o->spec.dim, "Feature dimension")->capture_default_str();
  cmd->add_option("--classes", o->spec.classes, "Classes per target")->capture_default_str();
  cmd->add_option("--factors", o->spec.factors, "Latent factors")->capture_default_str();
  add_common_options(*cmd, o->common);
  cmd->callback([o] { run(*o); });
}

}  // namespace taskscout::cli
