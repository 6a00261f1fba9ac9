#include "taskscout/train/pretrain.hpp"

#include <ATen/Parallel.h>
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>
#include <random>

#include "taskscout/core/error.hpp"
#include "taskscout/core/progress.hpp"
#include "taskscout/core/tensor.hpp"
#include "taskscout/core/threads.hpp"
#include "taskscout/core/timer.hpp"
#include "taskscout/io/atomic_file.hpp"
#include "taskscout/io/json_error.hpp"
#include "taskscout/io/mapped_file.hpp"
#include "taskscout/io/safetensors.hpp"
#include "taskscout/model/checkpoint.hpp"
#include "taskscout/model/encoder.hpp"
#include "taskscout/model/mlm_head.hpp"
#include "taskscout/model/model_writer.hpp"
#include "taskscout/model/parameter_names.hpp"
#include "taskscout/text/tokenizer.hpp"
#include "taskscout/text/tokenizer_writer.hpp"
#include "taskscout/text/wordpiece_trainer.hpp"
#include "taskscout/train/masking.hpp"
#include "taskscout/train/optimizer.hpp"

namespace taskscout {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

constexpr const char* kFormat = "taskscout-pretrain-1";
constexpr const char* kState = "trainer_state.json";
constexpr const char* kOptimizer = "optimizer.safetensors";
constexpr const char* kLog = "log.jsonl";

// ---- randomness ------------------------------------------------------------------------

// splitmix64: derives independent seeds for the data order, the masking and the weights.
std::uint64_t mix(std::uint64_t a, std::uint64_t b) {
  std::uint64_t z = a + 0x9E3779B97F4A7C15ull * (b + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
enum Stream : std::uint64_t { kSplit = 1, kOrder = 2, kMask = 3, kEvalMask = 4, kWeights = 5 };
std::uint64_t seed_for(std::uint64_t seed, Stream s, std::uint64_t k = 0) { return mix(mix(seed, s), k); }

// ---- data ------------------------------------------------------------------------------

struct Split {
  std::vector<std::size_t> train, eval;  // text indices, in corpus order
};

Split split_texts(std::size_t n, double fraction, std::uint64_t seed) {
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), std::mt19937_64(seed_for(seed, kSplit)));
  std::size_t held = 0;
  if (fraction > 0) held = std::max<std::size_t>(1, static_cast<std::size_t>(std::llround(fraction * n)));
  Split s;
  s.eval.assign(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(std::min(held, n)));
  s.train.assign(order.begin() + static_cast<std::ptrdiff_t>(std::min(held, n)), order.end());
  std::sort(s.eval.begin(), s.eval.end());
  std::sort(s.train.begin(), s.train.end());
  return s;
}

// [CLS] text [SEP] for every text, concatenated and cut into [blocks, length] (the tail
// is dropped). Texts are tokenized in parallel; the result does not depend on threads.
at::Tensor pack_blocks(const text::Tokenizer& tokenizer, const Corpus& corpus, const std::vector<std::size_t>& texts,
                       std::int64_t length, std::int64_t* tokens) {
  std::vector<std::vector<std::int32_t>> ids(texts.size());
  at::parallel_for(0, static_cast<std::int64_t>(texts.size()), 256, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t k = b; k < e; ++k) ids[k] = tokenizer.encode(corpus.texts[texts[k]]).ids;
  });
  std::vector<std::int64_t> stream;
  for (const auto& v : ids) stream.insert(stream.end(), v.begin(), v.end());
  *tokens = static_cast<std::int64_t>(stream.size());
  const std::int64_t blocks = *tokens / length;
  stream.resize(static_cast<std::size_t>(blocks * length));
  return at::tensor(stream, at::kLong).reshape({blocks, length});
}

// ---- model -----------------------------------------------------------------------------

EncoderConfig encoder_config(const PretrainConfig& c, std::int64_t vocab_size) {
  EncoderConfig e;
  e.architecture = Architecture::Bert;
  e.model_type = "bert";
  e.architectures = {"BertForMaskedLM"};
  e.vocab_size = vocab_size;
  e.hidden_size = c.hidden_size;
  e.num_layers = c.num_hidden_layers;
  e.num_heads = c.num_attention_heads;
  e.intermediate_size = c.intermediate_size;
  e.max_position_embeddings = c.max_position_embeddings;
  e.type_vocab_size = 2;
  e.pad_token_id = 0;
  e.layer_norm_eps = 1e-12;
  e.activation = Activation::Gelu;
  return e;
}

