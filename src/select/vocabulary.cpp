// Vocabulary overlap as 1 − Jensen–Shannon divergence (see vocabulary.hpp).
#include "taskscout/select/vocabulary.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "taskscout/core/error.hpp"
#include "taskscout/io/safetensors.hpp"

namespace taskscout {

std::vector<double> token_counts(const text::Tokenizer& tokenizer, std::span<const std::string> texts,
                                 std::span<const std::string> pairs, const std::string& what) {
  std::vector<double> counts(tokenizer.vocab_size(), 0.0);
  text::EncodeOptions options;
  options.add_special_tokens = false;
  auto count = [&](const std::string& text, std::size_t row) {
    for (std::int32_t id : tokenizer.encode(text, options, fmt::format("{} row {}", what, row + 1)).ids)
      if (id >= 0 && static_cast<std::size_t>(id) < counts.size()) counts[static_cast<std::size_t>(id)] += 1;
  };
  for (std::size_t i = 0; i < texts.size(); ++i) count(texts[i], i);
  for (std::size_t i = 0; i < pairs.size(); ++i) count(pairs[i], i);
  return counts;
}

double vocabulary_similarity(std::span<const double> target_counts, std::span<const double> source_counts,
                             const std::string& what) {
  if (target_counts.size() != source_counts.size())
    throw InputError(fmt::format(
        "{}: its token counts cover {} vocabulary ids but the target's cover {}; it was counted with another "
        "tokenizer (another base model)",
        what, source_counts.size(), target_counts.size()));
  auto total = [&](std::span<const double> c, const char* whose) {
    double sum = 0;
    for (double v : c) {
      if (!(v >= 0) || !std::isfinite(v))
        throw InputError(
            fmt::format("{}: the {} token counts hold {}; counts must be finite and non-negative", what, whose, v));
      sum += v;
    }
    if (!(sum > 0)) throw InputError(fmt::format("{}: the {} texts have no tokens to compare", what, whose));
    return sum;
  };
  const double nt = total(target_counts, "target's"), ns = total(source_counts, "source's");
  // JSD = H(M) − (H(P) + H(Q))/2 with M = (P + Q)/2, summed only where a term is non-zero.
  double jsd = 0;
  for (std::size_t i = 0; i < target_counts.size(); ++i) {
    const double p = target_counts[i] / nt, q = source_counts[i] / ns, m = 0.5 * (p + q);
    if (p > 0) jsd += 0.5 * p * std::log2(p / m);
    if (q > 0) jsd += 0.5 * q * std::log2(q / m);
  }
  return 1.0 - std::clamp(jsd, 0.0, 1.0);
}

void write_vocabulary_artifact(const std::filesystem::path& path, std::span<const double> counts,
                               const std::string& base_fingerprint, std::size_t texts) {
  Array tensor(DType::F32, {static_cast<std::int64_t>(counts.size())});
  auto out = tensor.mutable_values<float>();
  for (std::size_t i = 0; i < counts.size(); ++i) out[i] = static_cast<float>(counts[i]);
  write_safetensors(path, {{"counts", tensor}},
                    {{"format", "taskscout-vocabulary"},
                     {"version", "1"},
                     {"base_fingerprint", base_fingerprint},
                     {"texts", std::to_string(texts)}});
}

std::vector<double> read_vocabulary_artifact(const std::filesystem::path& path) {
  const SafetensorsFile file(path);
  const auto format = file.metadata().find("format");
  if (format == file.metadata().end() || format->second != "taskscout-vocabulary")
    throw InputError(location(path.string()) + "not a vocabulary artifact (metadata format taskscout-vocabulary)");
  const Array counts = file.get("counts").to(DType::F64);
  if (counts.ndim() != 1) throw InputError(location(path.string()) + "tensor 'counts' must be one-dimensional");
  const auto v = counts.values<double>();
  return {v.begin(), v.end()};
}

}  // namespace taskscout
