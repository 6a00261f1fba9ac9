// DARE's keep draws, 624 at a time: the stream at::rand gives dare_mask (MT19937 seeded by
// the generator's seed, one 32-bit word per float, its low 24 bits times 2⁻²⁴), but
// generated a whole state block at a time with loops that vectorize. at::mt19937 returns
// one word per call at ~2 ns, which made the draws a third of a DARE merge's CPU time.
// The tests hold the kernel's DARE merges to dare_mask's draws bit for bit.
#include "merge_methods.hpp"

namespace taskscout::merge_detail {
namespace {

constexpr std::uint32_t kMatrix = 0x9908b0dfu, kUpper = 0x80000000u, kLower = 0x7fffffffu;
constexpr int kShift = 397;

// MT19937's step: the upper bit of a and the lower 31 of b, shifted, xor the twist matrix
// when odd (branch-free).
inline std::uint32_t twist(std::uint32_t a, std::uint32_t b) {
  const std::uint32_t y = (a & kUpper) | (b & kLower);
  return (y >> 1) ^ (-(y & 1u) & kMatrix);
}

}  // namespace

DareDraws::DareDraws(std::uint64_t seed) {
  // at::mt19937's seeding (the standard init_genrand of the seed's low 32 bits).
  state_[0] = static_cast<std::uint32_t>(seed & 0xffffffffu);
  for (std::uint32_t j = 1; j < kState; ++j) state_[j] = 1812433253u * (state_[j - 1] ^ (state_[j - 1] >> 30)) + j;
}

void DareDraws::refill() {
  // The next state block, in the three runs whose reads do not depend on their own writes.
  std::uint32_t* s = state_.data();
  for (int i = 0; i < kState - kShift; ++i) s[i] = s[i + kShift] ^ twist(s[i], s[i + 1]);
  for (int i = kState - kShift; i < kState - 1; ++i) s[i] = s[i + kShift - kState] ^ twist(s[i], s[i + 1]);
  s[kState - 1] = s[kShift - 1] ^ twist(s[kState - 1], s[0]);
  // Tempered, and as at::rand's float: the low 24 bits times 2⁻²⁴.
  for (int i = 0; i < kState; ++i) {
    std::uint32_t y = s[i];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    y ^= y >> 18;
    uniform_[static_cast<std::size_t>(i)] =
        static_cast<float>(static_cast<std::int32_t>(y & 0xffffffu)) * (1.0f / 16777216.0f);
  }
  next_ = 0;
}

void DareDraws::keep(std::uint8_t* out, std::int64_t n, float density) {
  while (n > 0) {
    if (next_ == kState) refill();
    const std::int64_t take = std::min<std::int64_t>(n, kState - next_);
    const float* u = uniform_.data() + next_;
    for (std::int64_t i = 0; i < take; ++i) out[i] = u[i] < density;
    out += take;
    n -= take;
    next_ += static_cast<int>(take);
  }
}

}  // namespace taskscout::merge_detail