// BertPreTrainedModel._init_weights: N(0, 0.02) for linear and embedding weights, zero
// biases, LayerNorm weight 1 and bias 0.
at::Tensor init_tensor(const ParameterSpec& spec, at::Generator& gen) {
  if (spec.name.ends_with(".bias")) return at::zeros(spec.shape, at::kFloat);
  if (spec.name.find("LayerNorm") != std::string::npos) return at::ones(spec.shape, at::kFloat);
  at::Tensor t = at::empty(spec.shape, at::kFloat);
  t.normal_(0.0, 0.02, gen);
  return t;
}

struct Model {
  EncoderConfig config;
  ParameterMap encoder, head;

  ParameterMap all() const {
    ParameterMap m = encoder;
    m.insert(head.begin(), head.end());
    return m;
  }
};

Model init_model(const EncoderConfig& config, std::uint64_t seed) {
  Model m{config, {}, {}};
  at::Generator gen = at::detail::createCPUGenerator(seed_for(seed, kWeights));
  for (const ParameterSpec& spec : parameter_specs(config))
    if (spec.required) m.encoder[spec.name] = init_tensor(spec, gen);
  m.encoder.at(embedding_names(config.architecture).word + ".weight")[config.pad_token_id].zero_();
  for (const ParameterSpec& spec : mlm_head_specs(config)) m.head[spec.name] = init_tensor(spec, gen);
  for (auto* map : {&m.encoder, &m.head})
    for (auto& [name, t] : *map) t.requires_grad_(true);
  return m;
}

// ---- one batch -------------------------------------------------------------------------

struct BatchResult {
  at::Tensor loss;  // mean over masked tokens (undefined when none is masked)
  std::int64_t masked = 0, correct = 0;
};

BatchResult mlm_batch(const Model& m, const at::Tensor& ids, const MaskingOptions& masking,
                      const std::vector<std::int64_t>& special_ids, std::uint64_t seed) {
  at::Tensor maskable = at::ones_like(ids, at::kBool);
  for (std::int64_t s : special_ids) maskable &= ids != s;
  const MaskedBatch b = mask_tokens(ids, maskable, masking, seed);
  const at::Tensor labels = b.labels.reshape({-1});
  const at::Tensor where = labels.ne(-100).nonzero().reshape({-1});
  BatchResult r;
  r.masked = where.numel();
  if (r.masked == 0) return r;
  const EncoderOutput out = encode(m.config, m.encoder, b.input_ids, at::ones_like(ids));
  // Logits only where a token is predicted: the loss and its gradient are those of the
  // full [B, L, V] logits, at a sixth of the decoder's cost.
  const at::Tensor hidden = out.last_hidden_state.reshape({-1, m.config.hidden_size}).index_select(0, where);
  const at::Tensor target = labels.index_select(0, where);
  const at::Tensor logits = mlm_logits(m.config, m.head, m.encoder, hidden);
  r.loss = masked_lm_loss(logits, target);
  r.correct = logits.detach().argmax(-1).eq(target).sum().item<std::int64_t>();
  return r;
}

// ---- checkpoint ------------------------------------------------------------------------

json log_json(const PretrainLogEntry& e) {
  json j = {{"step", e.step},
            {"split", e.split},
            {"loss", e.loss},
            {"accuracy", e.accuracy},
            {"masked_tokens", e.masked_tokens}};
  if (e.split == "train") {
    j["learning_rate"] = e.learning_rate;
    j["tokens_per_second"] = e.tokens_per_second;
  }
  return j;
}

