// Loading a registered source's fine-tuned model from its blobs (see stored_model.hpp).
#include "taskscout/select/stored_model.hpp"

#include <fmt/format.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <vector>

#include "taskscout/core/error.hpp"
#include "taskscout/core/sha256.hpp"
#include "taskscout/io/safetensors.hpp"
#include "taskscout/io/scratch_dir.hpp"
#include "taskscout/registry/registry.hpp"
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

// Copies `from` to `to` and returns the SHA-256 of the bytes copied.
std::string copy_hashing(const fs::path& from, const fs::path& to) {
  std::ifstream in(from, std::ios::binary);
  if (!in) throw IoError(location(from.string()) + "cannot open the blob");
  std::ofstream out(to, std::ios::binary);
  Sha256 hash;
  std::vector<char> buffer(1 << 20);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const auto n = static_cast<std::size_t>(in.gcount());
    if (n == 0) break;
    hash.update(buffer.data(), n);
    out.write(buffer.data(), static_cast<std::streamsize>(n));
  }
  if (in.bad()) throw IoError(location(from.string()) + "cannot read the blob");
  if (!out.flush()) throw IoError(location(to.string()) + "cannot write the temporary file");
  return hash.finish_hex();
}

// The blob store's folder: <registry>/blobs/ab/<digest>.safetensors.
fs::path registry_of(const fs::path& blob) { return blob.parent_path().parent_path().parent_path(); }

// Writes the blob's tensor file under its original name (a copy, or with `link` a symbolic
// link to the blob, which merging reads without copying) and the folder files its metadata
// carries. The blob is hashed as it is read (copied, or read once where it lies) and checked
// against the digest its name spells: what is loaded is exactly what was registered.
void restore(const fs::path& blob, const std::string& kind, const fs::path& folder, const std::string& what,
             bool link) {
  const fs::path copy = folder / ("." + kind + ".blob");
  const std::string digest = link ? sha256_file_hex(blob) : copy_hashing(blob, copy);
  if (const std::string named = blob.stem().string(); is_sha256_hex(named) && named != digest)
    throw InputError(fmt::format("{}: {}", what, blob_mismatch(blob, kind)));
  const SafetensorsFile file = [&] {
    try {
      return SafetensorsFile(link ? blob : copy);
    } catch (const InputError& e) {
      throw InputError(
          fmt::format("{}: its {} blob {} is not a readable safetensors file ({}); run `taskscout "
                      "registry verify {}`",
                      what, kind, blob.string(), e.what(), registry_of(blob).string()));
    }
  }();
  const auto& metadata = file.metadata();
  const auto name = metadata.find("file_name");
  const auto files = metadata.find("folder_files");
  if (name == metadata.end() || files == metadata.end())
    throw InputError(
        fmt::format("{}: the model blob {} carries no folder files (metadata file_name and "
                    "folder_files); re-register the source with taskscout register {}",
                    what, blob.string(), opt("method")));
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
    fs::rename(copy, folder / name->second);
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
  for (const std::string& kind : kinds) restore(blobs.at(kind), kind, scratch.path(), what, false);
  return load_task_model(scratch.path(), base);
}

void restore_stored_model(const ArtifactFiles& blobs, const fs::path& folder, const std::string& what) {
  const std::vector<std::string> kinds = model_kinds(blobs);
  if (kinds.empty())
    throw InputError(what +
                     " stores no fine-tuned model (artifact full_model, "
                     "lora, or adapter and head)");
  for (const std::string& kind : kinds) restore(blobs.at(kind), kind, folder, what, true);
}

}  // namespace taskscout
