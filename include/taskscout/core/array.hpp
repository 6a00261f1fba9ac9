#pragma once
// Array: a dense, row-major, typed n-d array — what .npy and safetensors files hold and
// what estimators read. It either owns its bytes or views bytes kept alive by someone
// else (a memory-mapped file). Deliberately free of libtorch so that I/O and the CLI
// compile fast; core/tensor.hpp turns an Array into an at::Tensor without copying.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace taskscout {

enum class DType { F16, BF16, F32, F64, I32, I64 };

std::size_t dtype_size(DType dtype);
// Safetensors spelling: "F16", "BF16", "F32", "F64", "I32", "I64".
std::string_view dtype_name(DType dtype);

template <class T>
constexpr DType dtype_of();
template <>
constexpr DType dtype_of<float>() {
  return DType::F32;
}
template <>
constexpr DType dtype_of<double>() {
  return DType::F64;
}
template <>
constexpr DType dtype_of<std::int32_t>() {
  return DType::I32;
}
template <>
constexpr DType dtype_of<std::int64_t>() {
  return DType::I64;
}

// "[1000, 768]"
std::string shape_string(const std::vector<std::int64_t>& shape);

class Array {
 public:
  Array() = default;
  // Owned, zero-initialized.
  Array(DType dtype, std::vector<std::int64_t> shape);
  // A view of `data`, which `owner` keeps alive (e.g. a mapped file).
  static Array view(DType dtype, std::vector<std::int64_t> shape, const std::byte* data,
                    std::shared_ptr<const void> owner);

  DType dtype() const { return dtype_; }
  const std::vector<std::int64_t>& shape() const { return shape_; }
  std::int64_t ndim() const { return static_cast<std::int64_t>(shape_.size()); }
  std::int64_t numel() const;
  std::size_t nbytes() const { return static_cast<std::size_t>(numel()) * dtype_size(dtype_); }
  // Rows and columns when read as a matrix: a 1-D array is N×1, an n-d array is
  // shape[0] × (product of the rest).
  std::int64_t rows() const;
  std::int64_t cols() const;
  bool empty() const { return numel() == 0; }

  const std::byte* bytes() const { return data_; }
  // Only for owned arrays (a view is read-only).
  std::byte* mutable_bytes();

  template <class T>
  std::span<const T> values() const& {
    check_dtype(dtype_of<T>());
    return {reinterpret_cast<const T*>(data_), static_cast<std::size_t>(numel())};
  }
  // A span into a temporary array would dangle: keep the array in a variable first.
  template <class T>
  std::span<const T> values() const&& = delete;
  template <class T>
  std::span<T> mutable_values() & {
    check_dtype(dtype_of<T>());
    return {reinterpret_cast<T*>(mutable_bytes()), static_cast<std::size_t>(numel())};
  }
  template <class T>
  std::span<T> mutable_values() && = delete;

  // A converted copy (or this array, shared, when the dtype already matches).
  // F16/BF16 decode exactly to F32/F64; integer ↔ float conversions are value casts.
  Array to(DType dtype) const;
  Array reshaped(std::vector<std::int64_t> shape) const;

 private:
  void check_dtype(DType wanted) const;

  DType dtype_ = DType::F32;
  std::vector<std::int64_t> shape_;
  std::shared_ptr<const void> owner_;
  const std::byte* data_ = nullptr;
  bool owned_ = false;
};

// IEEE half and bfloat16 decoding/encoding (round to nearest even).
float half_to_float(std::uint16_t h);
float bfloat16_to_float(std::uint16_t b);
std::uint16_t float_to_half(float f);
std::uint16_t float_to_bfloat16(float f);

}  // namespace taskscout
