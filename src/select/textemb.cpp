// TextEmb: cosine of mean embeddings (see textemb.hpp).
#include "taskscout/select/textemb.hpp"

#include <fmt/format.h>

#include <cmath>

#include "taskscout/core/error.hpp"
#include "taskscout/core/tensor.hpp"
#include "taskscout/io/safetensors.hpp"

namespace taskscout {

at::Tensor mean_embedding(const at::Tensor& embeddings) {
  if (embeddings.dim() != 2 || embeddings.size(0) == 0)
    throw InputError("the target's embeddings must be a non-empty N×D matrix");
  return embeddings.to(at::kDouble).mean(0);
}

void write_mean_embedding_artifact(const std::filesystem::path& path, const at::Tensor& embeddings,
                                   const std::string& base_fingerprint, const EmbeddingOptions& embedding) {
  write_safetensors(path, {{"mean", to_array(mean_embedding(embeddings).to(at::kFloat).contiguous())}},
                    {{"format", "taskscout-mean-embedding"},
                     {"version", "1"},
                     {"base_fingerprint", base_fingerprint},
                     {"pooling", std::string(pooling_name(embedding.pooling))},
                     {"layer", std::to_string(embedding.layer)},
                     {"texts", std::to_string(embeddings.size(0))}});
}

double textemb_score(const at::Tensor& target_mean, const Array& source_mean, const std::string& what) {
  if (source_mean.numel() != target_mean.numel())
    throw InputError(
        fmt::format("{}: its mean embedding has {} values but the target's has {}; it belongs to another "
                    "base model",
                    what, source_mean.numel(), target_mean.numel()));
  const at::Tensor s = as_tensor(source_mean).reshape({-1}).to(at::kDouble);
  if (!at::isfinite(s).all().item<bool>())
    throw InputError(fmt::format("{}: its mean embedding has non-finite values; re-register the source", what));
  const double ns = s.norm().item<double>(), nt = target_mean.norm().item<double>();
  if (!(ns > 0) || !(nt > 0))
    throw InputError(fmt::format("{}: a mean embedding is the zero vector, for which the cosine is undefined", what));
  return s.dot(target_mean).item<double>() / (ns * nt);
}

}  // namespace taskscout
