// CBOR messages of a distributed ranking (see rank_messages.hpp).
#include "rank_messages.hpp"

#include <cstring>
#include <nlohmann/json.hpp>

#include "taskscout/core/error.hpp"

namespace taskscout {
namespace rank_messages {

namespace {

using json = nlohmann::json;

// A default-constructed Array (no data, as a classification target's values) is null.
json array_json(const Array& a) {
  if (!a.bytes()) return nullptr;
  const auto* p = reinterpret_cast<const std::uint8_t*>(a.bytes());
  return {{"dtype", static_cast<int>(a.dtype())},
          {"shape", a.shape()},
          {"bytes", json::binary(std::vector<std::uint8_t>(p, p + a.nbytes()))}};
}

Array json_array(const json& j) {
  if (j.is_null()) return {};
  Array a(static_cast<DType>(j["dtype"].get<int>()), j["shape"].get<std::vector<std::int64_t>>());
  const auto& bytes = j["bytes"].get_binary();
  if (bytes.size() != a.nbytes()) throw InternalError("a ranking message holds an array of the wrong size");
  if (!bytes.empty()) std::memcpy(a.mutable_bytes(), bytes.data(), bytes.size());
  return a;
}

json source_json(const PoolSource& s) {
  json model = json::object();
  for (const auto& [kind, path] : s.model) model[kind] = path.string();
  return {{"name", s.name},
          {"base", s.base_fingerprint},
          {"esm", s.esm.string()},
          {"mean", s.mean_embedding.string()},
          {"vocabulary", s.vocabulary.string()},
          {"fisher", s.fisher.string()},
          {"model", model},
          {"defect", s.defect},
          {"pooling", s.pooling},
          {"layer", s.layer}};
}

PoolSource json_source(const json& j) {
  PoolSource s;
  s.name = j["name"];
  s.base_fingerprint = j["base"];
  s.esm = j["esm"].get<std::string>();
  s.mean_embedding = j["mean"].get<std::string>();
  s.vocabulary = j["vocabulary"].get<std::string>();
  s.fisher = j["fisher"].get<std::string>();
  for (const auto& [kind, path] : j["model"].items()) s.model[kind] = path.get<std::string>();
  s.defect = j["defect"];
  s.pooling = j["pooling"];
  s.layer = j["layer"];
  return s;
}

json target_json(const RankTarget& t) {
  const Targets& y = t.input.targets;
  const Dataset& d = t.data;
  return {{"features", array_json(t.input.features)},
          {"kind", static_cast<int>(y.kind)},
          {"classes", y.classes},
          {"num_classes", y.num_classes},
          {"values", array_json(y.values)},
          {"what", t.what},
          {"base_fingerprint", t.base_fingerprint},
          {"base", t.base.string()},
          {"data",
           {{"path", d.path},
            {"texts", d.texts},
            {"text_pairs", d.text_pairs},
            {"kind", static_cast<int>(d.kind)},
            {"label_ids", d.label_ids},
            {"label_names", d.label_names},
            {"values", d.values}}},
          {"pooling", static_cast<int>(t.embedding.embedding.pooling)},
          {"layer", t.embedding.embedding.layer},
          {"max_length", t.embedding.max_length},
          {"batch_size", t.embedding.batch_size},
          {"embed_seconds", t.embed_seconds}};
}

RankTarget json_target(const json& j) {
  RankTarget t;
  t.input.features = json_array(j["features"]);
  t.input.targets.kind = static_cast<TaskKind>(j["kind"].get<int>());
  t.input.targets.classes = j["classes"].get<std::vector<std::int64_t>>();
  t.input.targets.num_classes = j["num_classes"];
  t.input.targets.values = json_array(j["values"]);
  t.what = j["what"];
  t.base_fingerprint = j["base_fingerprint"];
  t.base = j["base"].get<std::string>();
  const json& d = j["data"];
  t.data.path = d["path"];
  t.data.texts = d["texts"].get<std::vector<std::string>>();
  t.data.text_pairs = d["text_pairs"].get<std::vector<std::string>>();
  t.data.kind = static_cast<LabelKind>(d["kind"].get<int>());
  t.data.label_ids = d["label_ids"].get<std::vector<std::int64_t>>();
  t.data.label_names = d["label_names"].get<std::vector<std::string>>();
  t.data.values = d["values"].get<std::vector<double>>();
  t.embedding.embedding.pooling = static_cast<Pooling>(j["pooling"].get<int>());
  t.embedding.embedding.layer = j["layer"];
  t.embedding.max_length = j["max_length"];
  t.embedding.batch_size = j["batch_size"];
  t.embed_seconds = j["embed_seconds"];
  return t;
}

std::string cbor(const json& j) {
  const std::vector<std::uint8_t> bytes = json::to_cbor(j);
  return {bytes.begin(), bytes.end()};
}

json from_cbor(const std::string& bytes) {
  return json::from_cbor(std::vector<std::uint8_t>(bytes.begin(), bytes.end()));
}

// NaN is no JSON number: a skipped source carries its reason instead.
json score_json(const SourceScore& s) { return {s.name, s.ok() ? json(s.score) : json(nullptr), s.seconds, s.skipped}; }

SourceScore json_score(const json& j) {
  SourceScore s;
  s.name = j[0];
  if (!j[1].is_null()) s.score = j[1];
  s.seconds = j[2];
  s.skipped = j[3];
  return s;
}

json ranking_json(const MethodRanking& r) {
  auto scores = [](const std::vector<SourceScore>& list) {
    json out = json::array();
    for (const auto& s : list) out.push_back(score_json(s));
    return out;
  };
  return {{"method", r.method},
          {"setup", r.setup_seconds},
          {"seconds", r.seconds},
          {"ranked", scores(r.ranking.ranked)},
          {"skipped", scores(r.ranking.skipped)}};
}

MethodRanking json_ranking(const json& j) {
  auto scores = [](const json& list) {
    std::vector<SourceScore> out;
    for (const auto& s : list) out.push_back(json_score(s));
    return out;
  };
  MethodRanking r;
  r.method = j["method"];
  r.setup_seconds = j["setup"];
  r.seconds = j["seconds"];
  r.ranking.ranked = scores(j["ranked"]);
  r.ranking.skipped = scores(j["skipped"]);
  return r;
}

}  // namespace

std::string encode(const Plan& plan) {
  json pool = json::array();
  for (const auto& s : plan.pool) pool.push_back(source_json(s));
  return cbor({{"pool", pool},
               {"root_sees", plan.root_sees},
               {"target", target_json(plan.target)},
               {"methods", plan.methods},
               {"notes", plan.notes}});
}

Plan decode_plan(const std::string& bytes) {
  const json j = from_cbor(bytes);
  Plan plan;
  for (const auto& s : j["pool"]) plan.pool.push_back(json_source(s));
  plan.root_sees = j["root_sees"].get<std::vector<bool>>();
  plan.target = json_target(j["target"]);
  plan.methods = j["methods"].get<std::vector<std::string>>();
  plan.notes = j["notes"].get<std::vector<std::string>>();
  return plan;
}

std::string encode(const std::vector<std::size_t>& share, const std::vector<rank_parts::MethodScores>& scores) {
  json methods = json::array();
  for (const auto& m : scores) {
    json sources = json::array();
    for (std::size_t k = 0; k < share.size(); ++k)
      sources.push_back(json::array({share[k], score_json(m.scores.at(k))}));
    methods.push_back({{"method", m.method}, {"setup", m.setup_seconds}, {"seconds", m.seconds}, {"sources", sources}});
  }
  return cbor(methods);
}

void decode_scores(const std::string& bytes, std::vector<rank_parts::MethodScores>& all) {
  for (const auto& m : from_cbor(bytes)) {
    rank_parts::MethodScores* into = nullptr;
    for (auto& a : all)
      if (a.method == m["method"]) into = &a;
    if (!into) throw InternalError("a process scored a method the root did not ask for");
    // A method's time is the slowest process's; its setup, the root's (each does the same).
    into->seconds = std::max(into->seconds, m["seconds"].get<double>());
    if (into->setup_seconds == 0) into->setup_seconds = m["setup"];
    for (const auto& s : m["sources"]) into->scores.at(s[0].get<std::size_t>()) = json_score(s[1]);
  }
}

}  // namespace rank_messages

std::string encode_pool(const std::vector<PoolSource>& pool) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& s : pool) j.push_back(rank_messages::source_json(s));
  return rank_messages::cbor(j);
}

std::vector<PoolSource> decode_pool(const std::string& bytes) {
  std::vector<PoolSource> pool;
  for (const auto& s : rank_messages::from_cbor(bytes)) pool.push_back(rank_messages::json_source(s));
  return pool;
}

std::string encode_rankings(const std::vector<MethodRanking>& rankings) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& r : rankings) j.push_back(rank_messages::ranking_json(r));
  return rank_messages::cbor(j);
}

std::vector<MethodRanking> decode_rankings(const std::string& bytes) {
  std::vector<MethodRanking> out;
  for (const auto& r : rank_messages::from_cbor(bytes)) out.push_back(rank_messages::json_ranking(r));
  return out;
}

}  // namespace taskscout
