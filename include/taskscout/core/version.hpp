#pragma once
// taskscout's version, from the project() line of CMakeLists.txt: the one place it is set.
namespace taskscout {

// "0.1.0"
const char* version();

}  // namespace taskscout
