// The taskscout command: parses arguments and hands each subcommand to its module.
// Every failure the user can act on ends as one "error: …" line and a non-zero exit.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <string>

#include "command.hpp"
#include "taskscout/core/compute_process.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/core/version.hpp"

int main(int argc, char** argv) {
  // Commands that run encoders: malloc keeps large blocks, OpenMP waits passively (see
  // there). rank runs one only to embed a --target; without, it starts without re-executing.
  if (argc > 1) {
    const std::string command = argv[1];
    bool encodes = false;
    for (const char* c : {"embed", "train", "evaluate", "predict", "pretrain", "register", "benchmark", "rank-models"})
      encodes |= command == c;
    if (command == "rank")
      for (int i = 2; i < argc; ++i)
        encodes |=
            std::string(argv[i]).starts_with("--target") && !std::string(argv[i]).starts_with("--target-features");
    if (encodes) taskscout::prepare_compute_process(argv);
    // merge: OpenMP's passive wait only; its freed tensors go back to the kernel, so its
    // peak memory is what it holds at once (bench/RESULTS.md, merge).
    if (command == "merge") taskscout::prepare_compute_process(argv, false);
  }
  // One error line per job: an error every process threw alike (the same flags, or the
  // root's decision) is printed by the root alone; a failure of one process alone names
  // it and ends the whole job, since the others may be waiting for it.
  auto fail = [](int code, const std::string& message, bool shared) {
    taskscout::Cluster& cluster = taskscout::cli::job_cluster();
    if (cluster.size() == 1 || (shared && cluster.is_root())) {
      std::fprintf(stderr, "error: %s\n", message.c_str());
    } else if (!shared) {
      std::fprintf(stderr, "error: %s: %s\n", cluster.where().c_str(), message.c_str());
      std::fflush(stderr);
      taskscout::cli::end_job(code);
    }
    return code;
  };
  CLI::App app{
      "taskscout: choose what to transfer from and combine it. Ranks sources for a labeled target "
      "(transferability estimators), composes or merges the chosen ones, and measures the gain."};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("taskscout ") + taskscout::version());
  taskscout::cli::add_score_command(app);
  taskscout::cli::add_eval_command(app);
  taskscout::cli::add_synth_command(app);
  taskscout::cli::add_embed_command(app);
  taskscout::cli::add_train_command(app);
  taskscout::cli::add_evaluate_command(app);
  taskscout::cli::add_predict_command(app);
  taskscout::cli::add_registry_command(app);
  taskscout::cli::add_register_command(app);
  taskscout::cli::add_esm_command(app);
  taskscout::cli::add_rank_command(app);
  taskscout::cli::add_rank_models_command(app);
  taskscout::cli::add_pretrain_command(app);
  taskscout::cli::add_benchmark_command(app);
  taskscout::cli::add_report_command(app);
  taskscout::cli::add_compose_command(app);
  taskscout::cli::add_transfer_command(app);
  taskscout::cli::add_merge_command(app);
  try {
    if (argc > 1) taskscout::cli::join_cluster(argv[1]);
    if (argc > 1 && argv[1][0] != '-') {
      std::string names;
      bool known = false;
      for (const CLI::App* sub : app.get_subcommands({})) {
        names += (names.empty() ? "" : ", ") + sub->get_name();
        known = known || sub->get_name() == argv[1];
      }
      if (!known) throw taskscout::UsageError(std::string("unknown command '") + argv[1] + "'; choose from " + names);
    }
    app.parse(argc, argv);
    return 0;
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return fail(2, std::string(e.what()) + "; run 'taskscout --help' or 'taskscout <command> --help'", true);
  } catch (const taskscout::Error& e) {
    // Options the library names are spelled as this command's flags.
    const std::string command = argc > 1 ? argv[1] : "";
    const std::string message =
        e.message([&](std::string_view option) { return taskscout::cli::option_flag(command, option); });
    const bool shared =
        dynamic_cast<const taskscout::SharedFailure*>(&e) || dynamic_cast<const taskscout::UsageError*>(&e);
    return fail(1, message, shared);
  } catch (const std::filesystem::filesystem_error& e) {
    // A path the library checked without expecting this (a symbolic link loop, a folder
    // that cannot be read): still one line naming the path and what to do.
    const bool loop = e.code() == std::errc::too_many_symbolic_link_levels;
    return fail(1,
                fmt::format("{}: {}; {}", e.path1().string(), e.code().message(),
                            loop ? "a symbolic link there points back at itself: fix or remove it" : "check the path"),
                false);
  } catch (const taskscout::InternalError& e) {
    // A broken invariant of taskscout's own: a bug, not the user's input.
    return fail(
        3, fmt::format("internal: {}; this is a bug in taskscout {}, please report it", e.what(), taskscout::version()),
        false);
  } catch (const std::exception& e) {
    // A library failure we did not anticipate; still one line, never a trace.
    return fail(3, std::string("internal: ") + e.what(), false);
  }
}
