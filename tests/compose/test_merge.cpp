// The merge pipeline on tiny model folders: the properties the issue names (linear of one
// model is that model, λ = 0 is the base, a LoRA merge runs as the LoRA model does), the
// output kinds and merge.json, agreement of the streamed merge with the method applied in
// memory, and every refusal leaving nothing behind.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "../train/tiny_model.hpp"
#include "taskscout/compose/merge.hpp"
#include "taskscout/compose/merge_method.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/model/head.hpp"
#include "taskscout/model/model_folder.hpp"
#include "taskscout/select/parameter_fisher.hpp"
#include "taskscout/train/fine_tune.hpp"
#include "taskscout/train/task_model.hpp"
#include "test_support.hpp"

namespace taskscout {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::TempDir;

EncoderConfig labelled(EncoderConfig c, std::vector<std::string> labels) {
  c.labels = std::move(labels);
  c.problem_type = "single_label_classification";
  c.architectures = {sequence_classification_class(c.architecture)};
  return c;
}

// A full classifier: the base's encoder moved by N(0, scale²) and a fresh head.
fs::path write_full(const fs::path& folder, const fs::path& base, std::uint64_t seed,
                    std::vector<std::string> labels = {"neg", "pos"}, double scale = 0.05) {
  const Encoder e = load_encoder(base);
  auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  TaskModel m;
  m.method = FineTuneMethod::Full;
  m.config = labelled(e.config, labels);
  for (const auto& [name, t] : e.parameters) m.encoder[name] = t + at::normal(0.0, scale, t.sizes(), generator);
  m.head = init_head(m.config, static_cast<std::int64_t>(labels.size()), seed, m.encoder);
  m.base_folder = base;
  save_task_model(folder, m);
  return folder;
}

// A LoRA classifier with nonzero B (a trained LoRA), rank `rank`.
fs::path write_lora(const fs::path& folder, const fs::path& base, std::uint64_t seed, std::int64_t rank = 2) {
  const Encoder e = load_encoder(base);
  TaskModel m;
  m.method = FineTuneMethod::Lora;
  m.config = labelled(e.config, {"neg", "pos"});
  m.encoder = e.parameters;
  m.lora.rank = rank;
  m.lora.alpha = 3.0 * static_cast<double>(rank);
  m.encode.lora_scaling = m.lora.scaling();
  auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  for (auto& [name, t] : init_lora(m.config, m.lora, seed)) {
    m.encoder[name] = name.find("lora_B") != std::string::npos ? at::normal(0.0, 0.3, t.sizes(), generator) : t;
    m.added.push_back(name);
  }
  m.head = init_head(m.config, 2, seed, m.encoder);
  m.base_folder = base;
  save_task_model(folder, m);
  return folder;
}

fs::path write_adapter(const fs::path& folder, const fs::path& base, std::uint64_t seed) {
  const Encoder e = load_encoder(base);
  TaskModel m;
  m.method = FineTuneMethod::Adapter;
  m.head_style = HeadStyle::Flex;
  m.config = labelled(e.config, {"neg", "pos"});
  m.encoder = e.parameters;
  m.encode.adapter = m.adapter.encode_options();
  for (auto& [name, t] : init_adapter(m.config, m.adapter, seed)) {
    m.encoder[name] = t;
    m.added.push_back(name);
  }
  m.head = init_head(m.config, 2, seed, m.encoder, HeadStyle::Flex);
  m.base_folder = base;
  save_task_model(folder, m);
  return folder;
}

at::Tensor logits(const TaskModel& m) {
  auto generator = at::make_generator<at::CPUGeneratorImpl>(99);
  const at::Tensor ids = at::randint(5, m.config.vocab_size, {3, 7}, generator);
  return task_logits(m, ids, at::ones({3, 7}, at::kLong), at::zeros({3, 7}, at::kLong));
}

struct Fixture : ::testing::Test {
  TempDir dir;
  fs::path base = testing::write_tiny_base(dir / "base");
  std::vector<MergeSource> sources(const std::vector<fs::path>& folders) {
    std::vector<MergeSource> out;
    for (const fs::path& f : folders) out.push_back({f.filename().string(), f, {}, {}, {}});
    return out;
  }
  MergeSummary merge(const std::vector<fs::path>& folders, const MergeOptions& o, const std::string& out = "out") {
    return merge_models(sources(folders), base, dir / out, o);
  }
};

TEST_F(Fixture, LinearOfOneModelIsThatModel) {
  const fs::path a = write_full(dir / "a", base, 1);
  MergeOptions o;
  o.head = "a";
  const MergeSummary s = merge({a}, o);
  EXPECT_EQ(s.output_kind, "classifier");
  const TaskModel merged = load_task_model(dir / "out"), source = load_task_model(a);
  ASSERT_EQ(merged.encoder.size(), source.encoder.size());
  for (const auto& [name, t] : source.encoder) EXPECT_TRUE(at::equal(merged.encoder.at(name), t)) << name;
  for (const auto& [name, t] : source.head) EXPECT_TRUE(at::equal(merged.head.at(name), t)) << name;
  EXPECT_EQ(merged.config.labels, source.config.labels);
  EXPECT_TRUE(at::equal(logits(merged), logits(source)));
}

TEST_F(Fixture, TaskArithmeticWithLambdaZeroIsTheBase) {
  MergeOptions o;
  o.method = "task-arithmetic";
  o.lambda = 0;
  const MergeSummary s = merge({write_full(dir / "a", base, 1), write_full(dir / "b", base, 2)}, o);
  EXPECT_EQ(s.output_kind, "model");
  const Encoder merged = load_encoder(dir / "out"), b = load_encoder(base);
  EXPECT_TRUE(merged.config.labels.empty());
  for (const auto& [name, t] : b.parameters) EXPECT_TRUE(at::equal(merged.parameters.at(name), t)) << name;
  EXPECT_TRUE(fs::exists(dir / "out" / "vocab.txt"));  // a base folder fine_tune can start from
  for (const MergedTensor& t : s.tensors) EXPECT_EQ(t.delta_norm, 0) << t.name;
}

TEST_F(Fixture, StreamedMergeEqualsTheMethodInMemory) {
  const std::vector<fs::path> folders{write_full(dir / "a", base, 1), write_full(dir / "b", base, 2),
                                      write_full(dir / "c", base, 3)};
  std::set<std::string> digests;  // of source a: the same whichever way the method read it
  for (const char* method : {"ties", "dare-ties", "breadcrumbs", "task-arithmetic", "linear"}) {
    MergeOptions o;
    o.method = method;
    o.weights = {0.5, 1.0, 2.0};
    o.density = 0.3;
    o.gamma = 0.05;
    o.lambda = 0.7;
    o.seed = 11;
    merge(folders, o, method);
    const Encoder merged = load_encoder(dir / method), b = load_encoder(base);
    std::vector<TaskModel> models;
    for (const fs::path& f : folders) models.push_back(load_task_model(f));
    for (const auto& [name, t] : b.parameters) {
      std::vector<at::Tensor> per_source;
      for (const TaskModel& m : models) per_source.push_back(m.encoder.at(name));
      MergeParameters p{o.lambda, o.density, o.gamma, o.fisher_floor, o.seed, {}};
      const at::Tensor expected = find_merge_method(method).merge(tensor_inputs(name, t, per_source, o.weights), p);
      EXPECT_TRUE(at::equal(merged.parameters.at(name), expected)) << method << " " << name;
    }
    const json recipe = json::parse(testing::read_text(dir / method / "merge.json"));
    EXPECT_EQ(recipe["method"], method);
    EXPECT_EQ(recipe["sources"].size(), 3u);
    EXPECT_EQ(recipe["sources"][2]["weight"], 2.0);
    EXPECT_TRUE(recipe["sources"][0]["digest"].get<std::string>().starts_with("checksum64:"));
    digests.insert(recipe["sources"][0]["digest"].get<std::string>());
  }
  EXPECT_EQ(digests.size(), 1u);
}

TEST_F(Fixture, FisherMergeReadsEachFoldersFisher) {
  const std::vector<fs::path> folders{write_full(dir / "a", base, 1), write_full(dir / "b", base, 2)};
  std::vector<ParameterMap> fishers(2);
  for (std::size_t k = 0; k < 2; ++k) {
    auto generator = at::make_generator<at::CPUGeneratorImpl>(40 + k);
    for (const auto& [name, t] : load_encoder(base).parameters)
      fishers[k][name] = at::rand(t.sizes(), generator).pow(4);
    write_parameter_fisher(folders[k] / kParameterFisherFile, fishers[k], "", 10);
  }
  MergeOptions o;
  o.method = "fisher";
  o.weights = {2, 1};
  o.head = "b";
  merge(folders, o);
  const TaskModel merged = load_task_model(dir / "out"), a = load_task_model(folders[0]),
                  b = load_task_model(folders[1]);
  for (const auto& [name, f] : fishers[0]) {
    const at::Tensor fa = f.clamp_min(1e-6) * 2, fb = fishers[1].at(name).clamp_min(1e-6);
    const at::Tensor expected = (fa * a.encoder.at(name) + fb * b.encoder.at(name)) / (fa + fb);
    EXPECT_TRUE(at::allclose(merged.encoder.at(name), expected, 1e-5, 1e-6)) << name;
  }
  const json recipe = json::parse(testing::read_text(dir / "out" / "merge.json"));
  EXPECT_EQ(recipe["parameters"]["fisher_floor"], 1e-6);
  // fisher reads each source whole, linear a chunk at a time: the sources' checksums agree.
  merge(folders, {}, "linear");
  const json linear = json::parse(testing::read_text(dir / "linear" / "merge.json"));
  for (std::size_t k = 0; k < 2; ++k) EXPECT_EQ(recipe["sources"][k]["digest"], linear["sources"][k]["digest"]) << k;
}

TEST_F(Fixture, LoraMergeRunsAsTheLoraModel) {
  const fs::path lora = write_lora(dir / "lora", base, 5);
  const TaskModel source = load_task_model(lora);
  const at::Tensor expected = logits(source);
  MergeOptions o;
  o.head = "lora";
  // Folded into W: a full classifier.
  o.fold_lora = true;
  EXPECT_EQ(merge({lora}, o, "folded").output_kind, "classifier");
  const TaskModel folded = load_task_model(dir / "folded");
  EXPECT_EQ(folded.method, FineTuneMethod::Full);
  EXPECT_TRUE(at::allclose(logits(folded), expected, 1e-4, 1e-5)) << logits(folded) << expected;
  // Kept as LoRA: a PEFT folder over the same base.
  o.fold_lora = false;
  EXPECT_EQ(merge({lora}, o, "peft").output_kind, "lora");
  const TaskModel peft = load_task_model(dir / "peft");
  EXPECT_EQ(peft.method, FineTuneMethod::Lora);
  EXPECT_TRUE(at::allclose(logits(peft), expected, 1e-4, 1e-5));
}

TEST_F(Fixture, StackedLoraIsExactlyTheSumOfDeltas) {
  // Two LoRAs merged by task arithmetic: the PEFT folder (rank 2 + 3) and the folded model
  // give the same network, θ₀ + λ Σ w_k (α_k/r_k) B_k A_k, not (ΣB)(ΣA).
  const fs::path a = write_lora(dir / "a", base, 5, 2), b = write_lora(dir / "b", base, 6, 3);
  MergeOptions o;
  o.method = "task-arithmetic";
  o.weights = {0.6, 0.4};
  o.lambda = 0.9;
  o.head = "a";
  merge({a, b}, o, "peft");
  o.fold_lora = true;
  merge({a, b}, o, "folded");
  const TaskModel peft = load_task_model(dir / "peft"), folded = load_task_model(dir / "folded");
  EXPECT_EQ(peft.lora.rank, 5);
  EXPECT_TRUE(at::allclose(logits(peft), logits(folded), 1e-4, 1e-5));
  // And the folded weight is the exact sum of the deltas.
  const TaskModel la = load_task_model(a), lb = load_task_model(b);
  const std::string q = "encoder.layer.0.attention.self.query";
  const at::Tensor w0 = load_encoder(base).parameters.at(q + ".weight");
  auto delta = [&](const TaskModel& m) {
    return at::matmul(m.encoder.at(q + ".lora_B.weight"), m.encoder.at(q + ".lora_A.weight")) * m.lora.scaling();
  };
  EXPECT_TRUE(
      at::allclose(folded.encoder.at(q + ".weight"), w0 + 0.9 * (0.6 * delta(la) + 0.4 * delta(lb)), 1e-5, 1e-6));
}

TEST_F(Fixture, FreshHeadLoraFolderStartsFineTuning) {
  MergeOptions o;
  o.labels = {"x", "y", "z"};
  merge({write_lora(dir / "a", base, 5), write_lora(dir / "b", base, 6)}, o);
  const TaskModel m = load_task_model(dir / "out");  // what FineTuneOptions::init_from loads
  EXPECT_EQ(m.method, FineTuneMethod::Lora);
  EXPECT_EQ(m.config.labels, o.labels);
  EXPECT_EQ(m.lora.rank, 4);
}

TEST_F(Fixture, MergedFoldersStartFineTuning) {
  // What `transfer --compose merge-*` does: a full merge is the base of fine_tune, a LoRA
  // merge its init_from.
  testing::write_text(dir / "task.csv", testing::tiny_task_csv(24, 1));
  const Dataset data = load_dataset(dir / "task.csv");
  FineTuneOptions f;
  f.epochs = 1;
  f.batch_size = 8;
  MergeOptions o;
  o.method = "ties";
  o.density = 0.5;
  merge({write_full(dir / "a", base, 1), write_full(dir / "b", base, 2)}, o, "full");
  EXPECT_NO_THROW(fine_tune(dir / "full", data, data, f));
  o.method = "task-arithmetic";
  merge({write_lora(dir / "la", base, 5), write_lora(dir / "lb", base, 6)}, o, "lora");
  f.method = FineTuneMethod::Lora;
  f.init_from = dir / "lora";
  const FineTuneResult r = fine_tune(base, data, data, f);
  EXPECT_EQ(r.model.lora.rank, 4);
}

TEST_F(Fixture, FullAndLoraSourcesMix) {
  const fs::path a = write_full(dir / "a", base, 1), l = write_lora(dir / "l", base, 5);
  MergeOptions o;
  o.method = "ties";
  o.density = 0.4;
  EXPECT_EQ(merge({a, l}, o).output_kind, "model");
  const Encoder merged = load_encoder(dir / "out"), b = load_encoder(base);
  const TaskModel ma = load_task_model(a), ml = load_task_model(l);
  for (const auto& [name, t] : b.parameters) {
    at::Tensor lora_theta = t;  // θ₀ + (α/r)·B·A where the LoRA adapts the module
    const std::string module = name.substr(0, name.size() - std::string(".weight").size());
    if (ml.encoder.count(module + ".lora_A.weight"))
      lora_theta = t + at::matmul(ml.encoder.at(module + ".lora_B.weight"), ml.encoder.at(module + ".lora_A.weight")) *
                           ml.lora.scaling();
    MergeParameters p;
    p.density = 0.4;
    const at::Tensor expected =
        find_merge_method("ties").merge(tensor_inputs(name, t, {ma.encoder.at(name), lora_theta}), p);
    EXPECT_TRUE(at::allclose(merged.parameters.at(name), expected, 1e-5, 1e-6)) << name;
  }
}

TEST_F(Fixture, AdaptersAreAveraged) {
  const fs::path a = write_adapter(dir / "a", base, 1), b = write_adapter(dir / "b", base, 2);
  MergeOptions o;
  o.weights = {1, 3};
  o.head = "b";
  EXPECT_EQ(merge({a, b}, o).output_kind, "adapter");
  const TaskModel m = load_task_model(dir / "out"), ma = load_task_model(a), mb = load_task_model(b);
  EXPECT_EQ(m.method, FineTuneMethod::Adapter);
  for (const std::string& name : ma.added)
    EXPECT_TRUE(at::allclose(m.encoder.at(name), 0.25 * ma.encoder.at(name) + 0.75 * mb.encoder.at(name))) << name;
  for (const auto& [name, t] : mb.head) EXPECT_TRUE(at::equal(m.head.at(name), t)) << name;
  o.method = "ties";
  EXPECT_THROW(merge({a, b}, o, "ties"), UsageError);
}

// Runs the merge expecting `E` whose message holds every `parts`, and checks nothing was written.
template <class E>
void expect_refused(Fixture& f, const std::vector<MergeSource>& sources, const MergeOptions& o,
                    const std::vector<std::string>& parts) {
  try {
    merge_models(sources, f.base, f.dir / "refused", o);
    ADD_FAILURE() << "not refused";
  } catch (const E& e) {
    for (const std::string& p : parts) EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(f.dir / "refused"));
  for (const auto& entry : fs::directory_iterator(f.dir.path()))
    EXPECT_EQ(entry.path().filename().string().find(".refused"), std::string::npos) << entry.path();
}

TEST_F(Fixture, BadInputIsRefusedAndNothingWritten) {
  const fs::path a = write_full(dir / "a", base, 1), b = write_full(dir / "b", base, 2);
  MergeOptions o;
  expect_refused<UsageError>(*this, {}, o, {"no sources"});
  expect_refused<UsageError>(*this, sources({a, a}), o, {"\"a\"", "twice"});
  auto renamed = sources({a, b});
  renamed[1].folder = a;
  expect_refused<UsageError>(*this, renamed, o, {"twice"});
  o.weights = {1};
  expect_refused<UsageError>(*this, sources({a, b}), o, {"weights", "2 sources"});
  o.weights = {};
  o.method = "fisher";
  expect_refused<InputError>(*this, sources({a, b}), o, {"source \"a\"", "parameter Fisher", "parameter_fisher"});
  o.method = "ties";
  o.density = 0;
  expect_refused<UsageError>(*this, sources({a, b}), o, {"density"});
  o = {};
  o.head = "c";
  expect_refused<UsageError>(*this, sources({a, b}), o, {"head c"});
  o.head = "b";
  o.labels = {"neg", "neutral", "pos"};
  expect_refused<InputError>(*this, sources({a, b}), o, {"head b", "neg, pos", "neg, neutral, pos", "head fresh"});
  // A source holding an Inf: its tensor would merge into one that is not finite.
  TaskModel broken = load_task_model(b);
  at::Tensor& weight = broken.encoder.at("encoder.layer.1.output.dense.weight");
  weight = weight.clone();  // loaded tensors view the read-only mapping
  weight[2][3] = std::numeric_limits<float>::infinity();
  broken.base_folder = base;
  const fs::path inf = dir / "inf";
  save_task_model(inf, broken);
  for (const char* method : {"linear", "ties"}) {
    o = {};
    o.method = method;
    o.density = 0.5;
    expect_refused<InputError>(*this, sources({a, inf}), o, {"\"encoder.layer.1.output.dense.weight\"", "not finite"});
  }
}

TEST_F(Fixture, SourcesOfAnotherShapeVocabularyOrBaseAreRefused) {
  const fs::path a = write_full(dir / "a", base, 1);
  MergeOptions o;
  // Another architecture: a DistilBERT.
  const fs::path other_base = testing::write_tiny_base(dir / "distil", Architecture::DistilBert);
  const fs::path d = write_full(dir / "d", other_base, 1);
  expect_refused<InputError>(*this, sources({a, d}), o, {"source \"d\"", "model_type"});
  // Another vocabulary of the same size: the same ids mean other tokens.
  const fs::path v = write_full(dir / "v", base, 2);
  testing::write_text(v / "vocab.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nbad\ngood\n");
  expect_refused<InputError>(*this, sources({a, v}), o, {"source \"v\"", "vocabulary", "vocab.txt"});
  // A tensor of another shape under the same config (a damaged or foreign checkpoint).
  {
    const TaskModel m = load_task_model(a);
    ParameterMap encoder = m.encoder;
    encoder["encoder.layer.1.output.dense.bias"] = at::zeros({17});
    std::vector<std::pair<std::string, at::Tensor>> tensors;
    for (const auto& [name, t] : encoder) tensors.emplace_back("bert." + name, t);
    for (const auto& [name, t] : m.head) tensors.emplace_back(name, t);
    fs::copy(a, dir / "s");
    write_tensors(dir / "s" / "model.safetensors", tensors);
  }
  expect_refused<InputError>(*this, sources({a, dir / "s"}), o,
                             {"source \"s\"", "encoder.layer.1.output.dense.bias", "[17]"});
  // Another base: a LoRA trained on another base of the same architecture.
  const fs::path base2 = testing::write_tiny_base(dir / "base2", Architecture::Bert, 7);
  const fs::path l = write_lora(dir / "l", base2, 3);
  expect_refused<InputError>(*this, sources({a, l}), o, {"source \"l\"", "base2"});
  // The registry's fingerprint check.
  auto fingerprinted = sources({a});
  fingerprinted[0].base_fingerprint = std::string(64, 'a');
  expect_refused<InputError>(*this, fingerprinted, o, {"source \"a\"", "another base"});
}

TEST_F(Fixture, TheOutputNeverReplacesAnInput) {
  const fs::path a = write_full(dir / "a", base, 1);
  MergeOptions o;
  EXPECT_THROW(merge_models(sources({a}), base, a, o), UsageError);
  EXPECT_THROW(merge_models(sources({a}), base, base, o), UsageError);
  EXPECT_THROW(merge_models(sources({a}), base, dir.path(), o), UsageError);  // holds the inputs
  testing::write_text(dir / "notes" / "x.txt", "mine");
  EXPECT_THROW(merge_models(sources({a}), base, dir / "notes", o), UsageError);  // not a taskscout folder
  EXPECT_TRUE(fs::exists(dir / "notes" / "x.txt"));
  merge_models(sources({a}), base, dir / "out", o);
  merge_models(sources({a}), base, dir / "out", o);  // an earlier merge may be replaced
}

}  // namespace
}  // namespace taskscout
