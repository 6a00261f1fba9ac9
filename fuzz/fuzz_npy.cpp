// Arrays: .npy files (io/npy.hpp) and the array specs the commands take (io/array_file.hpp).
#include "fuzz_support.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/io/array_file.hpp"
#include "taskscout/io/npy.hpp"

using namespace taskscout;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto path = fuzz::scratch_file("array.npy", data, size);
  try {
    const Array a = read_npy(path);
    // Touch every value: the header's shape must describe the bytes that are there.
    if (a.dtype() == DType::F32 || a.dtype() == DType::F64 || a.dtype() == DType::I64 || a.dtype() == DType::I32) {
      const Array d = a.to(DType::F64);
      double sum = 0;
      for (double v : d.values<double>()) sum += v;
      (void)sum;
    }
  } catch (const Error&) {
  }
  try {
    (void)load_array(path.string());
  } catch (const Error&) {
  }
  return 0;
}
