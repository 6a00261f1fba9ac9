#pragma once
// Vocabulary overlap, the domain-similarity signal: a source's score is how alike the
// target's and the source's token distributions are, 1 − JSD(P_target ‖ P_source) with
// the Jensen–Shannon divergence in bits (so 1 = the same distribution, 0 = disjoint
// vocabularies). Ruder & Plank (2017) found JSD of term distributions the best of the
// domain-similarity measures for choosing transfer data; Gururangan et al. (2020) and Poth
// et al. (2021) use vocabulary overlap to explain which intermediate tasks help. Tokens
// are the base tokenizer's ids (special tokens excluded), so every distribution of one
// base has the same length and a source stores one small vector, not a word list.
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "taskscout/text/tokenizer.hpp"

namespace taskscout {

// Token counts of `texts` (and `pairs`, when given): one count per vocabulary id, special
// tokens not counted. `what` names the texts in messages (invalid UTF-8).
std::vector<double> token_counts(const text::Tokenizer& tokenizer, std::span<const std::string> texts,
                                 std::span<const std::string> pairs, const std::string& what);

// 1 − JSD in bits of the two count vectors, each normalized to sum 1. Throws InputError
// naming `what` when the lengths differ (another tokenizer), a count is negative or not
// finite, or either vector counts nothing.
double vocabulary_similarity(std::span<const double> target_counts, std::span<const double> source_counts,
                             const std::string& what = "source");

// The source artifact "vocabulary": safetensors with tensor "counts" ([V] F32) and metadata
// format "taskscout-vocabulary", version 1, base_fingerprint and texts (how many were counted).
void write_vocabulary_artifact(const std::filesystem::path& path, std::span<const double> counts,
                               const std::string& base_fingerprint, std::size_t texts);
// Its counts; InputError naming the file when it is not such an artifact.
std::vector<double> read_vocabulary_artifact(const std::filesystem::path& path);

}  // namespace taskscout
