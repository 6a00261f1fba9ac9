// End-to-end tests of the taskscout binary: output contracts and bad input.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <random>

#include "taskscout/io/npy.hpp"
#include "taskscout/io/safetensors.hpp"
#include "test_support.hpp"

namespace taskscout {
namespace {

using testing::run_taskscout;
using testing::TempDir;

// Two well separated classes in 4 dimensions.
struct Problem {
  Array features{DType::F32, {40, 4}};
  Array labels{DType::I64, {40}};
  Array probs{DType::F32, {40, 3}};
};

Problem make_problem() {
  Problem p;
  std::mt19937 rng(3);
  std::normal_distribution<float> noise(0, 0.5f);
  auto f = p.features.mutable_values<float>();
  auto y = p.labels.mutable_values<std::int64_t>();
  auto q = p.probs.mutable_values<float>();
  for (int i = 0; i < 40; ++i) {
    y[i] = i % 2;
    for (int j = 0; j < 4; ++j) f[i * 4 + j] = noise(rng) + (j == 0 ? 2.0f * y[i] : 0.0f);
    q[i * 3 + 0] = y[i] ? 0.7f : 0.1f;
    q[i * 3 + 1] = y[i] ? 0.2f : 0.8f;
    q[i * 3 + 2] = 0.1f;
  }
  return p;
}

// Exactly one line on stderr, starting with "error: ", and nothing on stdout.
void expect_one_error_line(const testing::CommandResult& r, const std::string& needle) {
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
}

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    const Problem p = make_problem();
    write_npy(dir / "f.npy", p.features);
    write_npy(dir / "y.npy", p.labels);
    write_npy(dir / "p.npy", p.probs);
  }
  std::string path(const std::string& name) const { return "'" + (dir / name).string() + "'"; }
  TempDir dir;
};

