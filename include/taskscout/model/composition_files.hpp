#pragma once
// A composed model's folder (adapter_composition.hpp): the K frozen source adapters, the
// learned composition and a new head, laid out so that the adapters library can load the
// parts and taskscout can redo it:
//   composition.json        method, placement, and each source: its adapter name here,
//                           its name and digest in the registry (or its folder)
//   adapters/<adapter>/     each source adapter as the library saves one (adapter_config.json,
//                           adapter.safetensors, its own head_config.json, model_head.safetensors)
//   scalearn.safetensors    ScaLearn's ω (names as in adapter_composition.hpp, model prefix added)
//   adapter_fusion_config.json, model_adapter_fusion.safetensors
//                           AdapterFusion, as the library's save_adapter_fusion writes them
//   head_config.json, model_head.safetensors
//                           the new flex head, named by the fusion name ("a,b,c")
#include <filesystem>
#include <string>
#include <vector>

#include "taskscout/model/adapter.hpp"
#include "taskscout/model/adapter_composition.hpp"
#include "taskscout/model/config.hpp"
#include "taskscout/model/parameters.hpp"

namespace taskscout {

struct ComposedSource {
  std::string adapter;   // the adapter's name inside the composed model
  std::string source;    // where it came from: the registry source's name, or its folder
  std::string digest;    // the registry blob digest of its adapter tensors ("" for a folder)
  AdapterConfig config;  // its placement and reduction factor; config.name == adapter
  FlexHead head;         // its own head, kept so that its folder stays a whole adapter
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

// True when `folder` holds a composition.json.
bool is_composition_folder(const std::filesystem::path& folder);

// Writes the files above into `folder` (an existing folder, normally a StagedFolder's).
void write_composition_files(const std::filesystem::path& folder, const EncoderConfig& encoder_config,
                             const CompositionFiles& files);

// Reads them back. InputError naming the file for a malformed composition.json, an unknown
// method, an adapter folder that is missing or disagrees (name, placement), or a missing or
// misshapen composition tensor.
CompositionFiles read_composition_files(const std::filesystem::path& folder, const EncoderConfig& encoder_config);

}  // namespace taskscout
