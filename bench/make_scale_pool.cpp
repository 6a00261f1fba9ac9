// A registry of N synthetic sources with D-dimensional ESMs, for the scale benchmark of
// issue 13 (bench/scale/run_rank_scale.sh), plus a target to rank them for.
//
//   make_scale_pool OUT_DIR N [--dtype f32|f16] [--d 768] [--target-rows 1000] [--seed 7]
//                   [--no-mean]
// writes
//   OUT_DIR/registry/    N sources "src-00000"…, each with an ESM (F32 or F16) and, unless
//                        --no-mean, a mean-embedding artifact, added through Registry::add;
//   OUT_DIR/target.npy   the target's base embeddings X (target-rows × D, float32);
//   OUT_DIR/labels.csv   its labels (column "label", 3 classes);
//   OUT_DIR/planted.csv  each source's planted parameters (what its score should follow);
// prints a progress line on stderr and one JSON line with the seconds on stdout.
//
// The model. X = G·diag(s)·Oᵀ with G Gaussian, a decaying spectrum s and a random rotation
// O; the labels are the argmax of three linear functions of K = 4 "signal" directions
// u_k (columns of O) plus noise. Source i's map is
//   W_i = I − Σ_k c_ik·u_k·u_kᵀ + β_i·B_i·C_iᵀ/√D + σ_i·E_i/√D,   b_i = 0.1·g_i,
// c_ik ∈ [0, 1] how much of signal direction k the source destroys, B_i, C_i D×8 Gaussian
// (a structured low-rank mix), E_i Gaussian noise with a per-source scale σ_i. LogME of
// X·W_iᵀ + b_i then genuinely differs between sources: sources that keep the signal
// directions and add little noise score high. Every source is seeded by (seed, i), so the
// F32 and F16 pools hold the same maps, the F16 ones rounded.
#include <ATen/ATen.h>
#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "taskscout/core/error.hpp"
#include "taskscout/core/sha256.hpp"
#include "taskscout/core/tensor.hpp"
#include "taskscout/core/timer.hpp"
#include "taskscout/esm/apply_esm.hpp"
#include "taskscout/io/npy.hpp"
#include "taskscout/model/embedding_options.hpp"
#include "taskscout/registry/registry.hpp"
#include "taskscout/select/textemb.hpp"

using namespace taskscout;
namespace fs = std::filesystem;

namespace {

struct Options {
  fs::path out;
  std::int64_t n = 0, d = 768, target_rows = 1000;
  std::uint64_t seed = 7;
  DType dtype = DType::F32;
  bool mean = true;
};

constexpr std::int64_t kSignal = 4, kRank = 8, kClasses = 3;

Options parse(int argc, char** argv) {
  if (argc < 3)
    throw UsageError(
        "usage: make_scale_pool OUT_DIR N [--dtype f32|f16] [--d 768] [--target-rows 1000] [--seed 7] [--no-mean]");
  Options o;
  o.out = argv[1];
  o.n = std::stoll(argv[2]);
  for (int i = 3; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw UsageError(a + " needs a value");
      return argv[++i];
    };
    if (a == "--dtype") {
      const std::string v = value();
      if (v != "f32" && v != "f16") throw UsageError("--dtype " + v + " is not f32 or f16");
      o.dtype = v == "f16" ? DType::F16 : DType::F32;
    } else if (a == "--d") {
      o.d = std::stoll(value());
    } else if (a == "--target-rows") {
      o.target_rows = std::stoll(value());
    } else if (a == "--seed") {
      o.seed = std::stoull(value());
    } else if (a == "--no-mean") {
      o.mean = false;
    } else {
      throw UsageError("unknown option " + a);
    }
  }
  if (o.n < 1 || o.d < kRank || o.target_rows < 10) throw UsageError("N ≥ 1, --d ≥ 8 and --target-rows ≥ 10 please");
  return o;
}

// A fixed random rotation and the target drawn from it (seeded by `seed` alone).
struct World {
  at::Tensor rotation;  // O, D×D orthogonal (float64)
  at::Tensor signal;    // U = the K signal columns of O, D×K
  at::Tensor spectrum;  // s, D
  at::Tensor mean;      // the target's mean embedding
};

World make_world(const Options& o) {
  at::manual_seed(o.seed);
  World w;
  w.rotation = std::get<0>(at::linalg_qr(at::randn({o.d, o.d}, at::kDouble)));
  // The signal sits in directions of middling variance, not the top ones.
  w.signal = at::stack(
      {w.rotation.select(1, 10), w.rotation.select(1, 40), w.rotation.select(1, 100), w.rotation.select(1, 300)}, 1);
  w.spectrum = 1.0 / at::sqrt(1.0 + at::arange(o.d, at::kDouble) / 50.0);
  w.mean = 0.2 * at::randn({o.d}, at::kDouble);
  return w;
}

void write_target(const Options& o, const World& w) {
  at::manual_seed(o.seed + 1);
  const at::Tensor x = at::randn({o.target_rows, o.d}, at::kDouble).mul(w.spectrum).mm(w.rotation.t()) + w.mean;
  const at::Tensor z = (x - w.mean).mm(w.signal);  // the signal coordinates, rows × K
  const at::Tensor mix = at::randn({kSignal, kClasses}, at::kDouble);
  const at::Tensor logits = z.mm(mix) * 8.0 + at::randn({o.target_rows, kClasses}, at::kDouble);
  const at::Tensor labels = logits.argmax(1);
  write_npy(o.out / "target.npy", to_array(x.to(at::kFloat).contiguous()));
  std::ofstream csv(o.out / "labels.csv");
  csv << "label\n";
  const auto* l = labels.data_ptr<std::int64_t>();
  for (std::int64_t i = 0; i < o.target_rows; ++i) csv << "class" << l[i] << "\n";
}

