#pragma once
// Bottleneck adapters as the Hugging Face `adapters` library (AdapterHub) builds and saves
// them. An adapter site gets down [D/reduction, D] and up [D, D/reduction] projections
// (with biases); the forward is in EncodeOptions::adapter. Placements:
//   Pfeiffer ("seq_bn")        after the feed-forward output; relu; original_ln_before
//   Houlsby  ("double_seq_bn") after the attention output and the feed-forward output; swish
// Saved as save_adapter(dir, name, with_head=True) writes them: adapter_config.json and
// adapter.safetensors with the model's own names
// ("bert.encoder.layer.0.output.adapters.<name>.adapter_down.0.weight"), and the flex
// classification head separately as head_config.json and model_head.safetensors
// ("heads.<name>.1.weight" dense, "heads.<name>.4.weight" output).
#include <ATen/ATen.h>

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "taskscout/model/adapter_config.hpp"
#include "taskscout/model/config.hpp"
#include "taskscout/model/encoder.hpp"
#include "taskscout/model/parameters.hpp"

namespace taskscout {

// The module paths of one layer's adapter sites for adapter `name`, without the model
// prefix: BERT family "encoder.layer.<i>.attention.output.adapters.<name>" and
// "encoder.layer.<i>.output.adapters.<name>"; DistilBERT
// "transformer.layer.<i>.attention_adapters.adapters.<name>" and "….output_adapters.adapters.<name>".
struct AdapterSites {
  std::string attention, output;
};
AdapterSites adapter_sites(Architecture architecture, std::int64_t layer, const std::string& name);
// The modules that hold a layer's adapters (their "adapters" dict and fusion layers): BERT
// family "encoder.layer.<i>.attention.output" and "encoder.layer.<i>.output"; DistilBERT
// "transformer.layer.<i>.attention_adapters" and "….output_adapters".
AdapterSites adapter_locations(Architecture architecture, std::int64_t layer);

// Fresh adapter tensors as the library's init_weights "bert" does: weights ~ N(0, 0.02²),
// biases zero, from `seed`. UsageError for a reduction factor < 1 or an empty name.
ParameterMap init_adapter(const EncoderConfig& encoder, const AdapterConfig& adapter, std::uint64_t seed);

struct AdapterFiles {
  AdapterConfig config;
  std::string base_model;           // model_name
  ParameterMap encoder;             // adapter tensors under the encoder's bare names
  ParameterMap head;                // the flex head, in memory as classifier.dense / classifier.out_proj
  std::vector<std::string> labels;  // from head_config.json's label2id (empty for regression)
};

// Writes adapter_config.json, adapter.safetensors, head_config.json and model_head.safetensors
// into `folder` (an existing folder, normally a StagedFolder's).
void write_adapter_files(const std::filesystem::path& folder, const EncoderConfig& encoder_config,
                         const AdapterFiles& files);

// True when `folder` holds an adapters-library adapter_config.json (a "config" object).
bool is_adapter_folder(const std::filesystem::path& folder);

// Reads them back. InputError naming the file for a config taskscout does not compute
// (parallel, phm, gating, extra layer norms, scaling ≠ 1, another non-linearity), a
// missing or misshapen tensor, or a hidden size other than the base's.
AdapterFiles read_adapter_files(const std::filesystem::path& folder, const EncoderConfig& encoder_config);

// The fields every adapters-library config file starts with (hidden_size, model_class,
// model_name, model_type, name, version).
nlohmann::json adapters_library_meta(const EncoderConfig& encoder_config, const std::string& name,
                                     const std::string& base_model);

// A flex classification head alone, as the library saves a head: head_config.json
// (labels in label2id, empty for regression) and model_head.safetensors with the tensors
// named "heads.<name>.…".
struct FlexHead {
  ParameterMap head;  // in memory as classifier.dense / classifier.out_proj
  std::vector<std::string> labels;
};
void write_flex_head(const std::filesystem::path& folder, const EncoderConfig& encoder_config, const FlexHead& head,
                     const std::string& name, const std::string& base_model);
// InputError naming the file for another head type or a missing tensor.
FlexHead read_flex_head(const std::filesystem::path& folder, const std::string& name);

}  // namespace taskscout
