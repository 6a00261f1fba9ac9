#include "taskscout/core/tensor.hpp"

#include <cstring>

#include "taskscout/core/error.hpp"

namespace taskscout {

at::ScalarType scalar_type(DType dtype) {
  switch (dtype) {
    case DType::F16:
      return at::kHalf;
    case DType::BF16:
      return at::kBFloat16;
    case DType::F32:
      return at::kFloat;
    case DType::F64:
      return at::kDouble;
    case DType::I32:
      return at::kInt;
    case DType::I64:
      return at::kLong;
  }
  throw Error("internal: unknown dtype");
}

at::Tensor as_tensor(const Array& array) {
  auto keep = std::make_shared<Array>(array);
  return at::from_blob(
      const_cast<std::byte*>(array.bytes()), array.shape(), [keep](void*) mutable { keep.reset(); },
      at::TensorOptions().dtype(scalar_type(array.dtype())));
}

Array to_array(const at::Tensor& tensor) {
  const at::Tensor t = tensor.contiguous();
  DType dtype;
  switch (t.scalar_type()) {
    case at::kHalf:
      dtype = DType::F16;
      break;
    case at::kBFloat16:
      dtype = DType::BF16;
      break;
    case at::kFloat:
      dtype = DType::F32;
      break;
    case at::kDouble:
      dtype = DType::F64;
      break;
    case at::kInt:
      dtype = DType::I32;
      break;
    case at::kLong:
      dtype = DType::I64;
      break;
    default:
      throw Error(std::string("internal: no Array dtype for tensor type ") + at::toString(t.scalar_type()));
  }
  Array out(dtype, t.sizes().vec());
  if (out.nbytes() > 0) std::memcpy(out.mutable_bytes(), t.data_ptr(), out.nbytes());
  return out;
}

}  // namespace taskscout