struct Planted {
  std::vector<double> destroyed;  // c_ik
  double low_rank = 0, noise = 0;
};

Esm make_esm(const Options& o, const World& w, std::int64_t i, Planted& p) {
  at::manual_seed(o.seed * 1000003 + static_cast<std::uint64_t>(i) + 2);
  const at::Tensor c = at::rand({kSignal}, at::kDouble);
  p.destroyed.assign(c.data_ptr<double>(), c.data_ptr<double>() + kSignal);
  p.low_rank = at::rand({1}, at::kDouble).item<double>();
  p.noise = std::exp(std::log(0.02) + (std::log(0.5) - std::log(0.02)) * at::rand({1}, at::kDouble).item<double>());
  const double root = std::sqrt(static_cast<double>(o.d));
  at::Tensor weight = at::eye(o.d, at::kDouble) - (w.signal * c).mm(w.signal.t());
  weight += p.low_rank * at::randn({o.d, kRank}, at::kDouble).mm(at::randn({kRank, o.d}, at::kDouble)) / root;
  weight += p.noise * at::randn({o.d, o.d}, at::kDouble) / root;
  Esm esm;
  esm.weight = to_array(weight.to(at::kFloat).contiguous());
  esm.bias = to_array((0.1 * at::randn({o.d}, at::kDouble)).to(at::kFloat).contiguous());
  esm.metadata = {{"base_fingerprint", sha256_hex("make_scale_pool base")}, {"synthetic", "make_scale_pool"}};
  return esm;
}

int run(const Options& o) {
  const std::uint64_t esm_bytes = static_cast<std::uint64_t>(o.d * o.d + o.d) * (o.dtype == DType::F16 ? 2 : 4);
  fs::create_directories(o.out);
  // Check the space first: 10,000 F32 sources at D = 768 are 23.6 GB.
  const std::uint64_t need = static_cast<std::uint64_t>(o.n) * (esm_bytes + 8192) + (1ull << 30);
  const auto space = fs::space(o.out);
  if (space.available < need)
    throw IoError(fmt::format("{}: {} sources need about {:.1f} GB but only {:.1f} GB are free; free space or lower N",
                              o.out.string(), o.n, need / 1e9, space.available / 1e9));
  Stopwatch watch;
  const World world = make_world(o);
  write_target(o, world);
  Registry registry = Registry::create(o.out / "registry");
  const fs::path scratch = o.out / "scratch";
  fs::create_directories(scratch);
  std::ofstream planted(o.out / "planted.csv");
  planted << "source,c1,c2,c3,c4,low_rank,noise\n";
  EmbeddingOptions embedding;  // how the synthetic sources say they were embedded: mean pooling
  const std::string base = sha256_hex("make_scale_pool base");
  for (std::int64_t i = 0; i < o.n; ++i) {
    Planted p;
    const Esm esm = make_esm(o, world, i, p);
    const std::string name = fmt::format("src-{:05d}", i);
    NewSource s;
    s.record.name = name;
    s.record.base_fingerprint = base;
    s.record.task = LabelKind::Classification;
    s.record.label_names = {"class0", "class1", "class2"};
    s.record.dataset_fingerprint = sha256_hex("make_scale_pool dataset " + name);
    s.record.dataset_size = 1000;
    s.record.provenance = {
        {"command", "make_scale_pool"}, {"seed", o.seed}, {"embedding", {{"pooling", "mean"}, {"layer", -1}}}};
    save_esm(scratch / "esm.safetensors", esm, o.dtype);
    s.artifact_files["esm"] = scratch / "esm.safetensors";
    if (o.mean) {
      // The source's "dataset" mean: the map applied to a shifted target mean.
      const at::Tensor m = apply_esm(esm, (world.mean + 0.05 * at::randn({o.d}, at::kDouble)).unsqueeze(0));
      write_mean_embedding_artifact(scratch / "mean.safetensors", m, base, embedding);
      s.artifact_files["mean_embedding"] = scratch / "mean.safetensors";
    }
    registry.add(s);
    planted << name << "," << p.destroyed[0] << "," << p.destroyed[1] << "," << p.destroyed[2] << "," << p.destroyed[3]
            << "," << p.low_rank << "," << p.noise << "\n";
    if ((i + 1) % 50 == 0 || i + 1 == o.n) {
      const double t = watch.seconds();
      std::fprintf(stderr, "\r%lld/%lld sources, %.0f s, %.1f sources/s, ~%.0f s left   ",
                   static_cast<long long>(i + 1), static_cast<long long>(o.n), t, (i + 1) / t,
                   (o.n - i - 1) * t / (i + 1));
      std::fflush(stderr);
    }
  }
  std::fprintf(stderr, "\n");
  fs::remove_all(scratch);
  const nlohmann::json j = {{"sources", o.n},
                            {"d", o.d},
                            {"dtype", std::string(dtype_name(o.dtype))},
                            {"esm_bytes", esm_bytes},
                            {"target_rows", o.target_rows},
                            {"seconds", watch.seconds()}};
  std::printf("%s\n", j.dump().c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(parse(argc, argv));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
