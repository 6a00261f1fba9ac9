// taskscout esm train: an Embedding Space Map from paired embeddings made elsewhere (the
// same texts embedded by the base model and by the fine-tuned model).
// taskscout esm convert: an ESM file stored in another dtype (F16 halves what a ranking
// of a large pool reads).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
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

struct EsmConvertCliOptions {
  CommonOptions common;
  std::string in, out, dtype;
  bool force = false;
};

DType parse_esm_dtype(const std::string& s) {
  if (s == "f32" || s == "F32") return DType::F32;
  if (s == "f16" || s == "F16") return DType::F16;
  if (s == "bf16" || s == "BF16") return DType::BF16;
  throw UsageError(fmt::format("--dtype {} is not an ESM storage type; choose f32, f16 or bf16", s));
}

// Largest |a − b| over two arrays of the same shape, both read as float32.
double max_abs_difference(const Array& a, const Array& b) {
  const Array fa = a.to(DType::F32), fb = b.to(DType::F32);
  const auto va = fa.values<float>(), vb = fb.values<float>();
  double m = 0;
  for (std::size_t i = 0; i < va.size(); ++i)
    m = std::max(m, std::abs(static_cast<double>(va[i]) - static_cast<double>(vb[i])));
  return m;
}

double max_abs(const Array& a) {
  const Array f = a.to(DType::F32);
  double m = 0;
  for (float v : f.values<float>()) m = std::max(m, std::abs(static_cast<double>(v)));
  return m;
}

void run_convert(const EsmConvertCliOptions& o) {
  apply_common_options(o.common);
  const DType dtype = parse_esm_dtype(o.dtype);
  if (!o.out.ends_with(".safetensors")) throw UsageError("OUT must end in .safetensors (the ESM file format)");
  OutputRule rule;
  rule.flag = "OUT";
  rule.inputs = {o.in};
  rule.force = o.force;
  rule.written_by_taskscout = [](const std::filesystem::path& p) { return is_taskscout_safetensors(p, kEsmFormat); };
  rule.kind = "an ESM file: its metadata has no \"format\": \"taskscout-esm\"";
  check_output(o.out, rule);
  const Esm esm = load_esm(o.in);  // validated; half files come back as F32
  save_esm(o.out, esm, dtype);
  // Read back through the loader every ranking uses, so the figures are what ranking sees.
  const Esm back = load_esm(o.out);
  const double err = std::max(max_abs_difference(esm.weight, back.weight), max_abs_difference(esm.bias, back.bias));
  const double scale = std::max(max_abs(esm.weight), max_abs(esm.bias));
  const auto in_bytes = std::filesystem::file_size(o.in), out_bytes = std::filesystem::file_size(o.out);
  if (o.common.json) {
    print_json(nlohmann::ordered_json{{"in", o.in},
                                      {"out", o.out},
                                      {"dtype", std::string(dtype_name(dtype))},
                                      {"d", esm.dim()},
                                      {"in_bytes", in_bytes},
                                      {"out_bytes", out_bytes},
                                      {"max_abs_error", err},
                                      {"max_rel_error", scale > 0 ? err / scale : 0.0}});
    return;
  }
  ResultTable table{{"in", "out", "dtype", "d", "in_bytes", "out_bytes", "max_abs_error"}, {}};
  table.rows.push_back({o.in, o.out, std::string(dtype_name(dtype)), std::to_string(esm.dim()),
                        std::to_string(in_bytes), std::to_string(out_bytes), format_number(err)});
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

  auto c = std::make_shared<EsmConvertCliOptions>();
  CLI::App* convert = esm->add_subcommand("convert", "Write an ESM file stored in another dtype (f16 halves its size)");
  convert->footer(
      "Example:\n  taskscout esm convert --dtype f16 sst2.safetensors sst2.f16.safetensors\n"
      "The values are rounded to nearest even; every ESM reader (rank, register, score) decodes F16 and\n"
      "BF16 files to float32. Reports the largest rounding error. A value beyond F16's range (65504) is\n"
      "refused. OUT never replaces IN, and replaces an existing file only when taskscout wrote it as an ESM.");
  convert->add_option("--dtype", c->dtype, "Storage type of OUT: f32, f16 or bf16")->required();
  convert->add_option("IN", c->in, "ESM file to read (.safetensors, F32, F64, F16 or BF16)")->required();
  convert->add_option("OUT", c->out, "ESM file to write (.safetensors), atomically")->required();
  convert->add_flag("--force", c->force, "Replace OUT even if it is not an ESM file");
  add_common_options(*convert, c->common);
  convert->callback([c] { run_convert(*c); });
}

}  // namespace taskscout::cli
