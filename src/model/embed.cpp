// Embedding a dataset's texts with a model folder (see embed.hpp).
#include "taskscout/model/embed.hpp"

#include <fmt/format.h>

#include "taskscout/core/tensor.hpp"
#include "taskscout/core/timer.hpp"
#include "taskscout/model/text_embedding.hpp"

namespace taskscout {

EmbeddedTexts embed_dataset(const std::filesystem::path& model, const Dataset& data,
                            const TextEmbeddingOptions& options, const Progress& progress) {
  const Encoder encoder = load_encoder(model);
  check_embedding_options(encoder, options.embedding);
  text::Tokenizer tokenizer = text::Tokenizer::from_folder(model);
  Stopwatch watch;
  TextEmbeddings result;
  {
    ProgressPhase phase(progress, "embedding", static_cast<std::int64_t>(data.texts.size()));
    result = embed_texts(encoder, std::move(tokenizer), data.texts, data.text_pairs, options, data.path,
                         [&](std::size_t done, std::size_t length) {
                           phase.advance(static_cast<std::int64_t>(done), fmt::format("length {}", length));
                         });
  }
  EmbeddedTexts out;
  out.seconds = watch.seconds();
  out.embeddings = to_array(result.embeddings);
  out.truncated_texts = result.truncated_texts;
  out.max_length = result.max_length;
  out.tokens = result.tokens;
  out.padded_tokens = result.padded_tokens;
  return out;
}

}  // namespace taskscout
