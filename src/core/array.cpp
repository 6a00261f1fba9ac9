#include "taskscout/core/array.hpp"

#include <fmt/format.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <functional>
#include <numeric>

#include "taskscout/core/error.hpp"

namespace taskscout {

std::size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::F16:
    case DType::BF16:
      return 2;
    case DType::F32:
    case DType::I32:
      return 4;
    case DType::F64:
    case DType::I64:
      return 8;
  }
  return 0;
}

std::string_view dtype_name(DType dtype) {
  switch (dtype) {
    case DType::F16:
      return "F16";
    case DType::BF16:
      return "BF16";
    case DType::F32:
      return "F32";
    case DType::F64:
      return "F64";
    case DType::I32:
      return "I32";
    case DType::I64:
      return "I64";
  }
  return "?";
}

std::string shape_string(const std::vector<std::int64_t>& shape) { return fmt::format("[{}]", fmt::join(shape, ", ")); }

Array::Array(DType dtype, std::vector<std::int64_t> shape) : dtype_(dtype), shape_(std::move(shape)) {
  for (auto s : shape_)
    if (s < 0) throw Error("array dimension must be non-negative, got " + shape_string(shape_));
  auto storage = std::make_shared<std::vector<std::byte>>(nbytes());
  data_ = storage->data();
  owner_ = std::move(storage);
  owned_ = true;
}

Array Array::view(DType dtype, std::vector<std::int64_t> shape, const std::byte* data,
                  std::shared_ptr<const void> owner) {
  Array a;
  a.dtype_ = dtype;
  a.shape_ = std::move(shape);
  a.data_ = data;
  a.owner_ = std::move(owner);
  a.owned_ = false;
  return a;
}

std::int64_t Array::numel() const {
  return std::accumulate(shape_.begin(), shape_.end(), std::int64_t{1}, std::multiplies<>());
}

std::int64_t Array::rows() const { return shape_.empty() ? 1 : shape_[0]; }

std::int64_t Array::cols() const {
  if (shape_.size() <= 1) return 1;
  return std::accumulate(shape_.begin() + 1, shape_.end(), std::int64_t{1}, std::multiplies<>());
}

std::byte* Array::mutable_bytes() {
  if (!owned_) throw Error("internal: attempt to write into a read-only array view");
  return const_cast<std::byte*>(data_);
}

void Array::check_dtype(DType wanted) const {
  if (wanted != dtype_)
    throw Error(fmt::format("internal: array holds {}, read as {}", dtype_name(dtype_), dtype_name(wanted)));
}

Array Array::reshaped(std::vector<std::int64_t> shape) const {
  Array a = *this;
  a.shape_ = std::move(shape);
  if (a.numel() != numel())
    throw Error(fmt::format("cannot reshape {} to {}", shape_string(shape_), shape_string(a.shape_)));
  return a;
}

namespace {

double load(const std::byte* p, DType dtype) {
  switch (dtype) {
    case DType::F16: {
      std::uint16_t h;
      std::memcpy(&h, p, 2);
      return half_to_float(h);
    }
    case DType::BF16: {
      std::uint16_t b;
      std::memcpy(&b, p, 2);
      return bfloat16_to_float(b);
    }
    case DType::F32: {
      float v;
      std::memcpy(&v, p, 4);
      return v;
    }
    case DType::F64: {
      double v;
      std::memcpy(&v, p, 8);
      return v;
    }
    case DType::I32: {
      std::int32_t v;
      std::memcpy(&v, p, 4);
      return v;
    }
    case DType::I64: {
      std::int64_t v;
      std::memcpy(&v, p, 8);
      return static_cast<double>(v);
    }
  }
  return 0;
}

void store(std::byte* p, DType dtype, double v) {
  switch (dtype) {
    case DType::F16: {
      auto h = float_to_half(static_cast<float>(v));
      std::memcpy(p, &h, 2);
      return;
    }
    case DType::BF16: {
      auto b = float_to_bfloat16(static_cast<float>(v));
      std::memcpy(p, &b, 2);
      return;
    }
    case DType::F32: {
      float f = static_cast<float>(v);
      std::memcpy(p, &f, 4);
      return;
    }
    case DType::F64:
      std::memcpy(p, &v, 8);
      return;
    case DType::I32: {
      auto i = static_cast<std::int32_t>(v);
      std::memcpy(p, &i, 4);
      return;
    }
    case DType::I64: {
      auto i = static_cast<std::int64_t>(v);
      std::memcpy(p, &i, 8);
      return;
    }
  }
}

}  // namespace

Array Array::to(DType dtype) const {
  if (dtype == dtype_) return *this;
  Array out(dtype, shape_);
  const std::size_t in_size = dtype_size(dtype_), out_size = dtype_size(dtype);
  std::byte* dst = out.mutable_bytes();
  const std::int64_t n = numel();
  if (dtype_ == DType::I64 && dtype == DType::I32) {
    // Exact integer narrowing must not pass through double.
    auto src = values<std::int64_t>();
    auto d = out.mutable_values<std::int32_t>();
    for (std::int64_t i = 0; i < n; ++i) d[i] = static_cast<std::int32_t>(src[i]);
    return out;
  }
  if (dtype_ == DType::I32 && dtype == DType::I64) {
    auto src = values<std::int32_t>();
    auto d = out.mutable_values<std::int64_t>();
    for (std::int64_t i = 0; i < n; ++i) d[i] = src[i];
    return out;
  }
  for (std::int64_t i = 0; i < n; ++i) store(dst + i * out_size, dtype, load(data_ + i * in_size, dtype_));
  return out;
}

float half_to_float(std::uint16_t h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  const std::uint32_t exp = (h >> 10) & 0x1fu;
  const std::uint32_t mant = h & 0x3ffu;
  std::uint32_t bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {  // subnormal: value = mant * 2^-24
      float v = std::ldexp(static_cast<float>(mant), -24);
      return sign ? -v : v;
    }
  } else if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (mant << 13);
  } else {
    bits = sign | ((exp + 112u) << 23) | (mant << 13);
  }
  return std::bit_cast<float>(bits);
}

float bfloat16_to_float(std::uint16_t b) { return std::bit_cast<float>(static_cast<std::uint32_t>(b) << 16); }

std::uint16_t float_to_bfloat16(float f) {
  std::uint32_t bits = std::bit_cast<std::uint32_t>(f);
  if (std::isnan(f)) return static_cast<std::uint16_t>((bits >> 16) | 0x40u);
  bits += 0x7fffu + ((bits >> 16) & 1u);  // round to nearest even
  return static_cast<std::uint16_t>(bits >> 16);
}

std::uint16_t float_to_half(float f) {
  const std::uint32_t bits = std::bit_cast<std::uint32_t>(f);
  const std::uint16_t sign = static_cast<std::uint16_t>((bits >> 16) & 0x8000u);
  const float a = std::fabs(f);
  if (std::isnan(f)) return sign | 0x7e00u;
  if (a >= 65520.0f) return sign | 0x7c00u;             // rounds to infinity
  if (a < 6.103515625e-05f) {                           // subnormal half: multiples of 2^-24
    const float q = std::nearbyint(std::ldexp(a, 24));  // default rounding: to nearest even
    return sign | static_cast<std::uint16_t>(q);
  }
  std::uint32_t m = bits & 0x7fffffffu;
  m += 0xfffu + ((m >> 13) & 1u);  // round mantissa to 10 bits, nearest even
  return sign | static_cast<std::uint16_t>((m >> 13) - (112u << 10));
}

}  // namespace taskscout