TEST_F(Cli, ScoreJsonHasTheDocumentedShape) {
  auto r = run_taskscout("score --features " + path("f.npy") + " --labels " + path("y.npy") + " --source-probs " +
                         path("p.npy") + " --method all --json --threads 1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["n"], 40);
  EXPECT_EQ(j["d"], 4);
  for (const char* m :
       {"logme", "leep", "nce", "h_score", "regularized_h_score", "transrate", "gbc", "knn", "linear_probe"}) {
    ASSERT_TRUE(j["scores"].contains(m)) << m;
    EXPECT_TRUE(std::isfinite(j["scores"][m].get<double>())) << m;
    EXPECT_GE(j["seconds"][m].get<double>(), 0.0) << m;
  }
  EXPECT_GT(j["scores"]["knn"].get<double>(), 0.9);  // the classes are well separated
}

TEST_F(Cli, ScoreFromSafetensorsEqualsScoreFromNpy) {
  write_safetensors(dir / "f.safetensors", {{"pooled", make_problem().features}});
  auto a = run_taskscout("score --features " + path("f.npy") + " --labels " + path("y.npy") + " --method logme --csv");
  auto b = run_taskscout("score --features " + path("f.safetensors") + ":pooled --labels " + path("y.npy") +
                         " --method logme --csv");
  ASSERT_EQ(a.exit_code, 0) << a.err;
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_EQ(a.out.substr(0, a.out.rfind(',')), b.out.substr(0, b.out.rfind(',')));  // all but the time
  EXPECT_EQ(a.out.rfind("method,score,seconds\nlogme,", 0), 0u) << a.out;
}

TEST_F(Cli, AllSkipsMethodsWithoutTheirInputsAndSaysSo) {
  auto r = run_taskscout("score --features " + path("f.npy") + " --labels " + path("y.npy") + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_FALSE(j["scores"].contains("leep"));
  EXPECT_TRUE(j["scores"].contains("logme"));
  EXPECT_NE(r.err.find("note: skipping leep: it needs the source model's predicted probabilities"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("note: skipping nce: "), std::string::npos) << r.err;
}

TEST_F(Cli, UnknownMethodIsOneErrorLine) {
  expect_one_error_line(
      run_taskscout("score --features " + path("f.npy") + " --labels " + path("y.npy") + " --method logme,bogus"),
      "unknown method 'bogus'");
}

TEST_F(Cli, MethodNeedingSourceProbsSaysSo) {
  expect_one_error_line(
      run_taskscout("score --features " + path("f.npy") + " --labels " + path("y.npy") + " --method leep"),
      "--source-probs");
}

TEST_F(Cli, NonFiniteFeaturesAreNamed) {
  Array f = make_problem().features;
  f.mutable_values<float>()[4 * 7 + 2] = std::nanf("");
  write_npy(dir / "nan.npy", f);
  expect_one_error_line(
      run_taskscout("score --features " + path("nan.npy") + " --labels " + path("y.npy") + " --method logme"),
      "row 7, column 2");
}

TEST_F(Cli, SingleClassIsAnError) {
  Array y(DType::I64, {40});
  write_npy(dir / "one.npy", y);
  expect_one_error_line(
      run_taskscout("score --features " + path("f.npy") + " --labels " + path("one.npy") + " --method logme"),
      "single class");
}

TEST_F(Cli, MismatchedRowCountsAreAnError) {
  Array y(DType::I64, {39});
  write_npy(dir / "short.npy", y);
  expect_one_error_line(
      run_taskscout("score --features " + path("f.npy") + " --labels " + path("short.npy") + " --method logme"),
      "40 feature rows but 39 labels");
}

TEST_F(Cli, TruncatedAndEmptyArrayFilesAreNamed) {
  const std::string bytes = testing::read_text(dir / "f.npy");
  testing::write_text(dir / "cut.npy", bytes.substr(0, bytes.size() - 10));
  expect_one_error_line(
      run_taskscout("score --features " + path("cut.npy") + " --labels " + path("y.npy") + " --method logme"),
      "cut.npy");
  testing::write_text(dir / "empty.npy", "");
  expect_one_error_line(
      run_taskscout("score --features " + path("empty.npy") + " --labels " + path("y.npy") + " --method logme"),
      "empty.npy");
  write_safetensors(dir / "f.safetensors", {{"x", make_problem().features}});
  const std::string st = testing::read_text(dir / "f.safetensors");
  testing::write_text(dir / "cut.safetensors", st.substr(0, st.size() - 8));
  expect_one_error_line(
      run_taskscout("score --features " + path("cut.safetensors") + " --labels " + path("y.npy") + " --method logme"),
      "cut.safetensors");
}

TEST_F(Cli, MissingFileIsNamed) {
  expect_one_error_line(
      run_taskscout("score --features " + path("nope.npy") + " --labels " + path("y.npy") + " --method logme"),
      "nope.npy");
}

TEST_F(Cli, ClassWithOneExampleStillScoresWithLogme) {
  Array y = make_problem().labels;
  y.mutable_values<std::int64_t>()[0] = 5;  // class 5 has a single example
  write_npy(dir / "rare.npy", y);
  auto r = run_taskscout("score --features " + path("f.npy") + " --labels " + path("rare.npy") +
                         " --method logme,knn,gbc,h_score --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  for (auto& [name, v] : j["scores"].items()) EXPECT_TRUE(std::isfinite(v.get<double>())) << name;
}

TEST_F(Cli, AllSkipsAMethodThatCannotRunOnTheInputWithItsReason) {
  // A class with one example: linear_probe's cross-validation refuses it; before, `all`
  // failed as a whole and printed nothing.
  Array y = make_problem().labels;
  y.mutable_values<std::int64_t>()[0] = 5;
  write_npy(dir / "rare.npy", y);
  auto r = run_taskscout("score --features " + path("f.npy") + " --labels " + path("rare.npy") + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_FALSE(j["scores"].contains("linear_probe"));
  EXPECT_FALSE(j["seconds"].contains("linear_probe"));
  for (const char* m : {"logme", "knn", "gbc", "h_score"}) EXPECT_TRUE(j["scores"].contains(m)) << m;
  EXPECT_NE(r.err.find("note: skipping linear_probe: class "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(" has 1 example(s)"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("error:"), std::string::npos) << r.err;
  // Asked for by name, the method still fails the command.
  expect_one_error_line(run_taskscout("score --features " + path("f.npy") + " --labels " + path("rare.npy") +
                                      " --method logme,linear_probe"),
                        "linear_probe");
}

TEST_F(Cli, RegressionLabelsScoreWithRegressionMethods) {
  Array t(DType::F64, {40});
  auto v = t.mutable_values<double>();
  const Problem problem = make_problem();
  auto f = problem.features.values<float>();
  for (int i = 0; i < 40; ++i) v[i] = 3.0 * f[i * 4] - f[i * 4 + 1];
  write_npy(dir / "t.npy", t);
  auto r = run_taskscout("score --features " + path("f.npy") + " --labels " + path("t.npy") + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_TRUE(j["scores"].contains("logme"));
  EXPECT_FALSE(j["scores"].contains("h_score"));
  expect_one_error_line(
      run_taskscout("score --features " + path("f.npy") + " --labels " + path("t.npy") + " --method h_score"),
      "classification only");
}

TEST_F(Cli, LabelsFromATableScoreLikeClassIds) {
  // The same labels as y.npy, as names in a CSV column ("neg" < "pos,itive" by code point).
  const Problem problem = make_problem();
  std::string csv = "id,sentiment\n";
  for (auto v : problem.labels.values<std::int64_t>()) csv += v ? "1,\"pos,itive\"\n" : "0,neg\n";
  testing::write_text(dir / "y.csv", csv);
  auto a =
      run_taskscout("score --features " + path("f.npy") + " --labels " + path("y.npy") + " --method logme,knn --json");
  auto b = run_taskscout("score --features " + path("f.npy") + " --labels " + path("y.csv") +
                         " --label-column sentiment --method logme,knn --json");
  ASSERT_EQ(a.exit_code, 0) << a.err;
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_EQ(nlohmann::json::parse(a.out)["scores"], nlohmann::json::parse(b.out)["scores"]);
  testing::write_text(dir / "gap.csv", csv + "9,\n");  // line 42: an empty label
  expect_one_error_line(run_taskscout("score --features " + path("f.npy") + " --labels " + path("gap.csv") +
                                      " --label-column sentiment --method logme"),
                        "gap.csv:42:");
}

TEST_F(Cli, EvalPrintsPerTargetAndMean) {
  testing::write_text(dir / "t.csv",
                      "target,source,score,acc\n"
                      "a,s1,0.9,0.80\na,s2,0.5,0.70\na,s3,0.1,0.60\n"
                      "b,s1,0.2,0.90\nb,s2,0.8,0.50\nb,\"s,3\",0.4,0.70\n");
  auto r = run_taskscout("eval --data " + path("t.csv") + " --score-column score --truth-column acc --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["targets"]["a"]["n"], 3);
  EXPECT_DOUBLE_EQ(j["targets"]["a"]["kendall_tau_b"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(j["targets"]["a"]["regret@1"].get<double>(), 0.0);
  EXPECT_DOUBLE_EQ(j["targets"]["b"]["kendall_tau_b"].get<double>(), -1.0);
  EXPECT_NEAR(j["targets"]["b"]["regret@1"].get<double>(), (0.9 - 0.5) / 0.9 * 100, 1e-12);
  EXPECT_EQ(j["mean"]["n"], 2);
  EXPECT_DOUBLE_EQ(j["mean"]["kendall_tau_b"].get<double>(), 0.0);
  for (const char* key : {"weighted_tau", "spearman", "pearson", "regret@3", "regret@5", "ndcg@5", "precision@3"})
    EXPECT_TRUE(j["mean"].contains(key)) << key;
}

TEST_F(Cli, EvalNamesTheBadRow) {
  testing::write_text(dir / "bad.csv", "target,source,score,acc\na,s1,0.9,0.8\na,s2,oops,0.7\n");
  expect_one_error_line(run_taskscout("eval --data " + path("bad.csv") + " --score-column score --truth-column acc"),
                        "bad.csv:3:");
  expect_one_error_line(run_taskscout("eval --data " + path("bad.csv") + " --score-column logme --truth-column acc"),
                        "logme");
}

TEST_F(Cli, SynthThenScoreRanksTheCapturingSourceHigher) {
  auto r = run_taskscout("synth --out " + path("pool") + " --sources 6 --targets 1 --examples 400 --seed 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string pool = testing::read_text(dir / "pool" / "pool.csv");
  EXPECT_EQ(pool.rfind("target,source,shared_factors,target_factors,source_noise\n", 0), 0u);
  // Best and worst sources by shared factors (ties: lower noise) should order LogME alike.
  double best_shared = -1, worst_shared = 99;
  std::string best, worst;
  std::istringstream lines(pool);
  std::string line;
  std::getline(lines, line);
  while (std::getline(lines, line)) {
    std::istringstream cells(line);
    std::string t, s, shared, total, noise;
    std::getline(cells, t, ',');
    std::getline(cells, s, ',');
    std::getline(cells, shared, ',');
    const double v = std::stod(shared);
    if (v > best_shared) best_shared = v, best = s;
    if (v < worst_shared) worst_shared = v, worst = s;
  }
  ASSERT_LT(worst_shared, best_shared);
  auto logme_of = [&](const std::string& source) {
    auto s = run_taskscout("score --features " + path("pool/features/" + source + ".npy") + " --labels " +
                           path("pool/labels/t1.npy") + " --method logme --json");
    EXPECT_EQ(s.exit_code, 0) << s.err;
    return nlohmann::json::parse(s.out)["scores"]["logme"].get<double>();
  };
  EXPECT_GT(logme_of(best), logme_of(worst));
}

TEST(CliUsage, HelpListsEveryCommandAndBadFlagsAreOneLine) {
  auto r = run_taskscout("--help");
  EXPECT_EQ(r.exit_code, 0);
  for (const char* cmd : {"score", "eval", "synth"}) EXPECT_NE(r.out.find(cmd), std::string::npos) << cmd;
  auto s = run_taskscout("score --help");
  EXPECT_NE(s.out.find("linear_probe"), std::string::npos);
  expect_one_error_line(run_taskscout("score --features"), "error");
  expect_one_error_line(run_taskscout("frobnicate"), "frobnicate");
}

}  // namespace
}  // namespace taskscout
