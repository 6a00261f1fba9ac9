#pragma once
// What the tests of commands across processes share: taskscout started by mpirun on this
// machine (--oversubscribe, loopback only), and a way to show some processes a folder
// differently, as a node whose disk is its own would see it.
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "test_support.hpp"

namespace taskscout::testing {

inline std::string quote(const std::filesystem::path& p) { return "'" + p.string() + "'"; }

// Why these tests cannot run here, or "" when they can.
inline std::string mpi_missing() {
#ifndef TASKSCOUT_MPI
  return "this build has no MPI (TASKSCOUT_MPI off: install libopenmpi-dev and reconfigure)";
#endif
  if (std::system("command -v mpirun >/dev/null 2>&1") != 0) return "mpirun is not installed (openmpi-bin)";
  return "";
}

// The start of a shell command that launches `processes` processes with mpirun (which
// refuses to start as root without the two variables, harmless otherwise).
inline std::string mpirun(int processes) {
  return "env OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun --oversubscribe -n " +
         std::to_string(processes) + " ";
}

// `taskscout args` as `processes` processes; `wrapper` (a command taking the binary and its
// arguments), when given, starts every process but the root.
inline CommandResult run_mpi(int processes, const std::string& args, const std::string& wrapper = "") {
  TempDir tmp;
  const std::string bin = quote(taskscout_binary());
  const std::string launch = wrapper.empty() ? mpirun(processes) + bin + " " + args
                                             : mpirun(1) + bin + " " + args + " : -n " + std::to_string(processes - 1) +
                                                   " " + wrapper + " " + bin + " " + args;
  const int status = std::system((launch + " </dev/null >" + quote(tmp / "out") + " 2>" + quote(tmp / "err")).c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, read_text(tmp / "out"), read_text(tmp / "err")};
}

// A wrapper for run_mpi under which `folder` is an empty tmpfs (a mount namespace of the
// process's own): "" where unshare -m is not allowed (it needs root).
inline std::string hiding(const std::filesystem::path& folder) {
  if (std::system("unshare -m true >/dev/null 2>&1") != 0) return "";
  return "unshare -m sh -c 'mount -t tmpfs none \"$0\" && exec \"$@\"' " + quote(folder);
}

}  // namespace taskscout::testing
