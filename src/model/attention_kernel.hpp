#pragma once
// Scaled dot-product attention for inference, one (batch, head) pair per task.
#include <ATen/ATen.h>

#include <cstdint>

namespace taskscout {

// softmax(alpha·Q·Kᵀ + mask)·V for every pair p = b·heads + h. q, k, v: [P, L, dh]
// contiguous float32; mask: [B, L] additive float32 (P = B·heads). Returns [P, L, dh].
//
// Why not at::bmm: libtorch's CPU bmm runs the pairs one after another, each a small GEMM
// (L×dh×L, e.g. 128×64×128) that OpenBLAS splits over its threads, and at these sizes the
// synchronization costs more than the arithmetic (about 10–20 GFLOP/s here). The pairs
// are independent, so they run in parallel instead, each GEMM on one thread. No autograd:
// training uses the at::baddbmm form.
at::Tensor attention_by_head(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& mask,
                             std::int64_t heads, double alpha);

}  // namespace taskscout
