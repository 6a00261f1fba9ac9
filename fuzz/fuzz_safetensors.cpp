// Safetensors files (io/safetensors.hpp): the header is checked against the file before
// any tensor is read; then every tensor is read and converted.
#include "fuzz_support.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/io/array_file.hpp"
#include "taskscout/io/safetensors.hpp"

using namespace taskscout;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto path = fuzz::scratch_file("tensors.safetensors", data, size);
  try {
    const SafetensorsFile file(path);
    for (const std::string& name : file.names()) {
      try {
        const Array a = file.get(name);
        const Array d = a.to(DType::F64);
        double sum = 0;
        for (double v : d.values<double>()) sum += v;
        (void)sum;
      } catch (const Error&) {
      }
    }
    (void)file.metadata().size();
  } catch (const Error&) {
  }
  try {
    (void)load_array(path.string());
  } catch (const Error&) {
  }
  return 0;
}
