#error "the public API (taskscout/taskscout.hpp) must not include libtorch"
