// Registry archives (registry/archive.hpp): `registry import` of a file made by
// `registry export` (SQLite with its application id, the sources' rows and their blobs).
// Imports go into one registry made at start-up; what an import added is removed again so
// the next input starts from the same state. After every input the registry must verify.
#include "fuzz_support.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/registry/archive.hpp"
#include "taskscout/registry/registry.hpp"

using namespace taskscout;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Registry registry = Registry::create(fuzz::scratch_dir() / "registry");
  const auto path = fuzz::scratch_file("archive.tsar", data, size);
  try {
    (void)is_registry_archive(path);
    const ImportResult r = import_registry(registry, path, NameClash::Rename);
    if (!r.imported.empty()) registry.remove(r.imported);
  } catch (const Error&) {
  }
  // All or nothing: a refused import leaves nothing behind, an accepted one is removed.
  if (registry.count() != 0) __builtin_trap();
  const VerifyResult v = registry.verify();
  for (const auto& p : v.problems)
    if (p.kind != "orphan_file") __builtin_trap();  // blobs a removal left are collected below
  if (!v.ok()) registry.collect_garbage();
  return 0;
}
