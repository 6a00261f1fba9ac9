#pragma once
// TaskEmb (Vu et al. 2020, "Exploring and Predicting Transferability across NLP Tasks"): a
// task is embedded as the diagonal of the empirical Fisher information of a model
// fine-tuned on it, with respect to the model's activations. For each hidden state h^l
// (the embeddings' output and every layer's output, l = 0..L):
//     F_l[d] = 1/N Σ_i 1/T_i Σ_t (∂ℓ(x_i, y_i) / ∂h^l_{i,t,d})²
// over N labelled examples (T_i real tokens each; ℓ the training loss with the true label:
// cross-entropy, or half the squared error for regression). A source's score is the cosine
// of the target's and the source's F_l, averaged over the L+1 layers, so that no layer's
// scale dominates. It sees what the task asks of the encoder, where TextEmb sees only its
// texts.
//
// The reference code (tuvuumass/task-transferability, run_taskemb_CR.py) squares the
// gradient summed over a whole batch and its tokens, which depends on the batch size and
// lets examples cancel; this squares each token's gradient, the empirical Fisher as the
// paper defines it. Both sides use a model fine-tuned from the same base: a source's at
// registration (artifact "fisher"), the target's by a short fine-tune at ranking time.
#include <ATen/ATen.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

#include "taskscout/io/dataset.hpp"
#include "taskscout/select/taskemb_options.hpp"
#include "taskscout/text/tokenizer.hpp"
#include "taskscout/train/task_model.hpp"

namespace taskscout {

// [L+1, D] float64 Fisher diagonals of `model` on `data` (labels as the model's: the same
// class order), its texts tokenized by `tokenizer`. InputError naming `data.path` when the
// labels do not fit the model's head.
at::Tensor task_embedding(const TaskModel& model, text::Tokenizer& tokenizer, const Dataset& data,
                          const TaskEmbOptions& options = {});

// Σ over the batch's rows of 1/T_i Σ_t (∂ℓ_i/∂h^l_{i,t})², [L+1, D] float64: the step
// task_embedding repeats over batches. labels: [B] class ids (int64) or values (float).
at::Tensor batch_fisher(const TaskModel& model, const Batch& batch, const at::Tensor& labels);

// Mean over layers of cos(target_l, source_l); a layer where either diagonal is zero is
// left out. InputError naming `what` for another shape (another base), non-finite values,
// or no layer left.
double taskemb_similarity(const at::Tensor& target, const at::Tensor& source, const std::string& what = "source");

// The source artifact "fisher": safetensors with tensor "fisher" ([L+1, D] F32) and metadata
// format "taskscout-fisher", version 1, base_fingerprint and examples.
void write_fisher_artifact(const std::filesystem::path& path, const at::Tensor& fisher,
                           const std::string& base_fingerprint, std::size_t examples);
// Its [L+1, D] diagonals in float64; InputError naming the file when it is not such an artifact.
at::Tensor read_fisher_artifact(const std::filesystem::path& path);

}  // namespace taskscout