PretrainLogEntry log_entry(const json& j) {
  PretrainLogEntry e;
  e.step = j.at("step").get<std::int64_t>();
  e.split = j.at("split").get<std::string>();
  e.loss = j.at("loss").is_number() ? j.at("loss").get<double>() : std::nan("");
  e.accuracy = j.at("accuracy").get<double>();
  e.masked_tokens = j.at("masked_tokens").get<std::int64_t>();
  if (j.contains("learning_rate")) e.learning_rate = j.at("learning_rate").get<double>();
  if (j.contains("tokens_per_second")) e.tokens_per_second = j.at("tokens_per_second").get<double>();
  return e;
}

// The running means since the last train log entry: part of the state, so the log of a
// resumed run equals the uninterrupted run's.
struct Window {
  double loss_sum = 0;
  std::int64_t steps = 0, masked = 0, correct = 0;
};

struct Snapshot {
  std::int64_t step;
  const PretrainConfig& config;
  const Corpus& corpus;
  const Model& model;
  const std::vector<std::string>& vocab;
  const text::BertTokenizerSettings& tokenizer;
  const AdamW& optimizer;
  const Window& window;
  const std::vector<PretrainLogEntry>& log;
};

void write_checkpoint(const fs::path& out, const Snapshot& s) {
  StagedFolder staged(out);
  const fs::path dir = staged.path();
  write_file_atomically(dir / "config.json", encoder_config_json(s.model.config));
  std::vector<std::pair<std::string, at::Tensor>> tensors;
  const std::string prefix = checkpoint_prefix(s.model.config.architecture);
  for (const ParameterSpec& spec : parameter_specs(s.model.config))
    if (auto it = s.model.encoder.find(spec.name); it != s.model.encoder.end())
      tensors.emplace_back(prefix + spec.name, it->second);
  for (const ParameterSpec& spec : mlm_head_specs(s.model.config))
    tensors.emplace_back(spec.name, s.model.head.at(spec.name));
  write_tensors(dir / "model.safetensors", tensors);
  text::write_bert_tokenizer(dir, s.vocab, s.tokenizer);

  std::vector<std::pair<std::string, Array>> state;
  for (const auto& [name, t] : s.optimizer.state()) state.emplace_back(name, to_array(t.contiguous()));
  write_safetensors(dir / kOptimizer, state, {{"format", "pt"}});

  json log = json::array();
  std::string lines;
  for (const auto& e : s.log) {
    log.push_back(log_json(e));
    lines += log_json(e).dump() + "\n";
  }
  write_file_atomically(dir / kLog, lines);
  const json trainer = {{"format", kFormat},
                        {"step", s.step},
                        {"threads", thread_count()},
                        {"config", json::parse(pretrain_config_json(s.config))},
                        {"corpus",
                         {{"texts", s.corpus.texts.size()},
                          {"bytes", s.corpus.bytes},
                          {"fingerprint", fmt::format("{:016x}", s.corpus.fingerprint())}}},
                        {"window",
                         {{"loss_sum", s.window.loss_sum},
                          {"steps", s.window.steps},
                          {"masked", s.window.masked},
                          {"correct", s.window.correct}}},
                        {"log", log}};
  write_file_atomically(dir / kState, trainer.dump(1) + "\n");
  staged.commit();
}

// A checkpoint left beside `out` by a run stopped between the two renames of a folder
// swap (".<name>.old-…", see StagedFolder), or an empty path.
fs::path orphaned_checkpoint(const fs::path& out) {
  const fs::path parent = out.has_parent_path() ? out.parent_path() : fs::path(".");
  const std::string stem = "." + out.filename().string() + ".old-";
  std::error_code ec;
  fs::path best;
  fs::file_time_type newest{};
  for (const auto& entry : fs::directory_iterator(parent, ec)) {
    const std::string name = entry.path().filename().string();
    if (!name.starts_with(stem) || !fs::exists(entry.path() / kState)) continue;
    const auto t = fs::last_write_time(entry.path() / kState, ec);
    if (best.empty() || t > newest) best = entry.path(), newest = t;
  }
  return best;
}

std::string read_text_file(const fs::path& path) {
  const MappedFile f(path);
  return std::string(f.text());
}

}  // namespace

// ---- the run -----------------------------------------------------------------------------

