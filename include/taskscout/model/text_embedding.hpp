#pragma once
// Texts → one embedding per text, in input order: tokenize every text once (truncated to
// the model's limit), sort by token count so each batch is padded to little more than
// its own length, run the encoder batch by batch, and scatter the rows back.
#include <ATen/ATen.h>

#include <cstddef>
#include <functional>
#include <span>
#include <string>

#include "taskscout/model/model_folder.hpp"
#include "taskscout/model/sentence_embedding.hpp"
#include "taskscout/text/tokenizer.hpp"

namespace taskscout {

struct TextEmbeddings {
  at::Tensor embeddings;            // N×D float32, row i for text i
  std::size_t truncated_texts = 0;  // texts cut to max_length
  std::size_t max_length = 0;       // the limit applied
  std::size_t tokens = 0;           // tokens encoded, padding excluded
  std::size_t padded_tokens = 0;    // positions computed, padding included
};

// Called after each batch with the number of texts done so far and the batch's length.
using EmbeddingProgress = std::function<void(std::size_t done, std::size_t length)>;

// The tokenizer is taken by value: its truncation is set to the limit applied.
// `pairs` is empty or holds a second text per text (sentence pairs). `what` names the
// source in messages (invalid UTF-8 names "what row i"). Throws UsageError for a
// max_length above the model's limit or a zero batch size; InputError for no texts.
TextEmbeddings embed_texts(const Encoder& encoder, text::Tokenizer tokenizer, std::span<const std::string> texts,
                           std::span<const std::string> pairs, const TextEmbeddingOptions& options,
                           const std::string& what, const EmbeddingProgress& progress = {});

}  // namespace taskscout
