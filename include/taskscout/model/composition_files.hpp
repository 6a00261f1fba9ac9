#pragma once
// A composed model's folder: the K frozen sources, the learned composition and a new head,
// laid out so that the adapters library (adapter sources) or PEFT (LoRA sources) can load
// the parts and taskscout can redo it.
//
// Over adapters (adapter_composition.hpp):
//   composition.json        method, placement, and each source: its adapter name here,
//                           its name and digest in the registry (or its folder)
//   adapters/<adapter>/     each source adapter as the library saves one (adapter_config.json,
//                           adapter.safetensors, its own head_config.json, model_head.safetensors)
//   scalearn.safetensors    ScaLearn's ω (names as in adapter_composition.hpp, model prefix added)
//   adapter_fusion_config.json, model_adapter_fusion.safetensors
//                           AdapterFusion, as the library's save_adapter_fusion writes them
//   head_config.json, model_head.safetensors
//                           the new flex head, named by the fusion name ("a,b,c")
//
// Over LoRAs (lora_composition.hpp; ScaLearn's variants only):
//   composition.json        "kind": "lora", the method, and each source: its LoRA name here,
//                           its name and digest in the registry (or its folder)
//   loras/<lora>/           each source LoRA as PEFT saves one (adapter_config.json with its
//                           rank, alpha and targets, adapter_model.safetensors), without its
//                           head: the target has its own
//   scalearn.safetensors    ω (names as in lora_composition.hpp, model prefix added)
//   head_config.json, model_head.safetensors
//                           the new flex head, named by the LoRAs' names joined by commas
#include <filesystem>
#include <string>
#include <vector>

#include "taskscout/model/adapter.hpp"
#include "taskscout/model/adapter_composition.hpp"
#include "taskscout/model/config.hpp"
#include "taskscout/model/lora_composition.hpp"
#include "taskscout/model/parameters.hpp"

namespace taskscout {

struct ComposedSource {
  std::string adapter;   // the adapter's (or the LoRA's) name inside the composed model
  std::string source;    // where it came from: the registry source's name, or its folder
  std::string digest;    // the registry blob digest of its adapter or LoRA tensors ("" for a folder)
  AdapterConfig config;  // adapters: its placement and reduction factor; config.name == adapter
  FlexHead head;         // adapters: its own head, kept so that its folder stays a whole adapter
};

struct CompositionFiles {
  AdapterComposition composition;
  AdapterPlacement placement = AdapterPlacement::Pfeiffer;
  std::string base_model;
  std::vector<ComposedSource> sources;  // in composition.adapters order
  ParameterMap adapters;                // the sources' adapter tensors under their names here
  ParameterMap weights;                 // the composition's tensors
  FlexHead head;                        // the target's head
};

struct LoraCompositionFiles {
  LoraComposition composition;
  std::string base_model;
  std::vector<ComposedSource> sources;  // in composition.loras order (config and head unused)
  ParameterMap loras;                   // the sources' LoRA tensors under their names here
  ParameterMap weights;                 // ω
  FlexHead head;                        // the target's head
};

// True when `folder` holds a composition.json (of either kind).
bool is_composition_folder(const std::filesystem::path& folder);
// True when that composition.json composes LoRAs.
bool is_lora_composition_folder(const std::filesystem::path& folder);

// Writes the files above into `folder` (an existing folder, normally a StagedFolder's).
void write_composition_files(const std::filesystem::path& folder, const EncoderConfig& encoder_config,
                             const CompositionFiles& files);

// Reads them back. InputError naming the file for a malformed composition.json, an unknown
// method, an adapter folder that is missing or disagrees (name, placement), or a missing or
// misshapen composition tensor.
CompositionFiles read_composition_files(const std::filesystem::path& folder, const EncoderConfig& encoder_config);

// The same for a composition of LoRAs; read_lora_composition_files refuses, naming the
// file, what read_lora_files refuses in a source's folder and a LoRA name that disagrees.
void write_lora_composition_files(const std::filesystem::path& folder, const EncoderConfig& encoder_config,
                                  const LoraCompositionFiles& files);
LoraCompositionFiles read_lora_composition_files(const std::filesystem::path& folder,
                                                 const EncoderConfig& encoder_config);

}  // namespace taskscout
