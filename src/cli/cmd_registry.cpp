// taskscout registry init|list|show|rm|verify|gc|export|import: managing a source registry
// (registry/registry.hpp) from the command line.
#include <fmt/format.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "command.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/core/progress.hpp"
#include "taskscout/core/sha256.hpp"
#include "taskscout/core/timer.hpp"
#include "taskscout/registry/archive.hpp"
#include "taskscout/registry/registry.hpp"

namespace taskscout::cli {
namespace {

struct RegistryCommandOptions {
  CommonOptions common;
  std::string registry, archive, out;
  std::vector<std::string> names;
  double lock_timeout = 30;
  bool quick = false, rename = false, skip = false, force = false;
};

RegistryOptions registry_options(const RegistryCommandOptions& o) { return {.lock_timeout_seconds = o.lock_timeout}; }

std::string short_digest(const std::string& digest) { return digest.substr(0, 12); }

std::string artifact_kinds(const SourceRecord& s) {
  std::string out;
  for (const auto& [kind, _] : s.artifacts) out += (out.empty() ? "" : ",") + kind;
  return out;
}

std::string human_bytes(std::int64_t n) {
  if (n < 1024) return fmt::format("{} B", n);
  if (n < (1 << 20)) return fmt::format("{:.1f} KiB", n / 1024.0);
  if (n < (1 << 30)) return fmt::format("{:.1f} MiB", n / 1048576.0);
  return fmt::format("{:.2f} GiB", n / 1073741824.0);
}

std::int64_t total_size(const SourceRecord& s) {
  std::int64_t n = 0;
  for (const auto& [_, a] : s.artifacts) n += a.size;
  return n;
}

nlohmann::ordered_json source_json(const SourceRecord& s) {
  nlohmann::ordered_json artifacts = nlohmann::ordered_json::object();
  for (const auto& [kind, a] : s.artifacts) artifacts[kind] = {{"digest", a.digest}, {"size", a.size}};
  nlohmann::ordered_json j = {{"id", s.id},
                              {"name", s.name},
                              {"base_fingerprint", s.base_fingerprint},
                              {"task", task_kind_name(s.task)},
                              {"label_names", s.label_names},
                              {"dataset_fingerprint", s.dataset_fingerprint},
                              {"dataset_size", s.dataset_size},
                              {"artifacts", artifacts},
                              {"dev_metrics", s.dev_metrics},
                              {"provenance", s.provenance},
                              {"created_at", s.created_at}};
  if (!s.defect.empty()) j["defect"] = s.defect;
  return j;
}

void run_init(const RegistryCommandOptions& o) {
  Registry::create(o.registry, registry_options(o));
  std::cerr << fmt::format("created an empty registry in {}\n", o.registry);
}

void run_list(const RegistryCommandOptions& o) {
  apply_common_options(o.common);
  const Registry reg = Registry::open(o.registry, registry_options(o));
  const std::vector<SourceRecord> sources = reg.list();
  if (o.common.json) {
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const auto& s : sources) list.push_back(source_json(s));
    print_json({{"registry", o.registry}, {"count", sources.size()}, {"sources", list}});
    return;
  }
  ResultTable table{{"id", "name", "task", "classes", "examples", "artifacts", "size", "base", "created", "status"},
                    {}};
  table.rows.reserve(sources.size());
  for (const auto& s : sources)
    table.rows.push_back({std::to_string(s.id), s.name, task_kind_name(s.task), std::to_string(s.label_names.size()),
                          std::to_string(s.dataset_size), artifact_kinds(s), human_bytes(total_size(s)),
                          short_digest(s.base_fingerprint), s.created_at, s.defect.empty() ? "ok" : "damaged"});
  print_table(table, o.common.csv);
}

void run_show(const RegistryCommandOptions& o) {
  apply_common_options(o.common);
  const Registry reg = Registry::open(o.registry, registry_options(o));
  const SourceRecord s = reg.get(o.names.at(0));
  if (o.common.json) {
    print_json(source_json(s));
    return;
  }
  ResultTable table{{"field", "value"}, {}};
  auto row = [&](std::string field, std::string value) { table.rows.push_back({std::move(field), std::move(value)}); };
  row("id", std::to_string(s.id));
  row("name", s.name);
  row("base_fingerprint", s.base_fingerprint);
  row("task", task_kind_name(s.task));
  row("label_names", nlohmann::json(s.label_names).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  row("dataset_fingerprint", s.dataset_fingerprint);
  row("dataset_size", std::to_string(s.dataset_size));
  for (const auto& [kind, a] : s.artifacts)
    row("artifact." + kind, is_sha256_hex(a.digest)
                                ? fmt::format("{} ({})", reg.blob_path(a.digest).string(), human_bytes(a.size))
                                : "(malformed digest: see defect)");
  row("dev_metrics", s.dev_metrics.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  row("provenance", s.provenance.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  row("created_at", s.created_at);
  if (!s.defect.empty()) row("defect", s.defect);
  print_table(table, o.common.csv);
}

void run_rm(const RegistryCommandOptions& o) {
  apply_common_options(o.common);
  Registry reg = Registry::open(o.registry, registry_options(o));
  const RemoveResult r = reg.remove(o.names);
  if (r.blobs_left > 0)
    std::cerr << fmt::format(
        "note: {} unreferenced blob(s) could not be deleted ({}); the sources are removed, and `taskscout registry gc "
        "{}` deletes the files\n",
        r.blobs_left, r.blobs_left_reason, o.registry);
  if (o.common.json) {
    print_json({{"removed", r.removed},
                {"blobs_deleted", r.blobs_deleted},
                {"bytes_freed", r.bytes_freed},
                {"blobs_left", r.blobs_left}});
    return;
  }
  ResultTable table{{"removed", "blobs_deleted", "freed"}, {}};
  table.rows.push_back({std::to_string(r.removed.size()), std::to_string(r.blobs_deleted), human_bytes(r.bytes_freed)});
  print_table(table, o.common.csv);
}

void run_verify(const RegistryCommandOptions& o) {
  apply_common_options(o.common);
  const Registry reg = Registry::open(o.registry, registry_options(o));
  VerifyResult v;
  {
    std::unique_ptr<ProgressBar> progress;
    VerifyOptions options;
    options.check_content = !o.quick;
    options.progress = [&](std::int64_t, std::int64_t total) {
      if (!progress) progress = std::make_unique<ProgressBar>("verifying", total);
      progress->advance();
    };
    v = reg.verify(options);
  }
  if (o.common.json) {
    nlohmann::ordered_json problems = nlohmann::ordered_json::array();
    for (const auto& p : v.problems)
      problems.push_back(
          {{"kind", p.kind}, {"source", p.source}, {"artifact", p.artifact}, {"path", p.path}, {"detail", p.detail}});
    print_json({{"registry", o.registry},
                {"sources", v.sources},
                {"blobs", v.blobs},
                {"content_checked", !o.quick},
                {"ok", v.ok()},
                {"problems", problems}});
  } else if (!v.ok()) {
    ResultTable table{{"problem", "source", "artifact", "path", "detail"}, {}};
    for (const auto& p : v.problems) table.rows.push_back({p.kind, p.source, p.artifact, p.path, p.detail});
    print_table(table, o.common.csv);
  } else {
    ResultTable table{{"sources", "blobs", "content_checked", "problems"}, {}};
    table.rows.push_back({std::to_string(v.sources), std::to_string(v.blobs), o.quick ? "no" : "yes", "0"});
    print_table(table, o.common.csv);
  }
  if (!v.ok())
    throw InputError(location(o.registry) +
                     fmt::format("{} problem(s) found, listed above; each says what to do", v.problems.size()));
}

void run_gc(const RegistryCommandOptions& o) {
  apply_common_options(o.common);
  Registry reg = Registry::open(o.registry, registry_options(o));
  const GarbageResult g = reg.collect_garbage();
  if (g.files_left > 0)
    std::cerr << fmt::format(
        "note: {} unreferenced file(s) could not be deleted ({}); nothing referenced was touched: fix the cause and "
        "run `taskscout registry gc {}` again\n",
        g.files_left, g.files_left_reason, o.registry);
  if (o.common.json) {
    print_json({{"files_deleted", g.files_deleted}, {"bytes_freed", g.bytes_freed}, {"files_left", g.files_left}});
    return;
  }
  ResultTable table{{"files_deleted", "freed"}, {}};
  table.rows.push_back({std::to_string(g.files_deleted), human_bytes(g.bytes_freed)});
  print_table(table, o.common.csv);
}

void run_export(const RegistryCommandOptions& o) {
  apply_common_options(o.common);
  const Registry reg = Registry::open(o.registry, registry_options(o));
  Stopwatch watch;
  ExportResult e;
  {
    std::unique_ptr<ProgressBar> bar;
    e = export_registry(
        reg, o.out,
        [&](std::int64_t, std::int64_t total) {
          if (!bar) bar = std::make_unique<ProgressBar>("exporting", total);
          bar->advance();
        },
        o.force);
  }
  if (o.common.json) {
    print_json(
        {{"out", o.out}, {"sources", e.sources}, {"blobs", e.blobs}, {"bytes", e.bytes}, {"seconds", watch.seconds()}});
    return;
  }
  ResultTable table{{"out", "sources", "blobs", "size", "seconds"}, {}};
  table.rows.push_back({o.out, std::to_string(e.sources), std::to_string(e.blobs), human_bytes(e.bytes),
                        fmt::format("{:.2f}", watch.seconds())});
  print_table(table, o.common.csv);
}

void run_import(const RegistryCommandOptions& o) {
  apply_common_options(o.common);
  if (o.rename && o.skip) throw UsageError("--rename and --skip exclude each other; pick one");
  Registry reg = Registry::open(o.registry, registry_options(o));
  const NameClash on_clash = o.rename ? NameClash::Rename : o.skip ? NameClash::Skip : NameClash::Fail;
  ImportResult r;
  {
    std::unique_ptr<ProgressBar> bar;
    std::int64_t shown = 0;
    r = import_registry(reg, o.archive, on_clash, [&](std::int64_t done, std::int64_t total) {
      if (!bar) bar = std::make_unique<ProgressBar>("importing", total);
      bar->advance(done - shown);
      shown = done;
    });
  }
  if (o.common.json) {
    nlohmann::ordered_json renamed = nlohmann::ordered_json::object();
    for (const auto& [from, to] : r.renamed) renamed[from] = to;
    print_json(
        {{"imported", r.imported}, {"renamed", renamed}, {"skipped", r.skipped}, {"blobs_written", r.blobs_written}});
    return;
  }
  for (const auto& [from, to] : r.renamed) std::cerr << fmt::format("note: \"{}\" imported as \"{}\"\n", from, to);
  for (const auto& name : r.skipped) std::cerr << fmt::format("note: \"{}\" skipped: the name is taken\n", name);
  ResultTable table{{"imported", "renamed", "skipped", "blobs_written"}, {}};
  table.rows.push_back({std::to_string(r.imported.size()), std::to_string(r.renamed.size()),
                        std::to_string(r.skipped.size()), std::to_string(r.blobs_written)});
  print_table(table, o.common.csv);
}

CLI::App* sub(CLI::App& parent, const std::string& name, const std::string& help, RegistryCommandOptions& o) {
  CLI::App* cmd = parent.add_subcommand(name, help);
  cmd->add_option("registry", o.registry, "Registry folder")->required();
  cmd->add_option("--lock-timeout", o.lock_timeout, "Seconds to wait for another process's lock")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  return cmd;
}

}  // namespace

void add_registry_command(CLI::App& app) {
  auto o = std::make_shared<RegistryCommandOptions>();
  CLI::App* reg = app.add_subcommand("registry", "Manage a source registry (index + content-addressed blobs)");
  reg->require_subcommand(1);
  reg->footer(
      "A registry is a folder: registry.sqlite (the index) and blobs/ (safetensors artifacts, each stored once).\n"
      "Examples:\n  taskscout registry init reg\n  taskscout register --registry reg --base bert --esm "
      "sst2.esm.safetensors "
      "--name sst2\n  taskscout registry list reg --json\n  taskscout registry export reg reg.tsar   (one file, "
      "blobs inside)\n  taskscout registry import other reg.tsar --rename");

  CLI::App* init = sub(*reg, "init", "Create an empty registry in a new or empty folder", *o);
  init->callback([o] { run_init(*o); });

  CLI::App* list = sub(*reg, "list", "List every source: id, name, task, artifacts, base", *o);
  add_common_options(*list, o->common);
  list->callback([o] { run_list(*o); });

  CLI::App* show = sub(*reg, "show", "Show one source in full (by name or id)", *o);
  show->add_option("name", o->names, "Source name or id")->required()->expected(1);
  add_common_options(*show, o->common);
  show->callback([o] { run_show(*o); });

  CLI::App* rm = sub(*reg, "rm", "Remove sources; blobs no other source uses are deleted", *o);
  rm->add_option("names", o->names, "Source names")->required();
  add_common_options(*rm, o->common);
  rm->callback([o] { run_rm(*o); });

  CLI::App* verify = sub(*reg, "verify", "Check every blob: missing, changed content, unreadable; orphan files", *o);
  verify->add_flag("--quick", o->quick, "Only check that blobs exist (no re-hashing)");
  add_common_options(*verify, o->common);
  verify->callback([o] { run_verify(*o); });

  CLI::App* gc = sub(*reg, "gc", "Delete orphan blobs and files left by interrupted writes", *o);
  add_common_options(*gc, o->common);
  gc->callback([o] { run_gc(*o); });

  CLI::App* exp = sub(*reg, "export", "Write the whole registry, blobs included, to one file", *o);
  exp->add_option("out", o->out, "Archive file to write (replaced only if it is an earlier archive)")->required();
  exp->add_flag("--force", o->force, "Replace OUT even if it is not a taskscout archive");
  add_common_options(*exp, o->common);
  exp->callback([o] { run_export(*o); });

  CLI::App* imp = sub(*reg, "import", "Add every source of an archive (all or nothing; blobs re-hashed)", *o);
  imp->add_option("archive", o->archive, "Archive written by `registry export`")->required()->check(CLI::ExistingFile);
  imp->add_flag("--rename", o->rename, "Import clashing names as NAME-2, NAME-3, …");
  imp->add_flag("--skip", o->skip, "Leave out sources whose name is taken");
  add_common_options(*imp, o->common);
  imp->callback([o] { run_import(*o); });

  add_registry_hf_esm_commands(*reg);
}

}  // namespace taskscout::cli
