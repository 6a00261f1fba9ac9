// ESM files (format, validation, atomic writes) and ESM training: the closed form against
// an independent least-squares solve and against a short AdamW fit, as the paper trains.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "taskscout/core/error.hpp"
#include "taskscout/core/tensor.hpp"
#include "taskscout/esm/apply_esm.hpp"
#include "taskscout/esm/train.hpp"
#include "taskscout/io/safetensors.hpp"
#include "test_support.hpp"

namespace taskscout {
namespace {

using testing::TempDir;

Esm small_esm(std::int64_t d = 4) {
  at::manual_seed(1);
  Esm esm;
  esm.weight = to_array(at::randn({d, d}));
  esm.bias = to_array(at::randn({d}));
  esm.metadata = {{"base_fingerprint", std::string(64, 'a')}, {"r2_heldout", "0.9"}};
  return esm;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no InputError)";
}

TEST(EsmFile, RoundTripKeepsValuesAndMetadataAndAddsTheFormatTag) {
  TempDir dir;
  const Esm esm = small_esm();
  save_esm(dir / "m.safetensors", esm);
  const Esm back = load_esm(dir / "m.safetensors");
  EXPECT_TRUE(at::equal(as_tensor(back.weight), as_tensor(esm.weight)));
  EXPECT_TRUE(at::equal(as_tensor(back.bias), as_tensor(esm.bias)));
  EXPECT_EQ(back.base_fingerprint(), std::string(64, 'a'));
  EXPECT_EQ(back.metadata.at("format"), "taskscout-esm");
  EXPECT_EQ(back.metadata.at("version"), "1");
  EXPECT_EQ(back.metadata.at("r2_heldout"), "0.9");
  const SafetensorsFile raw(dir / "m.safetensors");
  EXPECT_EQ(raw.entry("weight").dtype, "F32");
  EXPECT_EQ(raw.entry("weight").shape, (std::vector<std::int64_t>{4, 4}));
}

TEST(EsmFile, AMalformedBaseFingerprintIsNeverWritten) {
  // `register` refuses such a file when it reads it; save refuses to write it.
  TempDir dir;
  Esm esm = small_esm();
  esm.metadata["base_fingerprint"] = "deadbeef";
  const std::string e = error_of([&] { save_esm(dir / "m.safetensors", esm); });
  EXPECT_NE(e.find("64 lowercase hex digits"), std::string::npos) << e;
  EXPECT_FALSE(std::filesystem::exists(dir / "m.safetensors"));
  esm.metadata["base_fingerprint"] = "";  // unknown is allowed
  save_esm(dir / "m.safetensors", esm);
  EXPECT_EQ(load_esm(dir / "m.safetensors").base_fingerprint(), "");
}

TEST(EsmFile, ApplyIsXWTransposedPlusBias) {
  const Esm esm = small_esm(3);
  const at::Tensor x = at::randn({5, 3}, at::kDouble);
  const at::Tensor w = as_tensor(esm.weight).to(at::kDouble), b = as_tensor(esm.bias).to(at::kDouble);
  const at::Tensor out = apply_esm(esm, x);
  for (int i = 0; i < 5; ++i)
    for (int j = 0; j < 3; ++j) {
      double expect = b[j].item<double>();
      for (int k = 0; k < 3; ++k) expect += x[i][k].item<double>() * w[j][k].item<double>();
      EXPECT_NEAR(out[i][j].item<double>(), expect, 1e-12);
    }
  EXPECT_EQ(apply_esm(esm, x.to(at::kFloat)).scalar_type(), at::kFloat);
  EXPECT_THROW(apply_esm(esm, at::randn({5, 4})), InputError);
}

TEST(EsmFile, LoadingRejectsWhatIsNotAValidEsmNamingTheFile) {
  TempDir dir;
  const auto path = [&](const char* n) { return (dir / n).string(); };
  const Esm esm = small_esm();
  // Wrong format tag, and no tag at all.
  write_safetensors(path("tag.safetensors"), {{"weight", esm.weight}, {"bias", esm.bias}}, {{"format", "other"}});
  EXPECT_NE(error_of([&] { load_esm(path("tag.safetensors")); }).find("tag.safetensors: metadata format is 'other'"),
            std::string::npos);
  write_safetensors(path("untagged.safetensors"), {{"weight", esm.weight}, {"bias", esm.bias}});
  EXPECT_NE(error_of([&] { load_esm(path("untagged.safetensors")); }).find("not an ESM file"), std::string::npos);
  // Another version.
  write_safetensors(path("v2.safetensors"), {{"weight", esm.weight}, {"bias", esm.bias}},
                    {{"format", "taskscout-esm"}, {"version", "2"}});
  EXPECT_NE(error_of([&] { load_esm(path("v2.safetensors")); }).find("version '2'"), std::string::npos);
  // Wrong shapes.
  write_safetensors(path("shape.safetensors"), {{"weight", to_array(at::zeros({4, 3}))}, {"bias", esm.bias}},
                    {{"format", "taskscout-esm"}});
  EXPECT_NE(error_of([&] { load_esm(path("shape.safetensors")); }).find("weight has shape [4, 3], expected [4, 4]"),
            std::string::npos);
  // A missing tensor.
  write_safetensors(path("nobias.safetensors"), {{"weight", esm.weight}}, {{"format", "taskscout-esm"}});
  EXPECT_NE(error_of([&] { load_esm(path("nobias.safetensors")); }).find("no tensor 'bias'"), std::string::npos);
  // Non-finite values, located.
  at::Tensor w = as_tensor(esm.weight).clone();
  w[2][1] = INFINITY;
  write_safetensors(path("inf.safetensors"), {{"weight", to_array(w)}, {"bias", esm.bias}},
                    {{"format", "taskscout-esm"}});
  EXPECT_NE(error_of([&] { load_esm(path("inf.safetensors")); })
                .find("inf.safetensors: ESM weight has a non-finite "
                      "value at [2, 1]"),
            std::string::npos);
  // Not safetensors at all.
  testing::write_text(dir / "junk.safetensors", "junk");
  EXPECT_THROW(load_esm(path("junk.safetensors")), InputError);
}

TEST(EsmFile, SaveRefusesAnInvalidMapAndLeavesNoFile) {
  TempDir dir;
  Esm esm = small_esm();
  esm.bias = to_array(at::zeros({3}));
  EXPECT_THROW(save_esm(dir / "x.safetensors", esm), InputError);
  EXPECT_FALSE(std::filesystem::exists(dir / "x.safetensors"));
}

TEST(EsmFile, HalfPrecisionFilesAreWrittenAndLoadedAsFloat32) {
  TempDir dir;
  const Esm esm = small_esm(16);
  for (const DType dtype : {DType::F16, DType::BF16}) {
    const auto path = dir / (std::string(dtype_name(dtype)) + ".safetensors");
    save_esm(path, esm, dtype);
    const SafetensorsFile raw(path);
    EXPECT_EQ(raw.entry("weight").dtype, dtype_name(dtype));
    EXPECT_EQ(raw.entry("bias").dtype, dtype_name(dtype));
    const Esm back = load_esm(path);
    EXPECT_EQ(back.weight.dtype(), DType::F32);  // decoded once, for every reader
    EXPECT_EQ(back.bias.dtype(), DType::F32);
    EXPECT_EQ(back.base_fingerprint(), std::string(64, 'a'));
    // Rounding to nearest: relative error at most 2^-11 (F16) or 2^-8 (BF16) of each value.
    const double unit = dtype == DType::F16 ? std::ldexp(1.0, -11) : std::ldexp(1.0, -8);
    const at::Tensor w = as_tensor(esm.weight), w2 = as_tensor(back.weight);
    EXPECT_TRUE(at::all((w2 - w).abs() <= w.abs() * unit + 1e-7).item<bool>()) << dtype_name(dtype);
    // Writing back as F32 keeps the decoded values exactly.
    save_esm(dir / "again.safetensors", back);
    EXPECT_TRUE(at::equal(as_tensor(load_esm(dir / "again.safetensors").weight), w2));
  }
  save_esm(dir / "F32.safetensors", esm);
  // Half the bytes of the F32 file, but for the header.
  EXPECT_LT(std::filesystem::file_size(dir / "F16.safetensors"),
            std::filesystem::file_size(dir / "F32.safetensors") / 2 + 512);
}

TEST(EsmFile, HalfPrecisionRefusesOverflowAndNonFiniteValues) {
  TempDir dir;
  Esm esm = small_esm();
  at::Tensor w = as_tensor(esm.weight).clone();
  w[1][2] = 1e5;  // beyond F16's 65504, fine for BF16
  esm.weight = to_array(w);
  const std::string e = error_of([&] { save_esm(dir / "big.safetensors", esm, DType::F16); });
  EXPECT_NE(e.find("beyond the range of F16"), std::string::npos) << e;
  EXPECT_FALSE(std::filesystem::exists(dir / "big.safetensors"));
  save_esm(dir / "big.safetensors", esm, DType::BF16);
  EXPECT_NEAR(as_tensor(load_esm(dir / "big.safetensors").weight)[1][2].item<double>(), 1e5, 1e5 / 256);
  EXPECT_THROW(save_esm(dir / "x.safetensors", small_esm(), DType::I32), UsageError);
  // A stored F16 infinity is found after decoding, located as for F32.
  at::Tensor h = as_tensor(small_esm().weight).to(at::kHalf).clone();
  h[2][1] = INFINITY;
  write_safetensors(dir / "inf.safetensors", {{"weight", to_array(h.contiguous())}, {"bias", small_esm().bias}},
                    {{"format", "taskscout-esm"}});
  const std::string inf = error_of([&] { load_esm(dir / "inf.safetensors"); });
  EXPECT_NE(inf.find("ESM weight has a non-finite value at [2, 1]"), std::string::npos) << inf;
}

// Paired embeddings B = A·Wᵀ + b + noise.
struct Pairs {
  at::Tensor a, b, w, bias;
};
Pairs make_pairs(std::int64_t n, std::int64_t d, double noise, std::uint64_t seed) {
  at::manual_seed(seed);
  Pairs p;
  p.a = at::randn({n, d}, at::kDouble) * at::linspace(0.2, 2.0, d, at::kDouble) + 0.7;
  p.w = at::randn({d, d}, at::kDouble) / std::sqrt(static_cast<double>(d)) + at::eye(d, at::kDouble);
  p.bias = at::randn({d}, at::kDouble);
  p.b = p.a.mm(p.w.t()) + p.bias + noise * at::randn({n, d}, at::kDouble);
  return p;
}

TEST(EsmTrain, RecoversAnExactAffineMap) {
  const Pairs p = make_pairs(200, 12, 0.0, 2);
  const EsmFit fit = train_esm(p.a.to(at::kFloat), p.b.to(at::kFloat));
  EXPECT_GT(fit.r2_heldout, 1 - 1e-6);
  EXPECT_LT((as_tensor(fit.esm.weight).to(at::kDouble) - p.w).abs().max().item<double>(), 1e-3);
  EXPECT_LT((as_tensor(fit.esm.bias).to(at::kDouble) - p.bias).abs().max().item<double>(), 1e-3);
  EXPECT_EQ(fit.rows, 200);
  EXPECT_EQ(fit.heldout_rows, 20);
  EXPECT_EQ(fit.esm.metadata.at("rows"), "200");
}

TEST(EsmTrain, ClosedFormEqualsAnIndependentLeastSquaresSolve) {
  // With the smallest ridge strength forced, the fit is the least-squares solution of
  // [A 1]·[W b]ᵀ = B, which LAPACK's gelsd (via at::linalg_lstsq) computes independently.
  const Pairs p = make_pairs(150, 10, 0.3, 3);
  EsmTrainOptions options;
  options.relative_lambdas = {1e-12};
  const EsmFit fit = train_esm(p.a, p.b, options);
  const at::Tensor augmented = at::cat({p.a, at::ones({150, 1}, at::kDouble)}, 1);
  const at::Tensor solution = std::get<0>(at::linalg_lstsq(augmented, p.b, c10::nullopt, "gelsd"));  // 11×10
  EXPECT_LT((as_tensor(fit.esm.weight).to(at::kDouble) - solution.narrow(0, 0, 10).t()).abs().max().item<double>(),
            1e-5);  // float32 storage
  EXPECT_LT((as_tensor(fit.esm.bias).to(at::kDouble) - solution[10]).abs().max().item<double>(), 1e-5);
}

TEST(EsmTrain, ClosedFormBeatsOrMatchesAdamWOnHeldOutRows) {
  // The paper's recipe: a linear layer trained with AdamW on the MSE. Same training rows,
  // same held-out rows; the exact optimum may not be worse.
  const std::int64_t n = 400, d = 16;
  const Pairs p = make_pairs(n, d, 0.5, 4);
  EsmTrainOptions options;
  const EsmFit fit = train_esm(p.a, p.b, options);
  const EsmSplit split = esm_split(n, options.heldout_fraction, options.seed);
  auto rows = [](const at::Tensor& x, const std::vector<std::int64_t>& r) {
    return x.index_select(0, at::tensor(r, at::TensorOptions().dtype(at::kLong)));
  };
  const at::Tensor at_ = rows(p.a, split.train), bt = rows(p.b, split.train);
  const at::Tensor ah = rows(p.a, split.heldout), bh = rows(p.b, split.heldout);
  // AdamW (torch.optim.AdamW defaults but lr 1e-2), full batch, analytic MSE gradients.
  at::Tensor w = at::zeros({d, d}, at::kDouble), b = at::zeros({d}, at::kDouble);
  at::Tensor mw = at::zeros_like(w), vw = at::zeros_like(w), mb = at::zeros_like(b), vb = at::zeros_like(b);
  const double lr = 1e-2, b1 = 0.9, b2 = 0.999, eps = 1e-8, decay = 1e-2;
  for (int step = 1; step <= 1500; ++step) {
    const at::Tensor residual = at_.mm(w.t()) + b - bt;  // n×d
    const double scale = 2.0 / static_cast<double>(residual.numel());
    const at::Tensor gw = scale * residual.t().mm(at_), gb = scale * residual.sum(0);
    w.mul_(1 - lr * decay);
    for (auto [param, grad, m, v] : {std::tuple{w, gw, mw, vw}, std::tuple{b, gb, mb, vb}}) {
      m.mul_(b1).add_(grad, 1 - b1);
      v.mul_(b2).addcmul_(grad, grad, 1 - b2);
      const at::Tensor mhat = m / (1 - std::pow(b1, step)), vhat = v / (1 - std::pow(b2, step));
      param.sub_(lr * mhat / (vhat.sqrt() + eps));
    }
  }
  const double adamw_mse = (ah.mm(w.t()) + b - bh).pow(2).mean().item<double>();
  EXPECT_LE(fit.mse_heldout, adamw_mse * (1 + 1e-9)) << "closed form " << fit.mse_heldout << " AdamW " << adamw_mse;
  // AdamW got close (a sanity check of the comparison itself), and the noise floor is 0.25.
  EXPECT_LT(adamw_mse, 2 * fit.mse_heldout);
  EXPECT_GT(fit.mse_heldout, 0.2);
}

TEST(EsmTrain, RejectsMismatchedOrNonFiniteOrTooFewRows) {
  EXPECT_THROW(train_esm(at::randn({10, 4}), at::randn({9, 4})), InputError);
  EXPECT_THROW(train_esm(at::randn({10, 4}), at::randn({10, 5})), InputError);
  EXPECT_THROW(train_esm(at::randn({3, 4}), at::randn({3, 4})), InputError);
  at::Tensor b = at::randn({10, 4});
  b[7][2] = NAN;
  EXPECT_NE(error_of([&] {
              train_esm(at::randn({10, 4}), b, {}, "pairs");
            })
                .find("pairs: fine-tuned embeddings have a "
                      "non-finite value in row 7"),
            std::string::npos);
}

TEST(EsmTrain, SplitIsSeededAndDisjoint) {
  const EsmSplit a = esm_split(100, 0.1, 5), b = esm_split(100, 0.1, 5), c = esm_split(100, 0.1, 6);
  EXPECT_EQ(a.heldout, b.heldout);
  EXPECT_NE(a.heldout, c.heldout);
  EXPECT_EQ(a.heldout.size(), 10u);
  EXPECT_EQ(a.train.size(), 90u);
  std::vector<std::int64_t> all = a.train;
  all.insert(all.end(), a.heldout.begin(), a.heldout.end());
  std::sort(all.begin(), all.end());
  for (std::int64_t i = 0; i < 100; ++i) EXPECT_EQ(all[i], i);
}

}  // namespace
}  // namespace taskscout
