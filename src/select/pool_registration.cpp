// Registering a pool of sources across the processes of a job (see pool_registration.hpp).
#include "taskscout/select/pool_registration.hpp"

#include <fmt/format.h>

#include <fstream>
#include <memory>
#include <optional>
#include <random>
#include <sstream>

#include "taskscout/core/distributed_work.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/core/threads.hpp"
#include "taskscout/core/timer.hpp"
#include "taskscout/io/atomic_file.hpp"
#include "taskscout/io/model_fingerprint.hpp"
#include "taskscout/registry/staging.hpp"

namespace taskscout {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

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
    for (std::size_t i = 0; i < manifest.sources.size(); ++i) {
      const PoolRow& s = manifest.sources[i];
      PoolSourceResult& r = result.sources.emplace_back();
      r.name = s.name;
      if (!s.problem.empty()) {  // a duplicate name included: the first row with it stands
        r.reason = s.problem;
        continue;
      }
      if (const auto stored = registry->find(s.name)) {
        r.status = PoolStatus::AlreadyRegistered;  // a rerun resumes: done is done
        r.dev_metrics = stored->dev_metrics;
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
    write_file_atomically(run->path() / "probe", token);
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
  auto commit = [&](std::size_t k, const json& outcome) {
    const std::size_t index = work[k].at("index");
    PoolSourceResult& r = result.sources.at(index);
    r.where = outcome.value("where", "");
    r.seconds = outcome.value("seconds", 0.0);
    if (outcome.contains("reason")) {
      r.reason = outcome["reason"];
    } else {
      try {
        const NewSource entry = prepared_source_from_json(outcome.at("prepared"), run_path);
        registry->add(entry);
        r.status = PoolStatus::Registered;
        r.dev_metrics = entry.record.dev_metrics;
      } catch (const Error& e) {
        r.reason = e.what();
      }
    }
    std::error_code ec;
    fs::remove_all(run_path / std::to_string(index), ec);
    phase->advance(++finished, fmt::format("{}: {}", r.name, pool_status_name(r.status)));
  };

  // One source at a time per process, on all of its threads; the root commits each outcome
  // as it arrives, also while it prepares its own share.
  DistributedWork job;
  job.count = work.size();
  job.workers = 1;
  job.worker_start = [threads = thread_count()] { set_thread_count(threads); };
  job.run = [&](std::size_t k) {
    const PoolRow row = row_from_json(work[k]);
    const fs::path staging = run_path / std::to_string(work[k].at("index").get<std::size_t>());
    json outcome = {{"where", cluster.where()}};
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
      const PreparedSource prepared = prepare_fine_tuned_source(source, dev, options, staging);
      outcome["prepared"] = prepared_source_json(prepared.entry, run_path);
    } catch (const std::exception& e) {
      // Sent as the source's outcome, with where it failed; the others go on.
      outcome["reason"] = e.what();
      std::error_code ec;
      fs::remove_all(staging, ec);
    }
    outcome["seconds"] = watch.seconds();
    const std::vector<std::uint8_t> bytes = json::to_cbor(outcome);
    return std::string(bytes.begin(), bytes.end());
  };
  job.commit = [&](std::size_t k, const std::string& bytes) {
    commit(k, json::from_cbor(std::vector<std::uint8_t>(bytes.begin(), bytes.end())));
  };
  job.failed = [&](std::size_t k, const std::string& error) { commit(k, json{{"reason", error}}); };
  run_distributed(cluster, job);
  if (!root) return result;
  phase.reset();
  result.seconds = total.seconds();
  return result;
}

}  // namespace taskscout
