#include "taskscout/model/model_folder.hpp"

#include "taskscout/core/error.hpp"
#include "taskscout/model/checkpoint.hpp"
#include "taskscout/model/parameter_names.hpp"

namespace taskscout {

bool Encoder::has_pooler() const {
  const std::string pooler = pooler_name(config.architecture);
  return !pooler.empty() && parameters.count(pooler + ".weight") != 0;
}

Encoder load_encoder(const std::filesystem::path& folder) {
  if (!std::filesystem::is_directory(folder))
    throw InputError(location(folder.string()) + "not a model folder (no such directory)");
  if (!std::filesystem::exists(folder / "config.json"))
    throw InputError(location(folder.string()) + "no config.json: not a Hugging Face model folder");
  Encoder e;
  e.folder = folder;
  e.config = read_encoder_config(folder / "config.json");
  e.parameters = load_parameters(Checkpoint::open(folder), e.config);
  return e;
}

}  // namespace taskscout
