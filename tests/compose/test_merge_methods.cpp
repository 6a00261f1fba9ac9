// Every merge method against the independent numpy oracle (scripts/oracles/compose/
// merge_oracle.py), DARE on the oracle's saved masks; and the properties of the pieces:
// trimming, breadcrumbs' band, DARE's dropped share, rescale and seed determinism.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "taskscout/compose/merge_method.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/core/tensor.hpp"
#include "taskscout/io/safetensors.hpp"
#include "test_support.hpp"

namespace taskscout {
namespace {

using nlohmann::json;

MergeParameters density(double d, double gamma = 0.01) {
  MergeParameters p;
  p.density = d;
  p.gamma = gamma;
  return p;
}

at::Tensor mask(std::vector<int> v) { return at::tensor(v, at::kInt).to(at::kBool); }

struct Oracle {
  SafetensorsFile file{testing::fixtures_dir() / "compose" / "merge_oracle.safetensors"};
  json params = json::parse(testing::read_text(testing::fixtures_dir() / "compose" / "merge_oracle.json"));
  at::Tensor get(const std::string& name) const { return as_tensor(file.get(name)).clone(); }
};

TEST(MergeMethods, EveryMethodMatchesTheOracle) {
  const Oracle o;
  const auto weights = o.params["weights"].get<std::vector<double>>();
  const std::size_t k = o.params["sources"].get<std::size_t>();
  MergeParameters p;
  p.lambda = o.params["lambda"];
  p.density = o.params["density"];
  p.gamma = o.params["gamma"];
  p.fisher_floor = o.params["fisher_floor"];
  p.mask = [&](std::size_t source, const std::string& tensor) {
    return o.get(fmt::format("mask{}.{}", source, tensor)).ne(0);
  };
  std::size_t compared = 0;
  for (const std::string method : o.params["methods"]) {
    for (const std::string tensor : o.params["tensors"]) {
      std::vector<at::Tensor> sources, fishers;
      for (std::size_t s = 0; s < k; ++s) {
        sources.push_back(o.get(fmt::format("source{}.{}", s, tensor)));
        fishers.push_back(o.get(fmt::format("fisher{}.{}", s, tensor)));
      }
      const TensorInputs in = tensor_inputs(tensor, o.get("base." + tensor), sources, weights, fishers);
      const at::Tensor merged = find_merge_method(method).merge(in, p);
      const at::Tensor expected = o.get("expected." + method + "." + tensor);
      EXPECT_TRUE(at::allclose(merged, expected, 1e-5, 1e-6))
          << method << " " << tensor << ": max difference " << (merged - expected).abs().max().item<double>();
      ++compared;
    }
  }
  EXPECT_EQ(compared, 21u);
}

TEST(MergeMethods, LinearOfOneModelIsThatModel) {
  const at::Tensor base = at::randn({5, 4}), model = at::randn({5, 4});
  for (double w : {1.0, 0.3})
    EXPECT_TRUE(at::equal(find_merge_method("linear").merge(tensor_inputs("t", base, {model}, {w}), {}), model));
}

TEST(MergeMethods, TaskArithmeticWithLambdaZeroIsTheBase) {
  const at::Tensor base = at::randn({5, 4});
  MergeParameters p;
  p.lambda = 0;
  for (const char* m : {"task-arithmetic", "ties", "dare-linear", "dare-ties", "breadcrumbs"}) {
    p.density = 0.5;
    EXPECT_TRUE(at::equal(
        find_merge_method(m).merge(tensor_inputs("t", base, {at::randn({5, 4}), at::randn({5, 4})}), p), base))
        << m;
  }
}

TEST(MergeMethods, TiesOfOneSourceAtFullDensityIsThatSource) {
  at::manual_seed(5);
  const at::Tensor base = at::randn({6, 3}), model = at::randn({6, 3});
  // θ₀ + (θ − θ₀) is θ up to one float rounding of the larger of the two, which can exceed
  // allclose's default absolute 1e-8 where θ is near zero and θ₀ is not.
  EXPECT_TRUE(at::allclose(find_merge_method("ties").merge(tensor_inputs("t", base, {model}), {}), model, 1e-6, 1e-6));
}

TEST(MergeMethods, TrimKeepsTheLargestMagnitudes) {
  const at::Tensor tau = at::tensor({0.1f, -5.0f, 0.3f, 2.0f, -0.2f, 0.0f, 1.0f, -3.0f});
  const at::Tensor keep = magnitude_trim_mask(tau, 0.5);  // 4 of 8
  EXPECT_TRUE(at::equal(keep, mask({0, 1, 0, 1, 0, 0, 1, 1})));
  EXPECT_EQ(magnitude_trim_mask(tau, 1.0).sum().item<int64_t>(), 8);
  EXPECT_EQ(magnitude_trim_mask(tau, 0.01).sum().item<int64_t>(), 0);
}

TEST(MergeMethods, ThresholdIsTheExactOrderStatistic) {
  // Against a sort, on a tensor large enough to be split across threads, with repeated
  // magnitudes, both signs, zeros, −0 and subnormals.
  at::Tensor tau = at::randn({3'000'001}).mul_(1e-3).round_().mul_(1e3);  // many ties
  tau.index_put_({at::indexing::Slice(0, 1000)}, 0.0f);
  tau.index_put_({at::indexing::Slice(1000, 1100)}, -0.0f);
  tau.index_put_({at::indexing::Slice(1100, 1200)}, 1e-40f);
  const at::Tensor sorted = std::get<0>(tau.abs().sort(0, /*descending=*/true));
  EXPECT_EQ(magnitude_threshold(tau, 0.99999999).item<float>(), -1.0f);  // every entry kept
  for (double density : {1e-6, 0.01, 0.2, 0.5, 0.9999, 0.9999995}) {
    const auto m = static_cast<std::int64_t>(std::floor(density * 3'000'001 + 0.5));
    EXPECT_EQ(magnitude_threshold(tau, density).item<float>(), sorted[m - 1].item<float>()) << density;
  }
}

TEST(MergeMethods, BreadcrumbsDropsBothEnds) {
  const at::Tensor tau = at::tensor({0.1f, -5.0f, 0.3f, 2.0f, -0.2f, 0.05f, 1.0f, -3.0f, 0.7f, 0.4f});
  // Drop the single largest (|−5|), keep the next 5 (3, 2, 1, 0.7, 0.4), drop the rest.
  const at::Tensor keep = breadcrumbs_mask(tau, 0.5, 0.1);
  EXPECT_TRUE(at::equal(keep, mask({0, 0, 0, 1, 0, 0, 1, 1, 1, 1})));
  EXPECT_THROW(find_merge_method("breadcrumbs").check(density(0.95, 0.1)), UsageError);
}

TEST(MergeMethods, DareDropsOneMinusDensityAndRescales) {
  const std::vector<std::int64_t> shape{400, 500};
  const at::Tensor base = at::zeros(shape), source = at::ones(shape);
  MergeParameters p;
  p.density = 0.3;
  p.seed = 7;
  const at::Tensor merged = find_merge_method("dare-linear").merge(tensor_inputs("layer.w", base, {source}), p);
  const double kept = merged.ne(0).to(at::kDouble).mean().item<double>();
  EXPECT_NEAR(kept, 0.3, 0.005);  // 200,000 draws: 5 standard deviations ≈ 0.005
  // Every kept entry is rescaled by 1/density, so the expectation is the task vector's.
  EXPECT_TRUE(at::allclose(merged.masked_select(merged.ne(0)), at::full({1}, 1 / 0.3f)));
  EXPECT_NEAR(merged.mean().item<double>(), 1.0, 0.02);
}

TEST(MergeMethods, DareMasksFollowTheSeedSourceAndTensor) {
  const at::Tensor a = dare_mask({50, 40}, 0.5, 1, 0, "x"), b = dare_mask({50, 40}, 0.5, 1, 0, "x");
  EXPECT_TRUE(at::equal(a, b));
  EXPECT_FALSE(at::equal(a, dare_mask({50, 40}, 0.5, 2, 0, "x")));
  EXPECT_FALSE(at::equal(a, dare_mask({50, 40}, 0.5, 1, 1, "x")));
  EXPECT_FALSE(at::equal(a, dare_mask({50, 40}, 0.5, 1, 0, "y")));
  // The same seed gives the same merge.
  const at::Tensor base = at::randn({30, 20});
  MergeParameters p;
  p.density = 0.4;
  p.seed = 3;
  const TensorInputs in = tensor_inputs("t", base, {at::randn({30, 20}), at::randn({30, 20})});
  EXPECT_TRUE(at::equal(find_merge_method("dare-ties").merge(in, p), find_merge_method("dare-ties").merge(in, p)));
}

TEST(MergeMethods, FisherWeighsByInformation) {
  // Source 0 knows entry 0, source 1 entry 1: each entry comes from the source that knows it.
  const at::Tensor base = at::zeros({2}), s0 = at::tensor({1.0f, 5.0f}), s1 = at::tensor({9.0f, 3.0f});
  const TensorInputs in = tensor_inputs("t", base, {s0, s1}, {}, {at::tensor({1.0f, 0.0f}), at::tensor({0.0f, 1.0f})});
  const at::Tensor merged = find_merge_method("fisher").merge(in, {});
  EXPECT_NEAR(merged[0].item<double>(), 1.0, 1e-5);
  EXPECT_NEAR(merged[1].item<double>(), 3.0, 1e-5);
}

TEST(MergeMethods, UnknownMethodAndBadDensityAreRefused) {
  try {
    find_merge_method("soup");
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("ties"), std::string::npos) << e.what();
  }
  EXPECT_THROW(find_merge_method("ties").check(density(0)), UsageError);
  EXPECT_THROW(find_merge_method("dare-linear").check(density(1.5)), UsageError);
  EXPECT_EQ(merge_methods().size(), 7u);
}

}  // namespace
}  // namespace taskscout
