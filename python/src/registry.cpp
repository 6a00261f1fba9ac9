// taskscout._core.Registry: a source registry's records, and registering a source — an ESM
// trained elsewhere or fine-tuned here — through select/registration.hpp, as `taskscout register`.
#include "taskscout/registry/registry.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <mutex>
#include <optional>
#include <string>

#include "bindings.hpp"
#include "call.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/core/threads.hpp"
#include "taskscout/core/timer.hpp"
#include "taskscout/io/dataset.hpp"
#include "taskscout/model/adapter.hpp"
#include "taskscout/model/config.hpp"
#include "taskscout/model/pooling.hpp"
#include "taskscout/registry/esm_check.hpp"
#include "taskscout/registry/fingerprint.hpp"
#include "taskscout/select/registration.hpp"
#include "taskscout/train/task_model.hpp"

namespace taskscout::python {
namespace {

namespace fs = std::filesystem;

// A record as a dict; the JSON fields stay JSON text (the Python side parses them).
py::dict record_dict(const SourceRecord& r) {
  py::dict artifacts;
  for (const auto& [kind, a] : r.artifacts) {
    py::dict d;
    d["kind"] = a.kind;
    d["digest"] = a.digest;
    d["size"] = a.size;
    artifacts[py::str(kind)] = d;
  }
  py::dict d;
  d["id"] = r.id;
  d["name"] = py::bytes(r.name).attr("decode")("utf-8", "replace");  // old names may not be UTF-8
  d["base_fingerprint"] = r.base_fingerprint;
  d["task"] = task_kind_name(r.task);
  d["label_names"] = r.label_names;
  d["dataset_fingerprint"] = r.dataset_fingerprint;
  d["dataset_size"] = r.dataset_size;
  d["artifacts"] = artifacts;
  d["dev_metrics"] = r.dev_metrics.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  d["provenance"] = r.provenance.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  d["created_at"] = r.created_at;
  d["defect"] = r.defect;
  return d;
}

DatasetOptions dataset_options(const py::dict& o) {
  DatasetOptions d;
  d.text_column = o["text_column"].cast<std::string>();
  d.text_pair_column = o["text_pair_column"].cast<std::string>();
  d.label_column = o["label_column"].cast<std::string>();
  d.kind = o["task"].cast<std::string>() == "regression" ? LabelKind::Regression : LabelKind::Classification;
  return d;
}

// One Registry connection; the mutex keeps Python threads from sharing it at once (the
// registry asks for one thread at a time per object). It is only taken without the GIL.
class PyRegistry {
 public:
  PyRegistry(const std::string& folder, bool create, double lock_timeout)
      : registry_(create ? Registry::create(folder, {.lock_timeout_seconds = lock_timeout})
                         : Registry::open(folder, {.lock_timeout_seconds = lock_timeout})) {}

  std::string folder() const { return registry_.folder().string(); }

  py::list sources() {
    std::vector<SourceRecord> records;
    {
      py::gil_scoped_release release;  // before the lock: its holder may be waiting for the GIL
      std::lock_guard lock(mutex_);
      records = registry_.list();
    }
    py::list out;
    for (const auto& r : records) out.append(record_dict(r));
    return out;
  }

  // An ESM trained elsewhere, as `taskscout register --esm` (select/registration.hpp's
  // register_external_esm): with a source dataset (path non-empty), its fingerprint, labels
  // and the base's mean embedding of its texts are stored too.
  py::dict register_esm(const std::string& name, const std::string& base, const std::string& esm,
                        const std::string& source_path, const std::string& dev_metrics, const py::dict& o,
                        py::object progress) {
    EsmRegistrationOptions options;
    options.base = base;
    options.esm = esm;
    options.name = name;
    options.dev_metrics = nlohmann::json::parse(dev_metrics, nullptr, false);
    if (options.dev_metrics.is_discarded() || !options.dev_metrics.is_object())
      throw UsageError("dev_metrics must be a JSON object, e.g. {\"accuracy\": 0.91}");
    options.embedding.pooling = parse_pooling(o["pooling"].cast<std::string>());
    options.embedding.layer = o["layer"].cast<int>();
    options.max_length = o["max_length"].cast<std::size_t>();
    options.batch_size = o["batch_size"].cast<std::size_t>();
    options.max_texts = o["max_texts"].cast<std::size_t>();
    options.seed = o["seed"].cast<std::uint64_t>();
    options.provenance = {{"command", "python register(esm=...)"}};
    const DatasetOptions data_options = dataset_options(o);
    const int threads = o["threads"].cast<int>();
    CallContext call(std::move(progress));
    const EsmRegistration r = call.run([&] {
      std::lock_guard lock(mutex_);
      set_thread_count(threads);
      std::optional<Dataset> source;
      if (!source_path.empty()) source = load_dataset(source_path, data_options);
      return register_external_esm(registry_, source, options, call.progress());
    });
    return record_dict(r.stored);
  }

