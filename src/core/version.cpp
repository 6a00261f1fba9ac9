#include "taskscout/core/version.hpp"

namespace taskscout {

// TASKSCOUT_VERSION is defined for this file only (cmake/taskscout_module.cmake), so a new version
// rebuilds one file.
const char* version() { return TASKSCOUT_VERSION; }

}  // namespace taskscout