namespace {

// Where a run starts: nothing (a fresh run), or a checkpoint folder (`out`, or the copy an
// interrupted replacement of `out` left beside it) with its trainer state, checked against
// this run's config and corpus.
struct Start {
  fs::path from;  // empty: a fresh run
  json state;
};

Start find_start(const PretrainConfig& config, const Corpus& corpus, const PretrainOptions& options,
                 const std::function<void(const std::string&)>& note) {
  const fs::path& out = options.out;
  Start start;
  if (!options.resume) {
    if (fs::exists(out / kState))
      throw UsageError(location(out.string()) + "holds a pretraining checkpoint; pass " + opt("resume") +
                       " to continue it, or choose another " + opt("out"));
    StagedFolder probe(out);  // fails now, not after training, when `out` cannot be written
    return start;
  }
  start.from = fs::exists(out / kState) ? out : orphaned_checkpoint(out);
  if (start.from.empty())
    throw UsageError(location(out.string()) + "holds no pretraining checkpoint (" + kState + "); run without " +
                     opt("resume") + " to start one");
  if (start.from != out)
    note("resuming from " + start.from.string() + ", left by a run stopped while replacing " + out.string());
  try {
    start.state = json::parse(read_text_file(start.from / kState));
  } catch (const json::exception& e) {
    throw InputError(location((start.from / kState).string()) + "malformed trainer state: " + json_error_text(e));
  }
  const json& state = start.state;
  const std::string where = location((start.from / kState).string());
  if (state.value("format", "") != kFormat)
    throw InputError(where + "not a taskscout pretraining state (format \"" + std::string(kFormat) + "\")");
  const json now = json::parse(pretrain_config_json(config));
  for (const auto& [key, value] : now.items())
    if (!state["config"].contains(key) || state["config"][key] != value)
      throw InputError(where + fmt::format("the checkpoint was trained with {} = {}, the config now says {}; resume "
                                           "with the config it was started with, or start a new {}",
                                           key, state["config"].value(key, json()).dump(), value.dump(), opt("out")));
  const std::string fingerprint = fmt::format("{:016x}", corpus.fingerprint());
  if (state["corpus"]["texts"] != corpus.texts.size() || state["corpus"]["fingerprint"] != fingerprint)
    throw InputError(where + fmt::format("the checkpoint was trained on another corpus ({} texts, fingerprint {}; "
                                         "now {} texts, {}); resume with the same {} files in the same order",
                                         state["corpus"]["texts"].dump(), state["corpus"]["fingerprint"].dump(),
                                         corpus.texts.size(), fingerprint, opt("corpus")));
  if (state.value("threads", 0) != thread_count())
    note(
        fmt::format("the checkpoint was written with {} threads, this run uses {}: results may differ from an "
                    "uninterrupted run in the last bits",
                    state.value("threads", 0), thread_count()));
  return start;
}

// The corpus as the model sees it: the held-out split, the vocabulary (trained on the
// training texts, or the checkpoint's), and both splits packed into blocks.
struct Blocks {
  std::vector<std::string> vocab;
  text::BertTokenizerSettings tokenizer_settings;
  text::Tokenizer tokenizer;
  at::Tensor train, eval;  // [blocks, sequence_length] token ids; eval capped at eval_batches
};

Blocks make_blocks(const PretrainConfig& config, const Corpus& corpus, const fs::path& from,
                   const std::function<void(const std::string&)>& note, PretrainResult& result) {
  const Split split = split_texts(corpus.texts.size(), config.eval_fraction, config.seed);
  if (split.train.empty())
    throw InputError(fmt::format("the corpus has {} texts: too few to hold out {} for evaluation and train on the rest",
                                 corpus.texts.size(), split.eval.size()));
  result.train_texts = split.train.size();
  result.eval_texts = split.eval.size();
  text::BertTokenizerSettings settings;
  settings.normalizer.lowercase = config.lowercase;
  settings.model_max_length = static_cast<std::size_t>(config.max_position_embeddings);
  std::vector<std::string> vocab;
  if (!from.empty()) {
    std::string line;
    for (char ch : read_text_file(from / "vocab.txt")) {
      if (ch != '\n') {
        line += ch;
        continue;
      }
      vocab.push_back(line);
      line.clear();
    }
  } else {
    Stopwatch watch;
    text::WordPieceTrainerOptions o;
    o.vocab_size = static_cast<std::size_t>(config.vocab_size);
    o.min_frequency = static_cast<std::uint64_t>(config.min_frequency);
    o.limit_alphabet = static_cast<std::size_t>(config.limit_alphabet);
    o.normalizer.lowercase = config.lowercase;
    text::WordPieceTrainer trainer(o);
    for (std::size_t i : split.train) trainer.feed(corpus.texts[i], "corpus text");
    vocab = trainer.train();
    note(fmt::format("vocabulary: {} tokens from {} distinct words ({:.1f} s)", vocab.size(),
                     trainer.word_counts().size(), watch.seconds()));
  }
  result.vocab_size = vocab.size();
  const auto files = text::bert_tokenizer_files(vocab, settings);
  text::Tokenizer tokenizer = text::Tokenizer::from_json(files[0].second, "the trained tokenizer");
  std::int64_t train_tokens = 0, eval_tokens = 0;
  const at::Tensor blocks = pack_blocks(tokenizer, corpus, split.train, config.sequence_length, &train_tokens);
  at::Tensor eval_blocks = pack_blocks(tokenizer, corpus, split.eval, config.sequence_length, &eval_tokens);
  if (blocks.size(0) == 0)
    throw InputError(
        fmt::format("the training texts hold {} tokens, fewer than one block of sequence_length {}; "
                    "give a larger corpus or a shorter sequence_length",
                    train_tokens, config.sequence_length));
  if (config.eval_fraction > 0 && eval_blocks.size(0) == 0)
    throw InputError(
        fmt::format("the {} held-out texts hold {} tokens, fewer than one block of sequence_length {}; "
                    "raise eval_fraction or lower sequence_length (eval_fraction 0: no evaluation)",
                    split.eval.size(), eval_tokens, config.sequence_length));
  eval_blocks =
      eval_blocks.slice(0, 0, std::min<std::int64_t>(eval_blocks.size(0), config.eval_batches * config.batch_size));
  result.train_blocks = blocks.size(0);
  result.eval_blocks = eval_blocks.size(0);
  note(fmt::format("tokens: {} for training ({} blocks of {}), {} held out ({} blocks evaluated)", train_tokens,
                   blocks.size(0), config.sequence_length, eval_tokens, eval_blocks.size(0)));
  return {std::move(vocab), settings, std::move(tokenizer), blocks, eval_blocks};
}

// The run's mutable state and the steps on it: the model and optimizer (fresh or from the
// checkpoint), the step count, the training window since the last log line, and the log.
class Trainer {
 public:
  Trainer(const PretrainConfig& config, const Corpus& corpus, const PretrainOptions& options, Start start,
          Blocks blocks, PretrainResult& result)
      : config_(config),
        corpus_(corpus),
        options_(options),
        from_(std::move(start.from)),
        b_(std::move(blocks)),
        result_(result),
        model_(make_model(start.state)),
        optimizer_(model_.all(), adam_options(config)),
        schedule_{config.learning_rate, config.warmup_steps, config.steps} {
    if (!from_.empty()) {
      const SafetensorsFile file(from_ / kOptimizer);
      ParameterMap saved;
      for (const std::string& name : file.names()) saved[name] = as_tensor(file.get(name)).clone();
      optimizer_.load_state(saved, file.path());
    }
    result_.start_step = step_;
    masking_.mask_probability = config.mask_probability;
    masking_.vocab_size = static_cast<std::int64_t>(b_.vocab.size());
    masking_.mask_token_id = *b_.tokenizer.token_to_id(b_.tokenizer_settings.mask_token);
    const auto& t = b_.tokenizer_settings;
    for (const auto& token : {t.pad_token, t.unk_token, t.cls_token, t.sep_token, t.mask_token})
      special_ids_.push_back(*b_.tokenizer.token_to_id(token));
  }

