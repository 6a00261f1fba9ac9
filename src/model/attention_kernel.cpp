#include "attention_kernel.hpp"

#include <ATen/Parallel.h>

#include <cstring>

#include "taskscout/core/lapack.hpp"
#include "taskscout/core/threads.hpp"

namespace taskscout {
namespace {

// OpenBLAS single-threaded inside the parallel loops, back to taskscout's count after.
struct SingleThreadedBlas {
  SingleThreadedBlas() { lapack::set_blas_threads(1); }
  ~SingleThreadedBlas() { lapack::set_blas_threads(thread_count()); }
};

}  // namespace

at::Tensor attention_by_head(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& mask,
                             std::int64_t heads, double alpha) {
  const std::int64_t pairs = q.size(0), l = q.size(1), dh = q.size(2);
  TORCH_CHECK(q.is_contiguous() && k.is_contiguous() && v.is_contiguous() && mask.is_contiguous() &&
              q.scalar_type() == at::kFloat && mask.size(0) * heads == pairs && mask.size(1) == l);
  at::Tensor scores = at::empty({pairs, l, l}, q.options());
  at::Tensor out = at::empty({pairs, l, dh}, q.options());
  const float *qp = q.data_ptr<float>(), *kp = k.data_ptr<float>(), *vp = v.data_ptr<float>();
  const float* mp = mask.data_ptr<float>();
  const int li = static_cast<int>(l), dhi = static_cast<int>(dh);
  SingleThreadedBlas blas;
  // Row-major S = α·Q·Kᵀ + mask is column-major Sᵀ = α·K·Qᵀ + Sᵀ, with every row of S
  // starting as the mask.
  float* sp = scores.data_ptr<float>();
  at::parallel_for(0, pairs, 1, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t p = begin; p < end; ++p) {
      float* s = sp + p * l * l;
      const float* m = mp + (p / heads) * l;
      for (std::int64_t r = 0; r < l; ++r) std::memcpy(s + r * l, m, static_cast<std::size_t>(l) * sizeof(float));
      lapack::gemm_f32(true, false, li, li, dhi, static_cast<float>(alpha), kp + p * l * dh, dhi, qp + p * l * dh, dhi,
                       1.0f, s, li);
    }
  });
  const at::Tensor probs = at::softmax(scores, -1);
  // Row-major C = P·V is column-major Cᵀ = Vᵀ·Pᵀ.
  const float* pp = probs.data_ptr<float>();
  float* op = out.data_ptr<float>();
  at::parallel_for(0, pairs, 1, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t p = begin; p < end; ++p)
      lapack::gemm_f32(false, false, dhi, li, li, 1.0f, vp + p * l * dh, dhi, pp + p * l * l, li, 0.0f, op + p * l * dh,
                       dhi);
  });
  return out;
}

}  // namespace taskscout
