// Loading a registered source's fine-tuned model from its blobs (see stored_model.hpp).
#include "taskscout/select/stored_model.hpp"

#include <fmt/format.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <vector>

#include "taskscout/core/error.hpp"
#include "taskscout/io/safetensors.hpp"
#include "taskscout/io/scratch_dir.hpp"
#include "taskscout/registry/source.hpp"

namespace taskscout {
namespace {

namespace fs = std::filesystem;

// The artifact kinds that together make one model, in the order registration writes them.
std::vector<std::string> model_kinds(const ArtifactFiles& blobs) {
  auto has = [&](std::string_view kind) { return blobs.contains(std::string(kind)); };
  if (has(artifact_kind::kFullModel)) return {std::string(artifact_kind::kFullModel)};
  if (has(artifact_kind::kLora)) return {std::string(artifact_kind::kLora)};
  if (has(artifact_kind::kAdapter) && has(artifact_kind::kHead))
    return {std::string(artifact_kind::kAdapter), std::string(artifact_kind::kHead)};
  return {};
}

// Writes the blob's tensor file under its original name and the folder files its metadata carries.
void restore(const fs::path& blob, const fs::path& folder, const std::string& what, bool link) {
  const SafetensorsFile file(blob);
  const auto& metadata = file.metadata();
  const auto name = metadata.find("file_name");
  const auto files = metadata.find("folder_files");
  if (name == metadata.end() || files == metadata.end())
    throw InputError(
        fmt::format("{}: the model blob {} carries no folder files (metadata file_name and "
                    "folder_files); re-register the source with taskscout register "
                    "--method",
                    what, blob.string()));
  nlohmann::json contents;
  try {
    contents = nlohmann::json::parse(files->second);
  } catch (const nlohmann::json::exception&) {
    throw InputError(
        fmt::format("{}: the model blob {} has unreadable "
                    "folder_files metadata; re-register it",
                    what, blob.string()));
  }
  for (const auto& [file_name, text] : contents.items()) {
    if (fs::path(file_name).filename().string() != file_name || !text.is_string())
      throw InputError(
          fmt::format("{}: the model blob {} names a folder file "
                      "\"{}\" that is not a plain file "
                      "name; re-register it",
                      what, blob.string(), file_name));
    std::ofstream out(folder / file_name, std::ios::binary);
    out << text.get<std::string>();
    if (!out.flush()) throw IoError(location((folder / file_name).string()) + "cannot write the temporary file");
  }
  if (fs::path(name->second).filename().string() != name->second)
    throw InputError(fmt::format("{}: the model blob {} names its file \"{}\", not a plain file name", what,
                                 blob.string(), name->second));
  if (link)
    fs::create_symlink(fs::absolute(blob), folder / name->second);
  else
    fs::copy_file(blob, folder / name->second);
}

}  // namespace

bool has_stored_model(const ArtifactFiles& blobs) { return !model_kinds(blobs).empty(); }

TaskModel load_stored_model(const ArtifactFiles& blobs, const fs::path& base, const std::string& what) {
  const std::vector<std::string> kinds = model_kinds(blobs);
  if (kinds.empty())
    throw InputError(what +
                     " stores no fine-tuned model (artifact full_model, "
                     "lora, or adapter and head)");
  ScratchDir scratch("taskscout-model");
  for (const std::string& kind : kinds) restore(blobs.at(kind), scratch.path(), what, false);
  return load_task_model(scratch.path(), base);
}

void restore_stored_model(const ArtifactFiles& blobs, const fs::path& folder, const std::string& what) {
  const std::vector<std::string> kinds = model_kinds(blobs);
  if (kinds.empty())
    throw InputError(what +
                     " stores no fine-tuned model (artifact full_model, "
                     "lora, or adapter and head)");
  for (const std::string& kind : kinds) restore(blobs.at(kind), folder, what, true);
}

}  // namespace taskscout
