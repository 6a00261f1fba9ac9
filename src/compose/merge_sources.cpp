// Registered sources as merge inputs (see merge.hpp): their stored models rebuilt as
// folders over linked blobs, so merging reads the registry's files in place.
#include <fmt/format.h>

#include "taskscout/compose/merge.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/io/scratch_dir.hpp"
#include "taskscout/registry/fingerprint.hpp"
#include "taskscout/registry/registry.hpp"
#include "taskscout/select/stored_model.hpp"

namespace fs = std::filesystem;

namespace taskscout {

RegistryMergeSources registry_merge_sources(const Registry& registry, const std::vector<std::string>& names,
                                            const fs::path& base) {
  RegistryMergeSources out;
  out.scratch = std::make_shared<ScratchDir>("taskscout-merge");
  std::string fingerprint;
  fs::path recorded_base;
  for (const std::string& name : names) {
    const SourceRecord r = registry.get(name);
    const std::string what = fmt::format("source \"{}\"", r.name);
    if (!r.defect.empty()) throw InputError(fmt::format("{} in {}: {}", what, registry.folder().string(), r.defect));
    if (fingerprint.empty()) {
      fingerprint = r.base_fingerprint;
      if (const auto b = r.provenance.find("base_model"); b != r.provenance.end() && b->is_string())
        recorded_base = b->get<std::string>();
    } else if (r.base_fingerprint != fingerprint) {
      throw InputError(
          fmt::format("{} was registered with another base (fingerprint {}…) than \"{}\" ({}…); merge "
                      "sources of one base",
                      what, r.base_fingerprint.substr(0, 12), names.front(), fingerprint.substr(0, 12)));
    }
    ArtifactFiles blobs;
    std::string digest;
    for (const auto& [kind, artifact] : r.artifacts) {
      blobs[kind] = registry.blob_path(artifact.digest);
      if (kind == artifact_kind::kFullModel || kind == artifact_kind::kLora || kind == artifact_kind::kAdapter ||
          kind == artifact_kind::kHead)
        digest += (digest.empty() ? "" : "+") + kind + ":" + artifact.digest;
    }
    // Each source in its own folder, named by its id (names may hold any character).
    const fs::path folder = out.scratch->path() / std::to_string(r.id);
    fs::create_directory(folder);
    restore_stored_model(blobs, folder, what);
    MergeSource s;
    s.name = r.name;
    s.folder = folder;
    s.digest = digest;
    s.base_fingerprint = r.base_fingerprint;
    if (const auto f = blobs.find(std::string(artifact_kind::kParameterFisher)); f != blobs.end()) {
      try {
        check_blob_bytes(f->second, artifact_kind::kParameterFisher);
      } catch (const InputError& e) {
        throw InputError(fmt::format("{}: {}", what, e.what()));
      }
      s.fisher = f->second;
    }
    out.sources.push_back(std::move(s));
  }
  out.base = base;
  if (out.base.empty()) {
    if (recorded_base.empty() || !fs::is_regular_file(recorded_base / "config.json"))
      throw InputError(fmt::format("the sources' base model {} (recorded at registration) is not found; pass it as {}",
                                   recorded_base.empty() ? "(not recorded)" : recorded_base.string(), opt("base")));
    if (!fingerprint.empty() && base_model_fingerprint(recorded_base) != fingerprint)
      throw InputError(location(recorded_base.string()) +
                       "the base recorded at registration has changed since (its fingerprint differs); pass the "
                       "original base as " +
                       opt("base"));
    out.base = recorded_base;
  }
  return out;
}

}  // namespace taskscout
