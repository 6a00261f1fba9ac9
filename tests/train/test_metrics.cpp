// Fine-tuning metrics against scikit-learn and SciPy (values computed once with Debian's
// python3-sklearn 1.2.1 / python3-scipy 1.10.1: accuracy_score, f1_score(average="macro"),
// pearsonr, spearmanr) and hand values.
#include <gtest/gtest.h>

#include <cmath>

#include "taskscout/core/error.hpp"
#include "taskscout/train/metrics.hpp"

using namespace taskscout;

TEST(Metrics, ClassificationAsScikitLearn) {
  // Class 3 is only predicted, never true: sklearn counts it (F1 0) in the macro mean.
  const std::vector<std::int64_t> predicted{0, 2, 1, 1, 0, 3, 2, 2}, truth{0, 1, 1, 1, 2, 2, 2, 0};
  EXPECT_DOUBLE_EQ(accuracy(predicted, truth), 0.5);
  EXPECT_NEAR(macro_f1(predicted, truth), 0.4083333333333333, 1e-15);
  const Metrics m = classification_metrics(predicted, truth);
  EXPECT_EQ(m.main_name(), "accuracy");
  EXPECT_DOUBLE_EQ(m.get("macro_f1"), macro_f1(predicted, truth));
  EXPECT_TRUE(std::isnan(m.get("pearson")));
  const std::vector<std::int64_t> all_right{1, 0, 1};
  EXPECT_DOUBLE_EQ(macro_f1(all_right, all_right), 1.0);
  EXPECT_THROW(accuracy(all_right, predicted), UsageError);
}

TEST(Metrics, RegressionAsSciPy) {
  const std::vector<double> a{1.0, 2.0, 2.0, 3.5, -1.0, 0.0}, b{0.5, 2.5, 1.0, 1.0, -2.0, 0.25};
  EXPECT_NEAR(pearson_correlation(a, b), 0.7578594568666226, 1e-14);
  EXPECT_NEAR(spearman_correlation(a, b), 0.8676470588235294, 1e-14);  // ties share average ranks
  EXPECT_NEAR(mean_squared_error(a, b), (0.25 + 0.25 + 1 + 6.25 + 1 + 0.0625) / 6, 1e-15);
  const std::vector<double> flat{1, 1, 1, 1, 1, 1};
  EXPECT_TRUE(std::isnan(pearson_correlation(a, flat)));
  const Metrics m = regression_metrics(a, b);
  EXPECT_EQ(m.main_name(), "pearson");
  EXPECT_EQ(m.values.size(), 3u);
}
