// End-to-end: taskscout esm train writes an ESM file that fits the pairs it was given.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>

#include "taskscout/io/npy.hpp"
#include "taskscout/io/safetensors.hpp"
#include "test_support.hpp"

namespace taskscout {
namespace {

using testing::run_taskscout;
using testing::TempDir;

class EsmCli : public ::testing::Test {
 protected:
  // B = A·Wᵀ + b + small noise, W a rotation-like mix, in 6 dimensions.
  void SetUp() override {
    const int n = 300, d = 6;
    Array a(DType::F32, {n, d}), b(DType::F32, {n, d});
    std::mt19937 rng(5);
    std::normal_distribution<float> g(0, 1);
    auto av = a.mutable_values<float>(), bv = b.mutable_values<float>();
    for (int i = 0; i < n * d; ++i) av[i] = g(rng);
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < d; ++j)
        bv[i * d + j] = av[i * d + j] + 0.5f * av[i * d + (j + 1) % d] + 0.25f * j + 0.01f * g(rng);
    write_npy(dir / "a.npy", a);
    write_npy(dir / "b.npy", b);
    write_npy(dir / "short.npy", Array(DType::F32, {299, d}));
  }
  std::string path(const std::string& name) const { return "'" + (dir / name).string() + "'"; }
  TempDir dir;
};

TEST_F(EsmCli, TrainWritesAValidatedEsmWithItsFitStatistics) {
  const auto r =
      run_taskscout("esm train --base-embeddings " + path("a.npy") + " --tuned-embeddings " + path("b.npy") +
                    " --out " + path("m.safetensors") + " --base-fingerprint " + std::string(64, 'c') + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["rows"], 300);
  EXPECT_EQ(j["d"], 6);
  EXPECT_EQ(j["heldout_rows"], 30);
  EXPECT_GT(j["r2_heldout"].get<double>(), 0.999);
  const SafetensorsFile f(dir / "m.safetensors");
  EXPECT_EQ(f.metadata().at("format"), "taskscout-esm");
  EXPECT_EQ(f.metadata().at("version"), "1");
  EXPECT_EQ(f.metadata().at("base_fingerprint"), std::string(64, 'c'));
  EXPECT_NEAR(std::stod(f.metadata().at("r2_heldout")), j["r2_heldout"].get<double>(), 1e-12);
  EXPECT_EQ(f.entry("weight").shape, (std::vector<std::int64_t>{6, 6}));
  EXPECT_EQ(f.entry("bias").dtype, "F32");
  // The fitted map: W[0][0] ≈ 1, W[0][1] ≈ 0.5, b[3] ≈ 0.75.
  const Array w = f.get("weight"), b = f.get("bias");
  EXPECT_NEAR(w.values<float>()[0], 1.0, 1e-2);
  EXPECT_NEAR(w.values<float>()[1], 0.5, 1e-2);
  EXPECT_NEAR(b.values<float>()[3], 0.75, 1e-2);
}

TEST_F(EsmCli, AMalformedBaseFingerprintIsRefusedBeforeAnythingIsWritten) {
  // `register` would refuse the file later; refuse it now.
  const auto r = run_taskscout("esm train --base-embeddings " + path("a.npy") + " --tuned-embeddings " + path("b.npy") +
                               " --out " + path("m.safetensors") + " --base-fingerprint deadbeef");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find("deadbeef"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("64 lowercase hex digits"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "m.safetensors"));
}

TEST_F(EsmCli, ReplacesItsOwnEsmButNotAForeignFile) {
  auto train = [&](const std::string& out, const std::string& extra = "") {
    return run_taskscout("esm train --base-embeddings " + path("a.npy") + " --tuned-embeddings " + path("b.npy") +
                         " --out " + path(out) + extra);
  };
  ASSERT_EQ(train("m.safetensors").exit_code, 0);
  EXPECT_EQ(train("m.safetensors").exit_code, 0);  // re-running replaces its own ESM
  testing::write_text(dir / "weights.safetensors", "someone's weights");
  auto r = train("weights.safetensors");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("was not written by taskscout"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--force"), std::string::npos) << r.err;
  EXPECT_EQ(testing::read_text(dir / "weights.safetensors"), "someone's weights");
  EXPECT_EQ(train("weights.safetensors", " --force").exit_code, 0);
  EXPECT_EQ(SafetensorsFile(dir / "weights.safetensors").metadata().at("format"), "taskscout-esm");
}

TEST_F(EsmCli, TrainPrintsATable) {
  const auto r = run_taskscout("esm train --base-embeddings " + path("a.npy") + " --tuned-embeddings " + path("b.npy") +
                               " --out " + path("m.safetensors") + " --csv --seed 3");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("out,rows,d,r2_heldout,mse_heldout,lambda,seconds\n", 0), 0u) << r.out;
  EXPECT_NE(r.out.find(",300,6,0.99"), std::string::npos) << r.out;
}

TEST_F(EsmCli, BadInputIsOneErrorLineAndNoOutputFile) {
  auto r = run_taskscout("esm train --base-embeddings " + path("a.npy") + " --tuned-embeddings " + path("short.npy") +
                         " --out " + path("m.safetensors"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find("same N"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("short.npy"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "m.safetensors"));
  r = run_taskscout("esm train --base-embeddings " + path("a.npy") + " --tuned-embeddings " + path("b.npy") +
                    " --out " + path("m.npy"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("--out must end in .safetensors"), std::string::npos) << r.err;
}

TEST_F(EsmCli, ConvertWritesAHalfPrecisionEsmThatRanksAsTheF32One) {
  ASSERT_EQ(run_taskscout("esm train --base-embeddings " + path("a.npy") + " --tuned-embeddings " + path("b.npy") +
                          " --out " + path("m.safetensors") + " --base-fingerprint " + std::string(64, 'c'))
                .exit_code,
            0);
  auto r = run_taskscout("esm convert --dtype f16 " + path("m.safetensors") + " " + path("h.safetensors") + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["dtype"], "F16");
  EXPECT_EQ(j["d"], 6);
  EXPECT_GT(j["max_abs_error"].get<double>(), 0);
  EXPECT_LT(j["max_rel_error"].get<double>(), 1.0 / 2048);
  const SafetensorsFile h(dir / "h.safetensors");
  EXPECT_EQ(h.entry("weight").dtype, "F16");
  EXPECT_EQ(h.entry("bias").dtype, "F16");
  EXPECT_EQ(h.metadata().at("base_fingerprint"), std::string(64, 'c'));  // the metadata travels
  EXPECT_EQ(h.metadata().at("r2_heldout"), SafetensorsFile(dir / "m.safetensors").metadata().at("r2_heldout"));
  // Re-running replaces its own output; f32 and bf16 work too.
  EXPECT_EQ(run_taskscout("esm convert --dtype f16 " + path("m.safetensors") + " " + path("h.safetensors")).exit_code,
            0);
  EXPECT_EQ(
      run_taskscout("esm convert --dtype bf16 " + path("h.safetensors") + " " + path("b16.safetensors")).exit_code, 0);
  EXPECT_EQ(SafetensorsFile(dir / "b16.safetensors").entry("weight").dtype, "BF16");
  EXPECT_EQ(
      run_taskscout("esm convert --dtype f32 " + path("h.safetensors") + " " + path("back.safetensors")).exit_code, 0);
  EXPECT_EQ(SafetensorsFile(dir / "back.safetensors").entry("weight").dtype, "F32");

  // rank --esms reads both files; the scores differ by rounding only.
  Array labels(DType::I64, {300});
  for (int i = 0; i < 300; ++i) labels.mutable_values<std::int64_t>()[i] = i % 3;
  write_npy(dir / "y.npy", labels);
  auto rank = [&](const std::string& esm) {
    auto out = run_taskscout("rank --esms " + path(esm) + " --target-features " + path("a.npy") + " --labels " +
                             path("y.npy") + " --method esm-logme --threads 1 --json");
    EXPECT_EQ(out.exit_code, 0) << out.err;
    return nlohmann::json::parse(out.out)["ranking"][0]["score"].get<double>();
  };
  const double s32 = rank("m.safetensors"), s16 = rank("h.safetensors");
  EXPECT_NEAR(s16, s32, 1e-3 * std::abs(s32));
}

TEST_F(EsmCli, ConvertNeverReplacesItsInputOrAForeignFile) {
  ASSERT_EQ(run_taskscout("esm train --base-embeddings " + path("a.npy") + " --tuned-embeddings " + path("b.npy") +
                          " --out " + path("m.safetensors"))
                .exit_code,
            0);
  const std::string before = testing::read_text(dir / "m.safetensors");
  auto r = run_taskscout("esm convert --dtype f16 " + path("m.safetensors") + " " + path("m.safetensors") + " --force");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_EQ(testing::read_text(dir / "m.safetensors"), before);
  testing::write_text(dir / "weights.safetensors", "someone's weights");
  r = run_taskscout("esm convert --dtype f16 " + path("m.safetensors") + " " + path("weights.safetensors"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("was not written by taskscout"), std::string::npos) << r.err;
  EXPECT_EQ(testing::read_text(dir / "weights.safetensors"), "someone's weights");
  r = run_taskscout("esm convert --dtype f8 " + path("m.safetensors") + " " + path("h.safetensors"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find("choose f32, f16 or bf16"), std::string::npos) << r.err;
  r = run_taskscout("esm convert --dtype f16 " + path("a.npy") + " " + path("h.safetensors"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "h.safetensors"));
}

}  // namespace
}  // namespace taskscout
