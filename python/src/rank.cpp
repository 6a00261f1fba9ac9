// taskscout._core.rank: a pool (a registry, or ESM files) ranked for one target by
// select/rank.hpp's rank_pool, as `taskscout rank` does. The target is a table of texts (a
// file, or rows given from Python) embedded with the base model, or base embeddings given as
// numpy arrays. Results are returned whole (every ranked and skipped source); the Python
// side cuts to k and prints.
#include "taskscout/select/rank.hpp"

#include <fmt/format.h>

#include <optional>
#include <string>
#include <vector>

#include "arrays.hpp"
#include "bindings.hpp"
#include "call.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/core/threads.hpp"
#include "taskscout/io/dataset.hpp"
#include "taskscout/io/table.hpp"
#include "taskscout/model/pooling.hpp"
#include "taskscout/registry/fingerprint.hpp"

namespace taskscout::python {
namespace {

struct RankRequest {
  std::string registry;              // or
  std::vector<std::string> esms;     // ESM files or folders
  std::string target;                // a table file, or
  std::vector<std::string> columns;  // a table given from Python (columns, rows)
  std::vector<std::vector<std::string>> rows;
  std::string base, base_fingerprint;
  std::vector<std::string> methods;  // empty: the CLI's default
  std::string task = "auto", text_column = "text", text_pair_column, label_column = "label", pooling = "mean";
  int layer = -1;
  std::size_t max_length = 0, batch_size = 32;
  std::string combined_weights;
  std::uint64_t seed = 0;
  int threads = 0;
};

DatasetOptions dataset_options(const RankRequest& q) {
  DatasetOptions d;
  d.text_column = q.text_column;
  d.text_pair_column = q.text_pair_column;
  d.label_column = q.label_column;
  d.kind = q.task == "regression" ? LabelKind::Regression : LabelKind::Classification;
  return d;
}

// The target's texts embedded with the base (progress phase "embedding target").
RankTarget text_target(const RankRequest& q, const Progress& progress) {
  if (q.base.empty()) throw UsageError("a target given as texts needs base=, the model folder that embeds them");
  Dataset data;
  if (!q.target.empty()) {
    data = load_dataset(q.target, dataset_options(q));
  } else {
    Table table;
    table.path = "<target rows>";
    table.columns = q.columns;
    table.rows = q.rows;
    for (std::size_t i = 0; i < q.rows.size(); ++i) table.lines.push_back(static_cast<long>(i + 2));
    data = make_dataset(table, dataset_options(q));
  }
  TextEmbeddingOptions options;
  options.embedding.pooling = parse_pooling(q.pooling);
  options.embedding.layer = q.layer;
  options.max_length = q.max_length;
  options.batch_size = q.batch_size;
  const std::string fingerprint = q.base_fingerprint.empty() ? base_model_fingerprint(q.base) : q.base_fingerprint;
  ProgressPhase phase(progress, "embedding target", static_cast<std::int64_t>(data.texts.size()));
  return embed_rank_target(data, q.base, fingerprint, options,
                           [&](std::size_t done, std::size_t) { phase.advance(static_cast<std::int64_t>(done)); });
}

py::dict rank(const RankRequest& q, const std::optional<py::array>& features, const std::optional<py::array>& labels,
              py::object progress) {
  if (q.registry.empty() == q.esms.empty())
    throw UsageError("give the sources as a registry or as ESM files, one of the two");
  std::vector<std::string> methods;
  if (q.methods.size() == 1 && q.methods[0] == "all")
    for (const auto& m : rank_methods()) methods.push_back(m.name);
  else
    for (const auto& m : q.methods) methods.push_back(find_rank_method(m).name);
  const bool by_default = methods.empty();
  // Arrays are read with the GIL held (they are Python objects); the features stay a view.
  RankTarget target;
  const bool from_features = features.has_value();
  if (from_features) {
    if (!labels) throw UsageError("target features need labels");
    target.what = "target features";
    target.input.features = features_array(*features, target.what);
    target.input.targets = targets_from_labels(*labels, q.task, target.what);
  }
  std::vector<std::string> notes;
  CallContext call(std::move(progress));
  std::vector<PoolSource> pool;
  std::vector<MethodRanking> results;
  call.run([&] {
    set_thread_count(q.threads);
    // Sources first: a wrong registry path fails before the target is embedded.
    pool = q.registry.empty() ? esm_file_pool(q.esms) : registry_pool(q.registry);
    RankPoolOptions pool_options;
    if (!q.combined_weights.empty()) pool_options.combined = CombinedRanker::load(q.combined_weights);
    pool_options.taskemb_fine_tune.seed = q.seed;
    if (from_features) {
      target.base_fingerprint = !q.base_fingerprint.empty() ? q.base_fingerprint
                                : !q.base.empty()           ? base_model_fingerprint(q.base)
                                                            : "";
    } else {
      target = text_target(q, call.progress());
    }
    validate(target.input, target.what);
    if (by_default) {
      // As the CLI: combined, or esm-logme when the target has no texts (combined reads them).
      methods = {target.has_texts() ? "combined" : "esm-logme"};
      if (!target.has_texts())
        notes.push_back("ranking by esm-logme: the default method, combined, needs the target's texts");
    } else if (!target.has_texts() && q.methods.size() == 1 && q.methods[0] == "all") {
      std::erase_if(methods, [](const std::string& m) { return find_rank_method(m).reads_texts; });
      notes.push_back("the methods that read the target's texts are left out: give the target as texts");
    }
    results = rank_pool(target, pool, methods, call.progress(), pool_options);
  });

  py::dict out;
  out["target"] = target.what;
  out["n"] = target.input.features.rows();
  out["d"] = target.input.features.cols();
  out["sources"] = pool.size();
  out["embed_seconds"] = target.embed_seconds;
  out["notes"] = notes;
  py::list per_method;
  for (const auto& r : results) {
    py::list ranked, skipped;
    for (const auto& s : r.ranking.ranked) ranked.append(py::make_tuple(s.name, s.score, s.seconds));
    for (const auto& s : r.ranking.skipped) skipped.append(py::make_tuple(s.name, s.skipped, s.seconds));
    py::dict d;
    d["method"] = r.method;
    d["ranked"] = ranked;
    d["skipped"] = skipped;
    d["setup_seconds"] = r.setup_seconds;
    d["seconds"] = r.seconds;
    per_method.append(d);
  }
  out["methods"] = per_method;
  return out;
}

}  // namespace

void bind_rank(py::module_& m) {
  py::class_<RankRequest>(m, "RankRequest")
      .def(py::init<>())
      .def_readwrite("registry", &RankRequest::registry)
      .def_readwrite("esms", &RankRequest::esms)
      .def_readwrite("target", &RankRequest::target)
      .def_readwrite("columns", &RankRequest::columns)
      .def_readwrite("rows", &RankRequest::rows)
      .def_readwrite("base", &RankRequest::base)
      .def_readwrite("base_fingerprint", &RankRequest::base_fingerprint)
      .def_readwrite("methods", &RankRequest::methods)
      .def_readwrite("task", &RankRequest::task)
      .def_readwrite("text_column", &RankRequest::text_column)
      .def_readwrite("text_pair_column", &RankRequest::text_pair_column)
      .def_readwrite("label_column", &RankRequest::label_column)
      .def_readwrite("pooling", &RankRequest::pooling)
      .def_readwrite("layer", &RankRequest::layer)
      .def_readwrite("max_length", &RankRequest::max_length)
      .def_readwrite("batch_size", &RankRequest::batch_size)
      .def_readwrite("combined_weights", &RankRequest::combined_weights)
      .def_readwrite("seed", &RankRequest::seed)
      .def_readwrite("threads", &RankRequest::threads);
  m.def("rank", &rank, py::arg("request"), py::arg("features"), py::arg("labels"), py::arg("progress"));
  py::list names;
  for (const auto& r : rank_methods()) names.append(r.name);
  m.attr("rank_method_names") = names;
}

}  // namespace taskscout::python
