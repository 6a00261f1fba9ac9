#pragma once
// Weight merging (`taskscout merge`): K fine-tuned models of one base merged into one, by a
// method of merge_method.hpp, streamed one tensor at a time from the memory-mapped
// safetensors files (each tensor's pages are released once merged), so peak memory does
// not grow with K.
//
// Sources, all trained from the same base:
//   full     Hugging Face *ForSequenceClassification folders: θ_k is the encoder;
//   lora     PEFT folders: θ_k = θ₀ + (α/r)·B·A for each adapted module, the exact ΔW, never
//            A and B averaged separately (that adds the cross terms B_i·A_j);
//   adapter  adapters-library folders: the adapter tensors averaged (`linear` only), as
//            the adapters library's average_adapter does.
// Full and LoRA sources mix (the output is then a full model).
//
// The output folder, written whole or not at all (StagedFolder), holds merge.json (the
// recipe: method, weights, λ, density, gamma, seed, head, each source's name, kind and
// content digest, the base's fingerprint) and:
//   --head fresh (default): the merged encoder as a base model folder (config.json,
//       model.safetensors with bare names, tokenizer files): pass it as the base of
//       fine_tune/`train --base` (what `transfer --compose merge-*` does for full merges);
//   --head SOURCE: a *ForSequenceClassification folder with SOURCE's head and labels, which
//       load_task_model, `evaluate` and transformers load as they are;
//   LoRA-only sources with linear or task-arithmetic: a PEFT folder whose LoRA stacks the
//       sources' (rank Σ r_k, alpha = rank so the scaling is 1; exact), over the same base.
//       Other methods are not linear in ΔW, so their merge is folded into a full model.
//       `fold_lora` folds always;
//   adapter sources: an adapters-library folder.
// A PEFT or adapter output always holds a head, since load_task_model needs one: the
// chosen source's, or with --head fresh a freshly initialized one (seeded) whose labels are
// `labels`, else the first source's. Pass such a folder as FineTuneOptions::init_from
// (`train --init-from`), which starts from its LoRA or adapter and trains a fresh head.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace taskscout {

class Registry;
class ScratchDir;

struct MergeSource {
  std::string name;              // how errors and merge.json name it
  std::filesystem::path folder;  // a full, LoRA (PEFT) or adapter folder
  std::filesystem::path fisher;  // fisher: its parameter Fisher; empty: <folder>/parameter_fisher.safetensors
  std::string digest;            // content digest when known (a registry blob's); empty: computed while reading
  std::string base_fingerprint;  // the base it was trained on, when known (a registry's record); checked
};

struct MergeOptions {
  std::string method = "linear";  // merge_method.hpp
  std::vector<double> weights;    // one per source; empty: all 1
  double lambda = 1.0, density = 1.0, gamma = 0.01, fisher_floor = 1e-6;
  std::uint64_t seed = 0;           // dare-*'s masks; a fresh PEFT/adapter head
  std::string head = "fresh";       // "fresh" or a source's name
  std::vector<std::string> labels;  // when set: the head source's labels must be these (the target's)
  bool fold_lora = false;           // LoRA sources: always write a full model
  // Called after each tensor with the tensors done and the total.
  std::function<void(std::size_t done, std::size_t total, const std::string& tensor)> progress;
};

struct MergedTensor {
  std::string name;
  std::vector<std::int64_t> shape;
  double base_norm = 0;   // ‖θ₀‖ (0 without a base tensor)
  double delta_norm = 0;  // ‖θ − θ₀‖
  double changed = 0;     // share of entries that differ from the base
};

struct MergeSummary {
  std::filesystem::path out;
  std::string output_kind;        // "model", "classifier", "lora", "adapter"
  std::string source_kind;        // "full", "lora", "adapter", "full+lora"
  nlohmann::ordered_json recipe;  // merge.json
  std::vector<MergedTensor> tensors;
  std::int64_t bytes_read = 0, bytes_written = 0;
  double seconds = 0;
};

// Merges `sources` over the base folder `base` into `out`. Throws UsageError for bad
// options (K = 0, a duplicate source, weights of the wrong count, density outside (0, 1],
// an unknown method or head, an output folder that would replace an input), and InputError
// naming the source and the tensor, saying what to do, for sources of another base or
// architecture, a tensor of another shape, another vocabulary, a source without what the
// method needs (fisher without a parameter_fisher file, adapters with a method other than
// linear), a head source whose labels are not `labels`, or a merged value that is not
// finite. Nothing is written on any error.
MergeSummary merge_models(const std::vector<MergeSource>& sources, const std::filesystem::path& base,
                          const std::filesystem::path& out, const MergeOptions& options);

// Registered sources as MergeSources: each source's model rebuilt as a folder in a scratch
// folder (its safetensors blob linked, not copied), its parameter_fisher artifact, its blob
// digests and base fingerprint. `base` empty: the base folder the sources were registered
// with (their provenance), when it still exists and has their fingerprint. Keep the result
// alive while merging.
struct RegistryMergeSources {
  std::shared_ptr<ScratchDir> scratch;
  std::vector<MergeSource> sources;
  std::filesystem::path base;
};
// InputError naming the source for one without a stored model, of another base than the
// others or than `base`, or whose base cannot be found (saying to pass --base).
RegistryMergeSources registry_merge_sources(const Registry& registry, const std::vector<std::string>& names,
                                            const std::filesystem::path& base);

// The file name of the per-parameter Fisher a source folder may hold, and the registry's artifact kind.
inline constexpr const char* kParameterFisherFile = "parameter_fisher.safetensors";

}  // namespace taskscout