  // Fine-tunes on `source` here and registers the model, its ESM and the rest, as
  // `taskscout register --method`. `o` holds every option (python/taskscout/registry.py
  // fills the defaults, which are the CLI's).
  py::dict register_fine_tuned(const std::string& name, const std::string& base, const std::string& source_path,
                               const std::string& dev_path, const py::dict& o, py::object progress) {
    SourceRegistrationOptions options;
    options.base = base;
    options.name = name;
    FineTuneOptions& f = options.fine_tune;
    f.method = parse_fine_tune_method(o["method"].cast<std::string>());
    f.seed = o["seed"].cast<std::uint64_t>();
    f.epochs = o["epochs"].cast<std::int64_t>();
    f.batch_size = o["train_batch_size"].cast<std::size_t>();
    f.learning_rate = o["learning_rate"].cast<double>();
    f.warmup_ratio = o["warmup_ratio"].cast<double>();
    f.weight_decay = o["weight_decay"].cast<double>();
    f.max_grad_norm = o["max_grad_norm"].cast<double>();
    f.eval_steps = o["eval_steps"].cast<std::int64_t>();
    f.patience = o["patience"].cast<std::int64_t>();
    f.max_train_examples = o["max_train_examples"].cast<std::size_t>();
    f.max_length = o["train_max_length"].cast<std::size_t>();
    f.balanced_class_weights = o["class_weights"].cast<bool>();
    f.lora.rank = o["lora_rank"].cast<std::int64_t>();
    f.lora.alpha = o["lora_alpha"].cast<double>();
    f.lora.target_modules = o["lora_targets"].cast<std::vector<std::string>>();
    f.adapter.placement = parse_adapter_placement(o["adapter"].cast<std::string>());
    f.adapter.reduction_factor = o["reduction_factor"].cast<std::int64_t>();
    options.dev_fraction = o["dev_fraction"].cast<double>();
    options.embedding.pooling = parse_pooling(o["pooling"].cast<std::string>());
    options.embedding.layer = o["layer"].cast<int>();
    options.max_length = o["max_length"].cast<std::size_t>();
    options.batch_size = o["batch_size"].cast<std::size_t>();
    options.max_texts = o["max_texts"].cast<std::size_t>();
    options.parameter_fisher_examples = o["parameter_fisher"].cast<std::size_t>();
    options.esm.heldout_fraction = o["esm_heldout"].cast<double>();
    options.esm.seed = f.seed;
    options.provenance = {{"command", "python register(method=" + o["method"].cast<std::string>() + ")"}};
    DatasetOptions data_options = dataset_options(o);
    const int threads = o["threads"].cast<int>();

    CallContext call(std::move(progress));
    RegistrationProgress registration_progress;
    static_cast<Progress&>(registration_progress) = call.progress();
    const SourceRegistration r = call.run([&] {
      std::lock_guard lock(mutex_);
      set_thread_count(threads);
      const Dataset source = load_dataset(source_path, data_options);
      std::optional<Dataset> dev;
      if (!dev_path.empty()) {
        if (source.kind == LabelKind::Classification) data_options.label_names = source.label_names;
        dev = load_dataset(dev_path, data_options);
      }
      return register_fine_tuned_source(registry_, source, dev, options, registration_progress);
    });
    py::dict d = record_dict(r.stored);
    py::dict dev;
    for (const auto& [metric, v] : r.best.dev.values) dev[py::str(metric)] = v;
    d["dev"] = dev;
    d["esm_r2"] = r.esm_fit.r2_heldout;
    d["seconds"] = r.seconds;
    return d;
  }

 private:
  Registry registry_;
  std::mutex mutex_;
};

}  // namespace

void bind_registry(py::module_& m) {
  py::class_<PyRegistry>(m, "Registry")
      .def(py::init<const std::string&, bool, double>(), py::arg("folder"), py::arg("create"), py::arg("lock_timeout"),
           py::call_guard<py::gil_scoped_release>())
      .def_property_readonly("folder", &PyRegistry::folder)
      .def("sources", &PyRegistry::sources)
      .def("register_esm", &PyRegistry::register_esm, py::arg("name"), py::arg("base"), py::arg("esm"),
           py::arg("source"), py::arg("dev_metrics"), py::arg("options"), py::arg("progress"))
      .def("register_fine_tuned", &PyRegistry::register_fine_tuned, py::arg("name"), py::arg("base"), py::arg("source"),
           py::arg("dev"), py::arg("options"), py::arg("progress"));
}

}  // namespace taskscout::python
