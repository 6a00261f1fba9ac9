#pragma once
// Embedding a dataset's texts with a model folder, one call without libtorch types: what
// `taskscout embed` and the Python module run. (text_embedding.hpp is the tensor-level
// function under it.)
#include <cstddef>
#include <filesystem>

#include "taskscout/core/array.hpp"
#include "taskscout/core/progress.hpp"
#include "taskscout/io/dataset.hpp"
#include "taskscout/model/embedding_options.hpp"

namespace taskscout {

struct EmbeddedTexts {
  Array embeddings;                 // N×D float32, row i for text i
  std::size_t truncated_texts = 0;  // texts cut to max_length
  std::size_t max_length = 0;       // the limit applied
  std::size_t tokens = 0;           // tokens encoded, padding excluded
  std::size_t padded_tokens = 0;    // positions computed, padding included
  double seconds = 0;               // the encoding, after loading
};

// The options are checked against the model before any text is encoded (a layer out of
// range, pooler pooling without a pooler). Progress: one phase, "embedding", units texts,
// the batch's length as the detail.
EmbeddedTexts embed_dataset(const std::filesystem::path& model, const Dataset& data,
                            const TextEmbeddingOptions& options, const Progress& progress = {});

}  // namespace taskscout
