#include "taskscout/model/text_embedding.hpp"

#include <c10/core/InferenceMode.h>
#include <fmt/format.h>

#include <algorithm>

#include "taskscout/core/error.hpp"
#include "taskscout/text/encoding.hpp"

namespace taskscout {

TextEmbeddings embed_texts(const Encoder& encoder, text::Tokenizer tokenizer, std::span<const std::string> texts,
                           std::span<const std::string> pairs, const TextEmbeddingOptions& options,
                           const std::string& what, const EmbeddingProgress& progress) {
  check_embedding_options(encoder, options.embedding);
  const auto limit = static_cast<std::size_t>(encoder.config.max_length());
  const std::size_t max_length = options.max_length == 0 ? limit : options.max_length;
  if (max_length > limit)
    throw UsageError(fmt::format("{} {} exceeds what this {} model supports ({} tokens)", opt("max_length"), max_length,
                                 encoder.config.model_type, limit));
  if (options.batch_size == 0) throw UsageError("the batch size must be at least 1");
  if (texts.empty()) throw InputError(what + ": no texts to embed");
  if (!pairs.empty() && pairs.size() != texts.size())
    throw InputError(fmt::format("{}: {} texts but {} second texts", what, texts.size(), pairs.size()));

  text::TruncationOptions truncation;
  truncation.max_length = max_length;
  tokenizer.set_truncation(truncation);

  TextEmbeddings result;
  result.max_length = max_length;
  std::vector<text::Encoding> encodings;
  encodings.reserve(texts.size());
  for (std::size_t i = 0; i < texts.size(); ++i) {
    const std::string row = fmt::format("{} row {}", what, i + 1);
    encodings.push_back(pairs.empty() ? tokenizer.encode(texts[i], {}, row)
                                      : tokenizer.encode_pair(texts[i], pairs[i], {}, row));
    result.truncated_texts += encodings.back().truncated > 0;
    result.tokens += encodings.back().size();
  }

  // The model's own pad id: RoBERTa-style position ids are derived from it.
  text::PaddingOptions padding;
  padding.pad_id = static_cast<std::int32_t>(encoder.config.pad_token_id);
  const std::vector<std::size_t> order = text::order_by_length(encodings);
  c10::InferenceMode inference;  // no autograd bookkeeping while embedding
  for (std::size_t start = 0; start < order.size(); start += options.batch_size) {
    const std::size_t rows = std::min(options.batch_size, order.size() - start);
    std::vector<const text::Encoding*> batch(rows);
    for (std::size_t r = 0; r < rows; ++r) batch[r] = &encodings[order[start + r]];
    text::BatchEncoding b = text::pad(batch, padding);
    const std::vector<std::int64_t> shape = {static_cast<std::int64_t>(b.rows), static_cast<std::int64_t>(b.length)};
    const at::Tensor ids = at::from_blob(b.input_ids.data(), shape, at::kLong);
    const at::Tensor mask = at::from_blob(b.attention_mask.data(), shape, at::kLong);
    const at::Tensor types = at::from_blob(b.token_type_ids.data(), shape, at::kLong);
    const at::Tensor pooled = sentence_embeddings(encoder, ids, mask, types, options.embedding);
    if (!result.embeddings.defined())
      result.embeddings = at::empty({static_cast<std::int64_t>(texts.size()), pooled.size(1)}, at::kFloat);
    const at::Tensor index =
        at::tensor(std::vector<std::int64_t>(order.begin() + start, order.begin() + start + rows), at::kLong);
    result.embeddings.index_copy_(0, index, pooled.to(at::kFloat));
    result.padded_tokens += b.rows * b.length;
    if (progress) progress(start + rows, b.length);
  }
  return result;
}

}  // namespace taskscout
