#pragma once
// How a task embedding (taskemb.hpp) is taken: plain options, without libtorch, so that
// the public API (registration, ranking) can carry them.
#include <cstddef>
#include <cstdint>

namespace taskscout {

struct TaskEmbOptions {
  std::size_t max_examples = 1000;  // a seeded sample of the rows when there are more
  std::size_t batch_size = 32;
  std::size_t max_length = 0;  // tokens per text; 0: the length the model was trained with
  std::uint64_t seed = 0;
};

}  // namespace taskscout
