#pragma once
// Central finite differences in float64 against autograd, for the training tests.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "taskscout/model/parameters.hpp"

namespace taskscout::testing {

// Every tensor as a float64 leaf that requires gradients.
inline ParameterMap as_double_leaves(const ParameterMap& p) {
  ParameterMap out;
  for (const auto& [name, t] : p) out[name] = t.detach().to(at::kDouble).clone().set_requires_grad(true);
  return out;
}

// Compares d loss / d t[i] from autograd with (loss(t + h) − loss(t − h)) / 2h at `samples`
// coordinates of each named tensor (spread over the tensor), to 1e-6 relative.
inline void expect_gradients_match(ParameterMap& p, const std::vector<std::string>& names,
                                   const std::function<at::Tensor(const ParameterMap&)>& loss, int samples = 5) {
  for (auto& [name, t] : p) t.mutable_grad() = at::Tensor();
  loss(p).backward();
  for (const std::string& name : names) {
    at::Tensor& t = p.at(name);
    ASSERT_TRUE(t.grad().defined()) << name << " got no gradient";
    const at::Tensor grad = t.grad().clone().flatten();
    const std::int64_t n = t.numel();
    for (int s = 0; s < samples; ++s) {
      const std::int64_t i = (s * 7919 + 13) % n;
      const double h = 1e-6;
      double up, down;
      {
        at::NoGradGuard no_grad;
        auto flat = t.view({-1});
        const double v = flat[i].item<double>();
        flat[i] = v + h;
        up = loss(p).item<double>();
        flat[i] = v - h;
        down = loss(p).item<double>();
        flat[i] = v;
      }
      const double numeric = (up - down) / (2 * h), analytic = grad[i].item<double>();
      EXPECT_NEAR(analytic, numeric, 1e-6 * std::max(1.0, std::abs(numeric))) << name << "[" << i << "]";
    }
  }
}

}  // namespace taskscout::testing
