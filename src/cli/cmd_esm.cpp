// taskscout esm train: an Embedding Space Map from paired embeddings made elsewhere (the
// same texts embedded by the base model and by the fine-tuned model).
#include <fmt/format.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "command.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/core/tensor.hpp"
#include "taskscout/core/timer.hpp"
#include "taskscout/esm/train.hpp"
#include "taskscout/io/array_file.hpp"
#include "taskscout/io/output_guard.hpp"

namespace taskscout::cli {
namespace {

struct EsmTrainCliOptions {
  CommonOptions common;
  std::string base_embeddings, tuned_embeddings, out, base_fingerprint;
  double heldout = 0.1;
  bool force = false;
};

at::Tensor load_embeddings(const std::string& spec, const char* flag) {
  const Array a = load_array(spec);
  if (a.ndim() != 2 ||
      (a.dtype() != DType::F32 && a.dtype() != DType::F64 && a.dtype() != DType::F16 && a.dtype() != DType::BF16))
    throw InputError(fmt::format("{}{} must be an N×D float matrix of embeddings, got {} {}", location(spec), flag,
                                 dtype_name(a.dtype()), shape_string(a.shape())));
  return as_tensor(a.dtype() == DType::F16 || a.dtype() == DType::BF16 ? a.to(DType::F32) : a);
}

void run_train(const EsmTrainCliOptions& o) {
  apply_common_options(o.common);
  if (!o.out.ends_with(".safetensors")) throw UsageError("--out must end in .safetensors (the ESM file format)");
  OutputRule rule;
  rule.inputs = {o.base_embeddings, o.tuned_embeddings};
  rule.force = o.force;
  rule.written_by_taskscout = [](const std::filesystem::path& p) { return is_taskscout_safetensors(p, kEsmFormat); };
  rule.kind = "an ESM file: its metadata has no \"format\": \"taskscout-esm\"";
  check_output(o.out, rule);  // before the work, not after
  const at::Tensor base = load_embeddings(o.base_embeddings, "--base-embeddings");
  const at::Tensor tuned = load_embeddings(o.tuned_embeddings, "--tuned-embeddings");
  EsmTrainOptions options;
  options.heldout_fraction = o.heldout;
  options.seed = o.common.seed;
  options.base_fingerprint = o.base_fingerprint;
  Stopwatch watch;
  const EsmFit fit = train_esm(base, tuned, options, o.base_embeddings + " and " + o.tuned_embeddings);
  const double seconds = watch.seconds();
  save_esm(o.out, fit.esm);
  if (fit.r2_heldout < 0.5)
    std::cerr << fmt::format(
        "note: held-out R² is only {:.3f}: the fine-tuned embeddings are poorly predicted by a "
        "linear map of the base embeddings (check that both files list the same texts in the "
        "same order)\n",
        fit.r2_heldout);
  if (o.common.json) {
    nlohmann::ordered_json j = {{"out", o.out},
                                {"rows", fit.rows},
                                {"d", fit.esm.dim()},
                                {"heldout_rows", fit.heldout_rows},
                                {"r2_heldout", fit.r2_heldout},
                                {"mse_heldout", fit.mse_heldout},
                                {"r2_train", fit.r2_train},
                                {"lambda", fit.lambda},
                                {"relative_lambda", fit.relative_lambda},
                                {"seconds", seconds}};
    print_json(j);
    return;
  }
  ResultTable table{{"out", "rows", "d", "r2_heldout", "mse_heldout", "lambda", "seconds"}, {}};
  table.rows.push_back({o.out, std::to_string(fit.rows), std::to_string(fit.esm.dim()),
                        fmt::format("{:.4f}", fit.r2_heldout), format_number(fit.mse_heldout),
                        format_number(fit.lambda), fmt::format("{:.2f}", seconds)});
  print_table(table, o.common.csv);
}

}  // namespace

void add_esm_command(CLI::App& app) {
  CLI::App* esm = app.add_subcommand("esm", "Embedding Space Maps: linear maps from base to fine-tuned embeddings");
  esm->require_subcommand(1);
  auto o = std::make_shared<EsmTrainCliOptions>();
  CLI::App* cmd = esm->add_subcommand("train", "Fit an ESM to paired embeddings of the same texts");
  cmd->footer(
      "Example:\n  taskscout esm train --base-embeddings base.npy --tuned-embeddings tuned.npy --out sst2.safetensors\n"
      "Row i of both files must embed the same text. The fit is exact ridge least squares in float64\n"
      "(the optimum the paper approaches with AdamW); the ridge strength is chosen on held-out rows, whose\n"
      "R² is reported and stored in the file's metadata. Output: weight [D, D] and bias [D], float32.");
  cmd->add_option("--base-embeddings", o->base_embeddings, "N×D base-model embeddings (.npy, .safetensors[:NAME])")
      ->required();
  cmd->add_option("--tuned-embeddings", o->tuned_embeddings, "N×D fine-tuned-model embeddings of the same texts")
      ->required();
  cmd->add_option("--out", o->out, "Output ESM (.safetensors), written atomically")->required();
  cmd->add_flag("--force", o->force, "Replace --out even if it is not an ESM file");
  cmd->add_option("--base-fingerprint", o->base_fingerprint,
                  "Fingerprint of the base model, stored so rankings can refuse other bases");
  cmd->add_option("--heldout", o->heldout, "Fraction of rows held out to choose λ and report R²")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  add_common_options(*cmd, o->common);
  cmd->callback([o] { run_train(*o); });
}

}  // namespace taskscout::cli
