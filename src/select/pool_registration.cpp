// Registering a pool of sources across the processes of a job (see pool_registration.hpp).
#include "taskscout/select/pool_registration.hpp"

#include <fmt/format.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "taskscout/core/error.hpp"
#include "taskscout/core/timer.hpp"
#include "taskscout/io/model_fingerprint.hpp"
#include "taskscout/registry/staging.hpp"

namespace taskscout {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Message tags: a source's outcome (prepared or failed), "this process has no more", and the
// root's "all is committed".
constexpr int kOutcome = 1, kDone = 2, kFinished = 3;

// The next message, waited for asleep: MPI's own waits spin, and a process spinning while
// it waits takes a core from one still fine-tuning on the same node.
ClusterMessage next_message(Cluster& cluster) {
  for (;;) {
    if (auto m = cluster.poll()) return *m;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// The record's fields Registry::add reads, to and from a message.
json record_json(const SourceRecord& r) {
  return {{"name", r.name},
          {"base_fingerprint", r.base_fingerprint},
          {"task", task_kind_name(r.task)},
          {"label_names", r.label_names},
          {"dataset_fingerprint", r.dataset_fingerprint},
          {"dataset_size", r.dataset_size},
          {"dev_metrics", r.dev_metrics},
          {"provenance", r.provenance}};
}

SourceRecord record_from_json(const json& j) {
  SourceRecord r;
  r.name = j.at("name");
  r.base_fingerprint = j.at("base_fingerprint");
  const std::string task = j.at("task");
  if (task == "classification") r.task = LabelKind::Classification;
  if (task == "regression") r.task = LabelKind::Regression;
  r.label_names = j.at("label_names").get<std::vector<std::string>>();
  r.dataset_fingerprint = j.at("dataset_fingerprint");
  r.dataset_size = j.at("dataset_size");
  r.dev_metrics = j.at("dev_metrics");
  r.provenance = j.at("provenance");
  return r;
}

std::string random_token() {
  std::random_device rd;
  return fmt::format("{:08x}{:08x}{:08x}{:08x}", rd(), rd(), rd(), rd());
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  out.close();
  if (!out) throw IoError(location(path.string()) + "cannot write the file; the registry's folder must be writable");
}

PoolRow row_from_json(const json& j) {
  PoolRow s;
  s.line = j.at("line");
  s.name = j.at("name");
  s.dataset = j.at("dataset").get<std::string>();
  s.dev = j.at("dev").get<std::string>();
  s.method = j.at("method");
  s.options = j.at("options");
  return s;
}

}  // namespace

std::string pool_status_name(PoolStatus status) {
  switch (status) {
    case PoolStatus::Registered:
      return "registered";
    case PoolStatus::AlreadyRegistered:
      return "already registered";
    case PoolStatus::Failed:
      break;
  }
  return "failed";
}

std::size_t PoolRegistration::count(PoolStatus status) const {
  std::size_t n = 0;
  for (const auto& s : sources) n += s.status == status;
  return n;
}

PoolRegistration register_pool(const PoolRegistrationRequest& request, Cluster& cluster, const Progress& progress) {
  Stopwatch total;
  const bool root = cluster.is_root();
  // The root's alone: the registry, the staging run, the results.
  std::optional<Registry> registry;
  std::unique_ptr<StagingRun> run;
  PoolRegistration result;

  // 1. The root decides the work; every process gets it (or the root's error).
  const json plan = json::parse(root_decides(cluster, [&] {
    registry.emplace(Registry::open(request.registry, request.registry_options));
    const PoolManifest manifest = read_pool_manifest(request.manifest);
    base_model_fingerprint(request.defaults.base);  // a bad base: one error, not one per source
    json work = json::array();
    std::set<std::string> seen;
    for (std::size_t i = 0; i < manifest.sources.size(); ++i) {
      const PoolRow& s = manifest.sources[i];
      PoolSourceResult& r = result.sources.emplace_back();
      r.name = s.name;
      const bool first = seen.insert(s.name).second;
      if (first && s.problem.empty() && !s.name.empty()) {
        if (const auto stored = registry->find(s.name)) {
          r.status = PoolStatus::AlreadyRegistered;  // a rerun resumes: done is done
          r.dev_metrics = stored->dev_metrics;
          continue;
        }
      }
      if (!s.problem.empty()) {
        r.reason = s.problem;
        continue;
      }
      work.push_back({{"index", i},
                      {"line", s.line},
                      {"name", s.name},
                      {"dataset", s.dataset.string()},
                      {"dev", s.dev.string()},
                      {"method", s.method},
                      {"options", s.options}});
    }
    run = std::make_unique<StagingRun>(request.registry);
    const std::string token = random_token();
    write_file(run->path() / "probe", token);
    return json{{"run", run->id()}, {"token", token}, {"root", cluster.where()}, {"work", work}}.dump();
  }));
  const fs::path run_path = staging_folder(request.registry) / plan["run"].get<std::string>();

  // 2. Every process must see the root's file: a registry on one node's own disk would
  // leave the others' artifacts where the root cannot read them.
  all_or_none(cluster, [&] {
    const fs::path probe = run_path / "probe";
    if (read_file(probe) != plan["token"].get<std::string>())
      throw IoError(fmt::format(
          "cannot read {}, which the root ({}) wrote: the registry {} must be on storage every node shares (NFS, "
          "Lustre, …), not on a node's own disk; move it there and run the same command again",
          probe.string(), plan["root"].get<std::string>(), request.registry.string()));
  });

  // 3. The root commits each prepared source as it arrives.
  const json& work = plan["work"];
  std::optional<ProgressPhase> phase;
  if (root) phase.emplace(progress, "sources", static_cast<std::int64_t>(work.size()));
  std::int64_t finished = 0;
  int done_processes = 0;
  auto commit = [&](const json& outcome) {
    PoolSourceResult& r = result.sources.at(outcome.at("index").get<std::size_t>());
    r.where = outcome.at("where");
    r.seconds = outcome.at("seconds");
    if (outcome.contains("reason")) {
      r.reason = outcome["reason"];
    } else {
      try {
        NewSource entry;
        entry.record = record_from_json(outcome.at("record"));
        for (const auto& [kind, file] : outcome.at("artifacts").items())
          entry.artifact_files[kind] = run_path / file.get<std::string>();
        registry->add(entry);
        r.status = PoolStatus::Registered;
        r.dev_metrics = entry.record.dev_metrics;
      } catch (const Error& e) {
        r.reason = e.what();
      }
    }
    std::error_code ec;
    fs::remove_all(run_path / std::to_string(outcome.at("index").get<std::size_t>()), ec);
    phase->advance(++finished, fmt::format("{}: {}", r.name, pool_status_name(r.status)));
  };
  auto on_message = [&](const ClusterMessage& m) {
    if (m.tag == kDone) {
      ++done_processes;
    } else {
      commit(json::from_cbor(m.bytes));
    }
  };
  // Messages may be handled only on the thread that runs the job (MPI is initialized for
  // that thread alone); progress callbacks may come from worker threads.
  const std::thread::id main_thread = std::this_thread::get_id();
  auto drain = [&] {
    if (!root || std::this_thread::get_id() != main_thread) return;
    while (auto m = cluster.poll()) on_message(*m);
  };

  for (const std::size_t k : shard_of(work.size(), cluster)) {
    const PoolRow row = row_from_json(work[k]);
    const std::size_t index = work[k].at("index");
    json outcome = {{"index", index}, {"where", cluster.where()}};
    const fs::path staging = run_path / std::to_string(index);
    Stopwatch watch;
    try {
      SourceRegistrationOptions options = pool_source_options(
          request.defaults, row, fmt::format("{}:{}: source \"{}\": ", request.manifest.string(), row.line, row.name));
      options.provenance["command"] = "register --pool";
      options.provenance["pool"] = {{"manifest", fs::absolute(request.manifest).string()}, {"line", row.line}};
      const Dataset source = load_dataset(row.dataset, request.dataset);
      std::optional<Dataset> dev;
      if (!row.dev.empty()) {
        DatasetOptions d = request.dataset;
        if (source.kind == LabelKind::Classification) d.label_names = source.label_names;
        dev = load_dataset(row.dev, d);
      }
      fs::create_directories(staging);
      // The root keeps committing what the others send while it fine-tunes its own share.
      RegistrationProgress keep_committing;
      keep_committing.advance = [&](std::int64_t, const std::string&) { drain(); };
      const PreparedSource prepared = prepare_fine_tuned_source(source, dev, options, staging, keep_committing);
      outcome["record"] = record_json(prepared.entry.record);
      json artifacts = json::object();
      for (const auto& [kind, file] : prepared.entry.artifact_files)
        artifacts[kind] = file.lexically_relative(run_path).string();
      outcome["artifacts"] = artifacts;
    } catch (const Cancelled&) {
      throw;
    } catch (const Error& e) {
      outcome["reason"] = e.what();
    } catch (const fs::filesystem_error& e) {
      outcome["reason"] = e.what();
    }
    if (outcome.contains("reason")) {
      std::error_code ec;
      fs::remove_all(staging, ec);
    }
    outcome["seconds"] = watch.seconds();
    if (root) {
      commit(outcome);
      drain();
    } else {
      const std::vector<std::uint8_t> bytes = json::to_cbor(outcome);
      cluster.send(0, kOutcome, std::string(bytes.begin(), bytes.end()));
    }
  }
  if (!root) {
    cluster.send(0, kDone, "");
    next_message(cluster);  // kFinished: the only message the root sends
    return result;
  }
  // Each process's outcomes arrive before its "done" (messages between two processes keep
  // their order): when all said done, all is committed.
  while (done_processes < cluster.size() - 1) on_message(next_message(cluster));
  for (int to = 1; to < cluster.size(); ++to) cluster.send(to, kFinished, "");
  phase.reset();
  result.seconds = total.seconds();
  return result;
}

}  // namespace taskscout
