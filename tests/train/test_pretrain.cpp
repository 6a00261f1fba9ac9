// MLM pretraining end to end on a tiny repetitive corpus: the loss falls within seconds,
// the output folder is a loadable BERT with its MLM head and tokenizer, an interrupted
// and resumed run equals the uninterrupted one bit for bit, and the config, corpus and
// folder errors.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "taskscout/core/error.hpp"
#include "taskscout/core/threads.hpp"
#include "taskscout/model/checkpoint.hpp"
#include "taskscout/model/encoder.hpp"
#include "taskscout/model/mlm_head.hpp"
#include "taskscout/model/model_folder.hpp"
#include "taskscout/text/tokenizer.hpp"
#include "taskscout/train/pretrain.hpp"
#include "test_support.hpp"

using namespace taskscout;
using taskscout::testing::read_text;
using taskscout::testing::TempDir;
namespace fs = std::filesystem;

namespace {

// "the cat sat on the mat ." and its 26 siblings, each several times. With [CLS] and
// [SEP] a sentence is 9 tokens, the sequence_length of tiny_config, so every block is one
// sentence: four of its seven words follow from their position, the other three are one
// of three words each. The best achievable loss is then about 3/7·ln 3 ≈ 0.47.
Corpus tiny_corpus() {
  Corpus c;
  const char* animals[] = {"cat", "dog", "bird"};
  const char* verbs[] = {"sat", "slept", "waited"};
  const char* places[] = {"mat", "rug", "bed"};
  for (int r = 0; r < 8; ++r)
    for (auto a : animals)
      for (auto v : verbs)
        for (auto p : places) c.texts.push_back(fmt::format("the {} {} on the {} .", a, v, p));
  for (const auto& t : c.texts) c.bytes += t.size();
  return c;
}

PretrainConfig tiny_config() {
  return parse_pretrain_config(R"({
    "num_hidden_layers": 1, "hidden_size": 32, "num_attention_heads": 2, "intermediate_size": 64,
    "max_position_embeddings": 32, "vocab_size": 100, "min_frequency": 1, "sequence_length": 9,
    "batch_size": 16, "steps": 150, "learning_rate": 0.005, "warmup_steps": 10, "eval_fraction": 0.1,
    "eval_every": 50, "log_every": 10, "checkpoint_every": 50, "seed": 7})",
                               "tiny.json");
}

PretrainResult run(const PretrainConfig& c, const fs::path& out, bool resume = false, std::int64_t stop_after = 0) {
  set_thread_count(1);
  PretrainOptions o;
  o.out = out;
  o.resume = resume;
  o.stop_after = stop_after;
  return pretrain(c, tiny_corpus(), o);
}

std::string bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// log.jsonl without the timing field, which differs between runs.
std::string log_without_speed(const fs::path& dir) {
  std::string out;
  std::ifstream in(dir / "log.jsonl");
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line);
    j.erase("tokens_per_second");
    out += j.dump() + "\n";
  }
  return out;
}

