#pragma once
// An injectable file layer for the fault-injection tests: this test program defines the
// libc calls that write, sync, rename and delete files (write, pwrite, fsync, fdatasync,
// syncfs, rename, unlink, remove, …), so every caller in the process — taskscout's code,
// libstdc++'s filesystem and SQLite — goes through them. Calls on files under one folder are
// counted per kind, and the n-th of a kind can be made to fail with a chosen errno, as a
// full disk (ENOSPC), a failing device (EIO) or a refused rename would.
#include <cstdint>
#include <filesystem>

namespace taskscout::faults {

enum class Kind { Write, Sync, Rename, Unlink };
inline constexpr int kKinds = 4;
const char* kind_name(Kind kind);

// Starts counting calls on files under `folder` (and failing the `fail_at`-th call of
// `kind` with `error`, when fail_at > 0). Counts restart at zero.
void arm(const std::filesystem::path& folder, Kind kind = Kind::Write, long fail_at = 0, int error = 0);
// Stops counting and failing.
void disarm();
long count(Kind kind);
// Whether the armed failure happened.
bool fired();

}  // namespace taskscout::faults
