// taskscout._core.rank: select/rank.hpp's rank_sources, the whole of `taskscout rank`: a pool
// (a registry, or ESM files) ranked for one target — a table of texts embedded with the base
// model, or base embeddings given as numpy arrays. Results are returned whole (every ranked and
// skipped source); the Python side cuts to k and prints.
#include "taskscout/select/rank.hpp"

#include <optional>
#include <string>
#include <vector>

#include "arrays.hpp"
#include "bindings.hpp"
#include "call.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/core/threads.hpp"
#include "taskscout/io/table.hpp"
#include "taskscout/model/embedding_options.hpp"
#include "taskscout/select/combined_ranker.hpp"

namespace taskscout::python {
namespace {

// What Python fills in; rank() turns it into the library's RankRequest.
struct PyRankRequest {
  std::string registry;
  std::vector<std::string> esms;     // ESM files or folders
  std::string target;                // a table file, or
  std::vector<std::string> columns;  // a table given from Python (columns, rows of text cells)
  std::vector<std::vector<std::string>> rows;
  std::string base, base_fingerprint;
  std::vector<std::string> methods;  // empty: the library's default
  std::string task = "auto", text_column = "text", text_pair_column, label_column = "label", pooling = "auto";
  int layer = -1;
  std::size_t max_length = 0, batch_size = 32;
  std::string combined_weights;
  std::uint64_t seed = 0;
  int threads = 0;
};

// Rows given from Python: a table read as a file would be (the same label order and checks).
Table rows_table(const PyRankRequest& q) {
  Table table;
  table.path = "<target rows>";
  table.columns = q.columns;
  table.rows = q.rows;
  for (std::size_t i = 0; i < q.rows.size(); ++i) table.lines.push_back(static_cast<long>(i + 1));
  return table;
}

py::dict rank(const PyRankRequest& q, const std::optional<py::array>& features, const std::optional<py::array>& labels,
              py::object progress) {
  RankRequest r;
  r.registry = q.registry;
  r.esm_files = q.esms;
  r.target = q.target;
  r.base = q.base;
  r.base_fingerprint = q.base_fingerprint;
  r.methods = q.methods;
  r.columns.text_column = q.text_column;
  r.columns.text_pair_column = q.text_pair_column;
  r.columns.label_column = q.label_column;
  r.columns.kind = q.task == "regression" ? LabelKind::Regression : LabelKind::Classification;
  set_pooling(r, q.pooling);
  r.embedding.embedding.layer = q.layer;
  r.embedding.max_length = q.max_length;
  r.embedding.batch_size = q.batch_size;
  r.pool.taskemb_fine_tune.seed = q.seed;
  if (features) {
    if (!labels) throw UsageError("target features need labels");
    // Read with the GIL held (Python objects); the features stay a view of the numpy buffer.
    r.features_name = "target features";
    r.features.features = features_array(*features, r.features_name);
    r.features.targets = targets_from_labels(*labels, q.task, r.features_name);
  }
  CallContext call(std::move(progress));
  const RankResult result = call.run([&] {
    set_thread_count(q.threads);
    if (!q.combined_weights.empty()) r.pool.combined = CombinedRanker::load(q.combined_weights);
    if (!q.rows.empty()) r.target_table = rows_table(q);
    return rank_sources(r, call.progress());
  });

  py::dict out;
  out["target"] = result.target.what;
  out["n"] = result.target.input.features.rows();
  out["d"] = result.target.input.features.cols();
  out["sources"] = result.sources;
  out["embed_seconds"] = result.target.embed_seconds;
  out["notes"] = result.notes;
  py::list per_method;
  for (const auto& m : result.methods) {
    py::list ranked, skipped;
    for (const auto& s : m.ranking.ranked) ranked.append(py::make_tuple(s.name, s.score, s.seconds));
    for (const auto& s : m.ranking.skipped) skipped.append(py::make_tuple(s.name, s.skipped, s.seconds));
    py::dict d;
    d["method"] = m.method;
    d["ranked"] = ranked;
    d["skipped"] = skipped;
    d["setup_seconds"] = m.setup_seconds;
    d["seconds"] = m.seconds;
    per_method.append(d);
  }
  out["methods"] = per_method;
  return out;
}

}  // namespace

void bind_rank(py::module_& m) {
  py::class_<PyRankRequest>(m, "RankRequest")
      .def(py::init<>())
      .def_readwrite("registry", &PyRankRequest::registry)
      .def_readwrite("esms", &PyRankRequest::esms)
      .def_readwrite("target", &PyRankRequest::target)
      .def_readwrite("columns", &PyRankRequest::columns)
      .def_readwrite("rows", &PyRankRequest::rows)
      .def_readwrite("base", &PyRankRequest::base)
      .def_readwrite("base_fingerprint", &PyRankRequest::base_fingerprint)
      .def_readwrite("methods", &PyRankRequest::methods)
      .def_readwrite("task", &PyRankRequest::task)
      .def_readwrite("text_column", &PyRankRequest::text_column)
      .def_readwrite("text_pair_column", &PyRankRequest::text_pair_column)
      .def_readwrite("label_column", &PyRankRequest::label_column)
      .def_readwrite("pooling", &PyRankRequest::pooling)
      .def_readwrite("layer", &PyRankRequest::layer)
      .def_readwrite("max_length", &PyRankRequest::max_length)
      .def_readwrite("batch_size", &PyRankRequest::batch_size)
      .def_readwrite("combined_weights", &PyRankRequest::combined_weights)
      .def_readwrite("seed", &PyRankRequest::seed)
      .def_readwrite("threads", &PyRankRequest::threads);
  m.def("rank", &rank, py::arg("request"), py::arg("features"), py::arg("labels"), py::arg("progress"));
  py::list names;
  for (const auto& r : rank_methods()) names.append(r.name);
  m.attr("rank_method_names") = names;
}

}  // namespace taskscout::python
