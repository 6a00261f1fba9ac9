#pragma once
// What the registry records about one source task. Torch-free: rankers read these records
// and then map the artifact blobs they need (Registry::open_artifact).
#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "taskscout/io/dataset.hpp"

namespace taskscout {

// Artifact kinds the project writes; any other non-empty name of [a-z0-9_] is accepted too.
namespace artifact_kind {
inline constexpr std::string_view kAdapter = "adapter";
inline constexpr std::string_view kLora = "lora";
inline constexpr std::string_view kFullModel = "full_model";
inline constexpr std::string_view kHead = "head";
inline constexpr std::string_view kEsm = "esm";                       // see esm_check.hpp
inline constexpr std::string_view kMeanEmbedding = "mean_embedding";  // tensor "mean", [D] F32
inline constexpr std::string_view kVocabulary = "vocabulary";  // tensor "counts", [V] F32 (select/vocabulary.hpp)
inline constexpr std::string_view kFisher = "fisher";          // tensor "fisher", [L+1, D] F32 (select/taskemb.hpp)
// Per-parameter Fisher of a full model, for Fisher merging (select/parameter_fisher.hpp).
inline constexpr std::string_view kParameterFisher = "parameter_fisher";
}  // namespace artifact_kind

// Artifact kinds → the files that hold them (blobs of a registry, or files to add).
using ArtifactFiles = std::map<std::string, std::filesystem::path>;

// One safetensors blob of a source, addressed by the SHA-256 of its bytes.
struct Artifact {
  std::string kind;
  std::string digest;     // 64 lowercase hex digits
  std::int64_t size = 0;  // bytes
};

struct SourceRecord {
  std::int64_t id = 0;                                    // assigned by the registry, never reused
  std::string name;                                       // unique within a registry
  std::string base_fingerprint;                           // fingerprint.hpp; the base model the artifacts belong to
  std::optional<LabelKind> task;                          // empty when registered without its dataset
  std::vector<std::string> label_names;                   // classification: class id i is label_names[i]
  std::string dataset_fingerprint;                        // empty when registered without its dataset
  std::int64_t dataset_size = 0;                          // rows of the source dataset (0 when unknown)
  std::map<std::string, Artifact> artifacts;              // by kind
  nlohmann::json dev_metrics = nlohmann::json::object();  // e.g. {"accuracy": 0.91}
  nlohmann::json provenance = nlohmann::json::object();   // command, versions, options
  std::string created_at;                                 // UTC, ISO 8601 ("2026-11-22T04:40:00Z")
  // Non-empty when the index row is damaged (unreadable JSON, a malformed digest, an
  // unknown task kind): says what is wrong. Such a source is listed, never ranked.
  std::string defect;

  const Artifact* artifact(std::string_view kind) const;
};

// "classification", "regression" or "" (unknown).
std::string task_kind_name(const std::optional<LabelKind>& task);

}  // namespace taskscout