  // Runs the steps left until config.steps, or until interrupted.
  void run() {
    ProgressPhase progress(options_.progress, "pretraining", config_.steps);
    progress.advance(step_);
    double train_seconds = 0;
    std::int64_t steps_this_call = 0;
    bool stop = false;
    if (step_ == 0 && config_.eval_fraction > 0 && from_.empty()) evaluate(0);
    while (step_ < config_.steps && !stop) {
      const Stopwatch step_watch;
      const double lr = train_step();
      ++steps_this_call;
      train_seconds += step_watch.seconds();
      if (step_ % config_.log_every == 0 || step_ == config_.steps) {
        const PretrainLogEntry& e = log_window(lr, steps_this_call, train_seconds);
        detail_ = fmt::format("loss {:.3f} acc {:.3f} lr {:.2e}{}", e.loss, e.accuracy, lr, last_eval_);
      }
      progress.advance(step_, detail_);
      if (config_.eval_fraction > 0 && (step_ % config_.eval_every == 0 || step_ == config_.steps)) evaluate(step_);
      const bool interrupted = (options_.interrupt && options_.interrupt->load()) ||
                               (options_.stop_after > 0 && steps_this_call >= options_.stop_after);
      if (interrupted && step_ < config_.steps) {
        result_.interrupted = true;
        stop = true;
      }
      if (stop || step_ % config_.checkpoint_every == 0 || step_ == config_.steps) checkpoint();
    }
    result_.step = step_;
    result_.complete = step_ >= config_.steps;
    result_.seconds = train_seconds;
    result_.tokens_per_second = static_cast<double>(steps_this_call * config_.batch_size * config_.sequence_length) /
                                std::max(train_seconds, 1e-9);
    if (steps_this_call == 0 && !options_.resume) checkpoint();
  }

