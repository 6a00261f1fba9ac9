#pragma once
// What the composition tests (adapters and LoRAs) share: the BERT fixture's inputs.json batch
// as tensors, agreement with an oracle's float64 values at 1e-5 relative to the largest of
// them (or 1), the oracle cases' test names, and a small padded batch for the tiny model.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "taskscout/core/tensor.hpp"
#include "taskscout/io/mapped_file.hpp"
#include "taskscout/io/safetensors.hpp"
#include "taskscout/model/parameters.hpp"

namespace taskscout::testing {

// An oracle case's tensors ("<case>/<tensor>" in the oracle's file, float32): those whose
// name contains `frozen` join `base` frozen; the others are trained and require gradients,
// the head's ("classifier.…") in `head`, the composition's in `encoder`.
struct OracleCaseTensors {
  ParameterMap encoder, head, trained;
};
inline OracleCaseTensors oracle_case_tensors(const SafetensorsFile& oracle, const std::string& name,
                                             const std::string& frozen, ParameterMap base) {
  const std::string prefix = name + "/";
  OracleCaseTensors out{std::move(base), {}, {}};
  for (const std::string& full : oracle.names()) {
    if (full.rfind(prefix, 0) != 0 || full.find("/grad/") != std::string::npos) continue;
    const std::string tensor = full.substr(prefix.size());
    if (tensor == "logits" || tensor == "loss") continue;
    at::Tensor t = as_tensor(oracle.get(full)).to(at::kFloat).clone();
    if (tensor.find(frozen) == std::string::npos) t.set_requires_grad(true), out.trained[tensor] = t;
    (tensor.rfind("classifier.", 0) == 0 ? out.head : out.encoder)[tensor] = t;
  }
  return out;
}

struct OracleBatch {
  at::Tensor input_ids, attention_mask, token_type_ids;
};

inline at::Tensor int_rows(const nlohmann::json& rows) {
  std::vector<std::int64_t> v;
  for (const auto& row : rows)
    for (const auto& x : row) v.push_back(x.get<std::int64_t>());
  return at::tensor(v, at::kLong).view({static_cast<std::int64_t>(rows.size()), -1});
}

inline OracleBatch oracle_batch(const std::filesystem::path& model_dir) {
  const nlohmann::json inputs = nlohmann::json::parse(MappedFile(model_dir / "inputs.json").text());
  return {int_rows(inputs["input_ids"]), int_rows(inputs["attention_mask"]), int_rows(inputs["token_type_ids"])};
}

inline void expect_oracle_close(const at::Tensor& got, const at::Tensor& want, const std::string& what) {
  ASSERT_EQ(got.sizes(), want.sizes()) << what;
  const double scale = std::max(1.0, want.abs().max().item<double>());
  const double error = (got.to(at::kDouble) - want.to(at::kDouble)).abs().max().item<double>();
  EXPECT_LE(error, 1e-5 * scale) << what;
}

// A case name as a test name: "scalearn-uniform++" → "scalearn_uniform__".
inline std::string case_test_name(std::string name) {
  for (char& ch : name)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return name;
}

// Two rows of token ids for the tiny model (tiny_model.hpp), 0 the padding.
inline const at::Tensor& tiny_ids() {
  static const at::Tensor t = at::tensor({2, 5, 9, 7, 3, 0, 2, 6, 6, 3, 0, 0}, at::kLong).view({2, 6});
  return t;
}
inline at::Tensor tiny_mask() { return tiny_ids().ne(0).to(at::kLong); }

}  // namespace taskscout::testing
