#include "taskscout/core/version.hpp"

namespace taskscout {

// TASKSCOUT_VERSION is defined for this file only (src/CMakeLists.txt), so a new version
// rebuilds one file.
const char* version() { return TASKSCOUT_VERSION; }

}  // namespace taskscout
