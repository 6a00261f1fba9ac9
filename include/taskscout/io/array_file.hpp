#pragma once
// One way to name an array on the command line, whatever file holds it:
//   file.npy                a NumPy array
//   file.safetensors        the only tensor in the file
//   file.safetensors:NAME   the tensor NAME
#include <filesystem>
#include <string>

#include "taskscout/core/array.hpp"

namespace taskscout {

// Throws UsageError for any other form, InputError for a safetensors file that does not
// hold exactly one tensor when no NAME is given (listing the names), and the errors of
// read_npy / SafetensorsFile otherwise.
Array load_array(const std::string& spec);

// By extension: .npy, or .safetensors holding one tensor named `tensor_name`. Atomic.
// Throws UsageError for any other extension.
void save_array(const std::filesystem::path& path, const Array& array, const std::string& tensor_name = "data");

}  // namespace taskscout