 private:
  static AdamWOptions adam_options(const PretrainConfig& config) {
    AdamWOptions adam;
    adam.weight_decay = config.weight_decay;
    return adam;
  }

  Model make_model(const json& state) {
    const EncoderConfig econfig = encoder_config(config_, static_cast<std::int64_t>(b_.vocab.size()));
    if (from_.empty()) return init_model(econfig, config_.seed);
    Model model;
    model.config = econfig;
    const Checkpoint checkpoint = Checkpoint::open(from_);
    for (auto& [name, t] : load_parameters(checkpoint, econfig)) model.encoder[name] = t.clone().requires_grad_(true);
    for (auto& [name, t] : load_mlm_head(checkpoint, econfig)) model.head[name] = t.clone().requires_grad_(true);
    step_ = state["step"].get<std::int64_t>();
    const json& w = state["window"];
    window_ = {w["loss_sum"].get<double>(), w["steps"].get<std::int64_t>(), w["masked"].get<std::int64_t>(),
               w["correct"].get<std::int64_t>()};
    for (const json& e : state["log"]) result_.log.push_back(log_entry(e));
    return model;
  }

  // Block `position` of the endless stream of epochs, each a seeded shuffle of the blocks.
  std::int64_t block_at(std::int64_t position) {
    const std::int64_t n = b_.train.size(0);
    const std::int64_t epoch = position / n;
    auto it = orders_.find(epoch);
    if (it == orders_.end()) {
      orders_.erase(orders_.begin(), orders_.lower_bound(epoch));
      std::vector<std::int64_t> order(static_cast<std::size_t>(n));
      std::iota(order.begin(), order.end(), 0);
      std::shuffle(order.begin(), order.end(), std::mt19937_64(seed_for(config_.seed, kOrder, epoch)));
      it = orders_.emplace(epoch, std::move(order)).first;
    }
    return it->second[static_cast<std::size_t>(position % n)];
  }

  // One update; returns its learning rate.
  double train_step() {
    std::vector<std::int64_t> rows(static_cast<std::size_t>(config_.batch_size));
    for (std::int64_t i = 0; i < config_.batch_size; ++i) rows[i] = block_at(step_ * config_.batch_size + i);
    const at::Tensor ids = b_.train.index_select(0, at::tensor(rows, at::kLong));
    const BatchResult r = mlm_batch(model_, ids, masking_, special_ids_, seed_for(config_.seed, kMask, step_));
    const double lr = schedule_.learning_rate(step_);
    if (r.masked > 0) {
      r.loss.backward();
      if (config_.max_grad_norm > 0) clip_grad_norm(optimizer_.parameters(), config_.max_grad_norm);
      optimizer_.step(lr);
      optimizer_.zero_grad();
      window_.loss_sum += r.loss.item<double>();
      window_.steps += 1;
      window_.masked += r.masked;
      window_.correct += r.correct;
    }
    ++step_;
    return lr;
  }