template <typename E, typename F>
std::string error_of(F f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST(Pretrain, LossFallsOnATinyRepetitiveCorpus) {
  TempDir dir;
  const PretrainResult r = run(tiny_config(), dir / "out");
  EXPECT_TRUE(r.complete);
  EXPECT_EQ(r.step, 150);
  ASSERT_FALSE(r.log.empty());
  const PretrainLogEntry& first = r.log.front();  // the untrained model, evaluated
  ASSERT_EQ(first.split, "eval");
  EXPECT_NEAR(first.loss, std::log(static_cast<double>(r.vocab_size)), 0.5);  // ~uniform guesses
  const PretrainLogEntry& last = r.log.back();
  ASSERT_EQ(last.split, "eval");
  EXPECT_LT(last.loss, 1.0) << "eval loss " << first.loss << " → " << last.loss;
  EXPECT_GT(last.accuracy, 0.55);
  const PretrainLogEntry* train = nullptr;
  for (const auto& e : r.log)
    if (e.split == "train") train = &e;
  ASSERT_NE(train, nullptr);
  EXPECT_LT(train->loss, 1.0);
  std::printf("vocab %zu, eval loss %.3f → %.3f, accuracy %.3f → %.3f, %.0f tokens/s\n", r.vocab_size, first.loss,
              last.loss, first.accuracy, last.accuracy, r.tokens_per_second);
}

TEST(Pretrain, OutputIsALoadableBertWithHeadAndTokenizer) {
  TempDir dir;
  const PretrainResult r = run(tiny_config(), dir / "out");
  const Encoder encoder = load_encoder(dir / "out");
  EXPECT_EQ(encoder.config.num_layers, 1);
  EXPECT_EQ(encoder.config.vocab_size, static_cast<std::int64_t>(r.vocab_size));
  const auto tokenizer = text::Tokenizer::from_folder(dir / "out");
  EXPECT_EQ(tokenizer.vocab_size(), r.vocab_size);
  const ParameterMap head = load_mlm_head(Checkpoint::open(dir / "out"), encoder.config);
  // The model fills in a masked word of a training sentence.
  const auto e = tokenizer.encode("the cat sat on the [MASK] .");
  const at::Tensor ids = at::tensor(std::vector<std::int64_t>(e.ids.begin(), e.ids.end())).unsqueeze(0);
  const auto out = encode(encoder.config, encoder.parameters, ids, at::ones_like(ids));
  const at::Tensor logits = mlm_logits(encoder.config, head, encoder.parameters, out.last_hidden_state);
  const std::int64_t mask_at = 6;  // [CLS] the cat sat on the [MASK]
  ASSERT_EQ(e.ids[mask_at], *tokenizer.token_to_id("[MASK]"));
  const auto best = *tokenizer.id_to_token(static_cast<std::int32_t>(logits[0][mask_at].argmax().item<std::int64_t>()));
  EXPECT_TRUE(best == "mat" || best == "rug" || best == "bed") << best;
  for (const char* f : {"config.json", "model.safetensors", "tokenizer.json", "vocab.txt", "tokenizer_config.json",
                        "optimizer.safetensors", "trainer_state.json", "log.jsonl"})
    EXPECT_TRUE(fs::exists(dir / "out" / f)) << f;
  for (const auto& entry : fs::directory_iterator(dir.path()))
    EXPECT_EQ(entry.path().filename(), "out") << "left behind: " << entry.path();
}

TEST(Pretrain, ResumedRunEqualsTheUninterruptedOneBitForBit) {
  TempDir dir;
  const PretrainConfig c = tiny_config();
  run(c, dir / "whole");
  // Stopped at 37 (not a checkpoint step), then at 80, then to the end.
  const PretrainResult a = run(c, dir / "parts", false, 37);
  EXPECT_TRUE(a.interrupted);
  EXPECT_EQ(a.step, 37);
  EXPECT_EQ(load_encoder(dir / "parts").config.num_layers, 1);  // the stopped folder is complete
  const PretrainResult b = run(c, dir / "parts", true, 43);
  EXPECT_EQ(b.start_step, 37);
  EXPECT_EQ(b.step, 80);
  const PretrainResult d = run(c, dir / "parts", true);
  EXPECT_TRUE(d.complete);
  EXPECT_EQ(bytes(dir / "whole/model.safetensors"), bytes(dir / "parts/model.safetensors"));
  EXPECT_EQ(bytes(dir / "whole/optimizer.safetensors"), bytes(dir / "parts/optimizer.safetensors"));
  EXPECT_EQ(bytes(dir / "whole/tokenizer.json"), bytes(dir / "parts/tokenizer.json"));
  EXPECT_EQ(log_without_speed(dir / "whole"), log_without_speed(dir / "parts"));
}

TEST(Pretrain, ResumesFromTheFolderAStoppedSwapLeftBeside) {
  // A run killed between the two renames of a checkpoint swap leaves only ".out.old-…".
  TempDir dir;
  PretrainConfig c = tiny_config();
  c.steps = 30;
  run(c, dir / "whole");
  run(c, dir / "out", false, 12);
  fs::rename(dir / "out", dir / ".out.old-123");
  const PretrainResult r = run(c, dir / "out", true);
  EXPECT_EQ(r.start_step, 12);
  EXPECT_TRUE(r.complete);
  EXPECT_FALSE(fs::exists(dir / ".out.old-123"));
  EXPECT_EQ(bytes(dir / "whole/model.safetensors"), bytes(dir / "out/model.safetensors"));
}

TEST(Pretrain, RefusesToOverwriteOrToResumeSomethingElse) {
  TempDir dir;
  PretrainConfig c = tiny_config();
  c.steps = 5;
  run(c, dir / "out");
  EXPECT_NE(error_of<UsageError>([&] { run(c, dir / "out"); }).find("resume"), std::string::npos);
  EXPECT_NE(error_of<UsageError>([&] { run(c, dir / "none", true); }).find("no pretraining checkpoint"),
            std::string::npos);
  PretrainConfig other = c;
  other.learning_rate = 0.001;
  const std::string e = error_of<InputError>([&] { run(other, dir / "out", true); });
  EXPECT_NE(e.find("learning_rate"), std::string::npos) << e;
  PretrainOptions o;
  o.out = dir / "out";
  o.resume = true;
  Corpus changed = tiny_corpus();
  changed.texts[3] += " !";
  EXPECT_NE(error_of<InputError>([&] { pretrain(c, changed, o); }).find("another corpus"), std::string::npos);
  fs::create_directories(dir / "mine");
  taskscout::testing::write_text(dir / "mine/notes.txt", "precious");
  EXPECT_THROW(run(c, dir / "mine"), UsageError);
  EXPECT_EQ(read_text(dir / "mine/notes.txt"), "precious");
}

TEST(Pretrain, CorpusTooSmallIsAnInputError) {
  TempDir dir;
  PretrainConfig c = tiny_config();
  c.sequence_length = 32;
  Corpus small;
  small.texts = {"one short text", "and another"};
  PretrainOptions o;
  o.out = dir / "out";
  const std::string e = error_of<InputError>([&] { pretrain(c, small, o); });
  EXPECT_NE(e.find("sequence_length"), std::string::npos) << e;
  EXPECT_FALSE(fs::exists(dir / "out/trainer_state.json"));
}

TEST(PretrainConfig, ParsesDefaultsAndRejectsBadKeys) {
  const PretrainConfig d = parse_pretrain_config("{}", "c.json");
  EXPECT_EQ(d.hidden_size, 256);
  EXPECT_EQ(parse_pretrain_config(pretrain_config_json(tiny_config()), "c.json").learning_rate, 0.005);
  auto error = [](const char* json) { return error_of<InputError>([&] { parse_pretrain_config(json, "c.json"); }); };
  EXPECT_NE(error(R"({"hiden_size": 3})").find("c.json: \"hiden_size\": unknown key"), std::string::npos);
  EXPECT_NE(error(R"({"steps": 1.5})").find("integer"), std::string::npos);
  EXPECT_NE(error(R"({"hidden_size": 30, "num_attention_heads": 4})").find("divisible"), std::string::npos);
  EXPECT_NE(error(R"({"sequence_length": 600})").find("max_position_embeddings"), std::string::npos);
  EXPECT_NE(error(R"({"eval_fraction": 0.9})").find("eval_fraction"), std::string::npos);
  EXPECT_NE(error("{").find("malformed JSON"), std::string::npos);
}
