#include <fmt/format.h>

#include "taskscout/core/error.hpp"
#include "taskscout/estimate/estimators.hpp"

namespace taskscout {

const std::vector<EstimatorInfo>& estimators() {
  static const std::vector<EstimatorInfo> table = {
      {"logme", "log marginal evidence of a Bayesian linear model (You et al. 2021)", false, true, logme},
      {"leep", "log expected empirical prediction from source probabilities (Nguyen et al. 2020)", true, false, leep},
      {"nce", "negative conditional entropy of labels given source predictions (Tran et al. 2019)", true, false, nce},
      {"h_score", "H-score: between-class over total feature covariance (Bao et al. 2019)", false, false, h_score},
      {"regularized_h_score", "H-score with Ledoit-Wolf shrinkage (Ibrahim et al. 2022)", false, false,
       regularized_h_score},
      {"transrate", "coding-rate difference of features and class features (Huang et al. 2022)", false, false,
       transrate},
      {"gbc", "Gaussian Bhattacharyya coefficient between classes (Pandy et al. 2022)", false, false, gbc},
      {"knn", "leave-one-out k-nearest-neighbour accuracy (regression: -MSE)", false, true, knn},
      {"linear_probe", "cross-validated logistic regression accuracy (regression: ridge R^2)", false, true,
       linear_probe},
  };
  return table;
}

const EstimatorInfo& find_estimator(std::string_view name) {
  std::vector<std::string> names;
  for (const auto& e : estimators()) {
    if (e.name == name) return e;
    names.push_back(e.name);
  }
  throw UsageError(fmt::format("unknown method '{}'; choose from {} or all", name, fmt::join(names, ", ")));
}

}  // namespace taskscout
