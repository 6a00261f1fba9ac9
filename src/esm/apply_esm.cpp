#include "taskscout/esm/apply_esm.hpp"

#include <fmt/format.h>

#include "taskscout/core/error.hpp"
#include "taskscout/core/tensor.hpp"

namespace taskscout {

at::Tensor apply_esm(const Esm& esm, const at::Tensor& x) {
  if (x.dim() != 2 || x.size(1) != esm.dim())
    throw InputError(
        fmt::format("embeddings with {} columns do not match the ESM's dimension {}; they must come "
                    "from the ESM's base model",
                    x.dim() == 2 ? x.size(1) : x.numel(), esm.dim()));
  const at::ScalarType type = x.scalar_type() == at::kDouble ? at::kDouble : at::kFloat;
  return at::addmm(as_tensor(esm.bias).to(type), x.to(type), as_tensor(esm.weight).to(type).t());
}

}  // namespace taskscout
