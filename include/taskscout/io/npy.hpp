#pragma once
// NumPy .npy files (format versions 1.0, 2.0 and 3.0).
// Reads little-endian <f2 <f4 <f8 <i4 <i8 in C or Fortran order (Fortran order is
// transposed into C order while reading). Writes C order with exactly the header numpy
// 1.24's np.save writes, so files are byte-identical to numpy's.
#include <filesystem>

#include "taskscout/core/array.hpp"

namespace taskscout {

// Throws IoError when the file cannot be read and InputError naming the file for a bad
// magic string, a malformed header, an unsupported or big-endian dtype (named in the
// message), or data shorter or longer than the header's shape says.
Array read_npy(const std::filesystem::path& path);

// Atomic. Throws UsageError for BF16, which numpy has no dtype for (use safetensors).
void write_npy(const std::filesystem::path& path, const Array& array);

}  // namespace taskscout
