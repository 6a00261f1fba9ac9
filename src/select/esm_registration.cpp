// Registering an ESM trained elsewhere (see registration.hpp).
#include <fmt/format.h>

#include "registration_parts.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/core/timer.hpp"
#include "taskscout/core/version.hpp"
#include "taskscout/io/scratch_dir.hpp"
#include "taskscout/model/config.hpp"
#include "taskscout/model/text_embedding.hpp"
#include "taskscout/registry/esm_check.hpp"
#include "taskscout/registry/fingerprint.hpp"
#include "taskscout/select/registration.hpp"
#include "taskscout/select/textemb.hpp"
#include "taskscout/select/vocabulary.hpp"

namespace taskscout {

namespace fs = std::filesystem;

EsmRegistration register_external_esm(Registry& registry, const std::optional<Dataset>& source,
                                      const EsmRegistrationOptions& o, const Progress& progress) {
  Stopwatch watch;
  registration::check_new_name(registry, o.name);  // before the embedding work, not after
  if (o.batch_size == 0) throw UsageError("the embedding batch size must be at least 1");
  const std::string base_fingerprint = base_model_fingerprint(o.base);
  const EsmFileInfo esm = check_esm_file(o.esm, base_fingerprint);
  const EncoderConfig config = read_encoder_config(o.base / "config.json");
  if (esm.dim != config.hidden_size)
    throw InputError(location(o.esm.string()) +
                     fmt::format("the ESM maps {}-dimensional embeddings but the base model {} has hidden size {}; "
                                 "register it with the base it was trained on",
                                 esm.dim, o.base.string(), config.hidden_size));

  EsmRegistration result;
  NewSource entry;
  SourceRecord& r = entry.record;
  r.name = o.name;
  r.base_fingerprint = base_fingerprint;
  r.dev_metrics = o.dev_metrics;
  entry.artifact_files[std::string(artifact_kind::kEsm)] = o.esm;
  nlohmann::json provenance = o.provenance;
  provenance["taskscout_version"] = version();
  provenance["esm_file"] = fs::absolute(o.esm).string();
  provenance["esm_dim"] = esm.dim;
  provenance["base_model"] = fs::absolute(o.base).string();

  ScratchDir scratch("taskscout-register");
  if (source) {
    r.task = source->kind;
    r.label_names = source->label_names;
    r.dataset_fingerprint = dataset_fingerprint(*source);
    r.dataset_size = static_cast<std::int64_t>(source->size());

    const Encoder encoder = load_encoder(o.base);
    TextEmbeddingOptions options;
    options.embedding = o.embedding;
    options.max_length = o.max_length;
    options.batch_size = o.batch_size;
    check_embedding_options(encoder, options.embedding);
    text::Tokenizer tokenizer = text::Tokenizer::from_folder(o.base);
    const auto [texts, pairs] = registration::sample_texts(*source, o.max_texts, o.seed);
    const std::vector<double> counts = token_counts(tokenizer, texts, pairs, source->path);
    TextEmbeddings embedded;
    {
      ProgressPhase phase(progress, "embedding source texts", static_cast<std::int64_t>(texts.size()));
      embedded = embed_texts(encoder, std::move(tokenizer), texts, pairs, options, source->path,
                             [&](std::size_t done, std::size_t length) {
                               phase.advance(static_cast<std::int64_t>(done), fmt::format("length {}", length));
                             });
    }
    result.embedded_texts = texts.size();
    result.truncated_texts = embedded.truncated_texts;

    const fs::path mean_file = scratch.path() / "mean_embedding.safetensors";
    write_mean_embedding_artifact(mean_file, embedded.embeddings, base_fingerprint, o.embedding);
    entry.artifact_files[std::string(artifact_kind::kMeanEmbedding)] = mean_file;
    const fs::path vocabulary_file = scratch.path() / "vocabulary.safetensors";
    write_vocabulary_artifact(vocabulary_file, counts, base_fingerprint, texts.size());
    entry.artifact_files[std::string(artifact_kind::kVocabulary)] = vocabulary_file;
    provenance["source_file"] = fs::absolute(source->path).string();
    provenance["embedding"] = {{"pooling", std::string(pooling_name(o.embedding.pooling))},
                               {"layer", o.embedding.layer},
                               {"max_length", o.max_length},
                               {"texts", texts.size()},
                               {"truncated", embedded.truncated_texts},
                               {"seed", o.seed}};
  }
  r.provenance = provenance;
  result.stored = registry.add(entry);
  result.seconds = watch.seconds();
  return result;
}

}  // namespace taskscout