  // The training log line of the window since the last one.
  const PretrainLogEntry& log_window(double lr, std::int64_t steps_this_call, double train_seconds) {
    PretrainLogEntry e;
    e.step = step_;
    e.split = "train";
    e.loss = window_.steps ? window_.loss_sum / static_cast<double>(window_.steps) : std::nan("");
    e.accuracy = window_.masked ? static_cast<double>(window_.correct) / static_cast<double>(window_.masked) : 0;
    e.masked_tokens = window_.masked;
    e.learning_rate = lr;
    e.tokens_per_second = static_cast<double>(steps_this_call * config_.batch_size * config_.sequence_length) /
                          std::max(train_seconds, 1e-9);
    result_.log.push_back(e);
    window_ = {};
    return result_.log.back();
  }

  // The masked-token loss and accuracy on the held-out blocks.
  void evaluate(std::int64_t at_step) {
    at::NoGradGuard no_grad;
    double loss_sum = 0;
    std::int64_t masked = 0, correct = 0;
    const at::Tensor& eval = b_.eval;
    for (std::int64_t b = 0; b < eval.size(0); b += config_.batch_size) {
      const at::Tensor ids = eval.slice(0, b, std::min(b + config_.batch_size, eval.size(0)));
      const BatchResult r = mlm_batch(model_, ids, masking_, special_ids_, seed_for(config_.seed, kEvalMask, b));
      if (r.masked == 0) continue;
      loss_sum += r.loss.item<double>() * static_cast<double>(r.masked);
      masked += r.masked;
      correct += r.correct;
    }
    PretrainLogEntry e;
    e.step = at_step;
    e.split = "eval";
    e.loss = masked ? loss_sum / static_cast<double>(masked) : std::nan("");
    e.accuracy = masked ? static_cast<double>(correct) / static_cast<double>(masked) : 0;
    e.masked_tokens = masked;
    result_.log.push_back(e);
    last_eval_ = fmt::format(" | eval loss {:.3f} acc {:.3f}", e.loss, e.accuracy);
    if (options_.note)
      options_.note(fmt::format("step {}: eval loss {:.4f}, accuracy {:.4f} ({} masked tokens)", at_step, e.loss,
                                e.accuracy, masked));
  }

  void checkpoint() {
    write_checkpoint(options_.out, {step_, config_, corpus_, model_, b_.vocab, b_.tokenizer_settings, optimizer_,
                                    window_, result_.log});
    if (from_ != options_.out && !from_.empty()) {
      std::error_code ec;
      fs::remove_all(from_, ec);  // the orphan is now superseded
      from_ = options_.out;
    }
  }

  const PretrainConfig& config_;
  const Corpus& corpus_;
  const PretrainOptions& options_;
  fs::path from_;  // the checkpoint resumed from; empty for a fresh run
  Blocks b_;
  PretrainResult& result_;
  std::int64_t step_ = 0;
  Window window_;
  Model model_;
  AdamW optimizer_;
  LinearSchedule schedule_;
  MaskingOptions masking_;
  std::vector<std::int64_t> special_ids_;
  std::map<std::int64_t, std::vector<std::int64_t>> orders_;  // epoch → block order
  std::string last_eval_, detail_;                            // shown beside the progress
};

}  // namespace

PretrainResult pretrain(const PretrainConfig& config, const Corpus& corpus, const PretrainOptions& options) {
  if (options.out.empty()) throw UsageError("pretraining needs an output folder");
  auto note = [&](const std::string& s) {
    if (options.note) options.note(s);
  };
  PretrainResult result;
  Start start = find_start(config, corpus, options, note);                // 1: fresh, or the checkpoint to resume
  Blocks blocks = make_blocks(config, corpus, start.from, note, result);  // 2: split, vocabulary, blocks
  Trainer trainer(config, corpus, options, std::move(start), std::move(blocks), result);  // 3: model, optimizer
  trainer.run();                                                                          // 4: the steps, checkpointed
  return result;
}

}  // namespace taskscout
