#include "taskscout/train/fine_tune.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <numeric>
#include <optional>
#include <random>

#include "taskscout/core/error.hpp"
#include "taskscout/core/timer.hpp"
#include "taskscout/model/model_folder.hpp"
#include "taskscout/train/optimizer.hpp"

namespace taskscout {

namespace {

void check_options(const FineTuneOptions& o) {
  if (o.epochs < 1) throw UsageError(fmt::format("{} must be at least 1, not {}", opt("fine_tune.epochs"), o.epochs));
  if (o.batch_size < 1) throw UsageError(opt("fine_tune.batch_size") + " must be at least 1");
  if (!(o.effective_learning_rate() > 0) || !std::isfinite(o.learning_rate))
    throw UsageError(fmt::format("{} must be positive, not {}", opt("fine_tune.learning_rate"), o.learning_rate));
  if (!(o.warmup_ratio >= 0 && o.warmup_ratio <= 1))
    throw UsageError(fmt::format("{} must lie in [0, 1], not {}", opt("fine_tune.warmup_ratio"), o.warmup_ratio));
  if (!(o.max_grad_norm >= 0))
    throw UsageError(opt("fine_tune.max_grad_norm") + " must be non-negative (0 turns clipping off)");
  if (o.eval_steps < 0 || o.patience < 0)
    throw UsageError(opt("fine_tune.eval_steps") + " and " + opt("fine_tune.patience") + " must be non-negative");
  if (o.max_length == 1) throw UsageError(opt("fine_tune.max_length") + " 1 leaves no room for a token");
  if (!o.init_from.empty() && o.method == FineTuneMethod::Full)
    throw UsageError(
        "starting from another folder's tensors is for adapter and LoRA; for full fine-tuning, pass "
        "the fine-tuned model folder as the base");
}

// The dataset's rows to train on: all, or a seeded random subset of max_train_examples.
std::vector<std::size_t> training_rows(std::size_t n, std::size_t max_examples, std::uint64_t seed) {
  std::vector<std::size_t> rows(n);
  std::iota(rows.begin(), rows.end(), 0);
  if (max_examples == 0 || max_examples >= n) return rows;
  std::mt19937_64 rng(seed);
  std::shuffle(rows.begin(), rows.end(), rng);
  rows.resize(max_examples);
  std::sort(rows.begin(), rows.end());
  return rows;
}

at::Tensor trainable(const at::Tensor& t) { return t.detach().clone().set_requires_grad(true); }

// The targets of the given rows: class ids, or float values for regression.

}  // namespace

at::Tensor balanced_class_weights(const Dataset& d) {
  const std::size_t k = d.label_names.size();
  std::vector<double> counts(k, 0);
  for (std::int64_t id : d.label_ids) counts[static_cast<std::size_t>(id)] += 1;
  std::vector<float> w(k);
  for (std::size_t c = 0; c < k; ++c)
    w[c] = counts[c] == 0 ? 0.0f : static_cast<float>(static_cast<double>(d.label_ids.size()) / (k * counts[c]));
  return at::tensor(w, at::kFloat);
}

namespace {

double or_lowest(double v) { return std::isnan(v) ? -std::numeric_limits<double>::infinity() : v; }

}  // namespace

double FineTuneOptions::effective_learning_rate() const {
  if (learning_rate != 0) return learning_rate;
  switch (method) {
    case FineTuneMethod::Full:
      return 5e-5;
    case FineTuneMethod::Adapter:
      return 1e-3;
    case FineTuneMethod::Lora:
      return 5e-4;
    case FineTuneMethod::Compose:
      return 1e-3;  // compose passes its method's own default
  }
  return 5e-5;
}

Metrics evaluate_task_model(const TaskModel& model, const TokenizedTexts& texts, const Dataset& data,
                            std::size_t batch_size) {
  const at::Tensor logits = predict_logits(model, texts, batch_size);
  if (model.regression()) {
    const at::Tensor p = logits.select(1, 0).to(at::kDouble).contiguous();
    const std::vector<double> predicted(p.data_ptr<double>(), p.data_ptr<double>() + p.numel());
    return regression_metrics(predicted, data.values);
  }
  const at::Tensor p = logits.argmax(1).contiguous();
  const std::vector<std::int64_t> predicted(p.data_ptr<std::int64_t>(), p.data_ptr<std::int64_t>() + p.numel());
  return classification_metrics(predicted, data.label_ids);
}

namespace {

void check_training_sets(const Dataset& train_all, const Dataset& dev) {
  const bool regression = train_all.kind == LabelKind::Regression;
  if (dev.kind != train_all.kind)
    throw InputError(fmt::format("{}: the dev set's labels are {} but the train set's are {}", dev.path,
                                 dev.kind == LabelKind::Regression ? "numbers" : "classes",
                                 regression ? "numbers" : "classes"));
  if (train_all.size() == 0 || dev.size() == 0) throw InputError("the train and dev sets must not be empty");
  if (!regression && train_all.label_names.size() < 2)
    throw InputError(fmt::format("{}: the train set has a single class (\"{}\"); a classifier needs two or more",
                                 train_all.path, train_all.label_names.empty() ? "" : train_all.label_names[0]));
  if (!regression && dev.label_names != train_all.label_names)
    throw UsageError("the dev set must be loaded with the train set's label names");
}

}  // namespace

void start_task_model(TaskModel& m, const Encoder& base, const std::filesystem::path& base_folder,
                      const Dataset& train) {
  const bool regression = train.kind == LabelKind::Regression;
  m.base_folder = base_folder;
  m.config = base.config;
  m.config.architectures = {sequence_classification_class(m.config.architecture)};
  m.config.labels = regression ? std::vector<std::string>{"LABEL_0"} : train.label_names;
  m.config.problem_type = regression ? "regression" : "single_label_classification";
}

FineTuneResult fine_tune(const std::filesystem::path& base_folder, const Dataset& train_all, const Dataset& dev,
                         const FineTuneOptions& o, const FineTuneProgress& progress) {
  check_options(o);
  check_training_sets(train_all, dev);
  const bool regression = train_all.kind == LabelKind::Regression;
  Encoder base = load_encoder(base_folder);

  // The model: the base's encoder, what the method adds, a fresh head.
  TaskModel m;
  m.method = o.method;
  start_task_model(m, base, base_folder, train_all);
  m.head_style = o.method == FineTuneMethod::Adapter ? HeadStyle::Flex : HeadStyle::Native;
  const std::int64_t num_labels = regression ? 1 : static_cast<std::int64_t>(train_all.label_names.size());

  ParameterMap trained;  // what AdamW updates, sharing storage with m.encoder and m.head
  if (o.method == FineTuneMethod::Full) {
    for (const auto& [name, t] : base.parameters) m.encoder[name] = trained[name] = trainable(t);
  } else {
    m.encoder = base.parameters;  // frozen views of the base's files
    std::optional<TaskModel> from;
    if (!o.init_from.empty()) {
      from = load_task_model(o.init_from, base_folder);
      if (from->method != o.method)
        throw InputError(location(o.init_from.string()) +
                         fmt::format("holds a {} model, but fine-tuning is by {}; start from a {} folder",
                                     method_name(from->method), method_name(o.method), method_name(o.method)));
    }
    ParameterMap extra;
    if (o.method == FineTuneMethod::Lora) {
      m.lora = from ? from->lora : o.lora;
      m.encode.lora_scaling = m.lora.scaling();
      extra = init_lora(m.config, m.lora, o.seed + 1);
    } else {
      m.adapter = from ? from->adapter : o.adapter;
      m.encode.adapter = m.adapter.encode_options();
      extra = init_adapter(m.config, m.adapter, o.seed + 1);
    }
    if (from)
      for (auto& [name, t] : extra) {
        const auto it = from->encoder.find(name);
        if (it == from->encoder.end() || !it->second.sizes().equals(t.sizes()))
          throw InputError(location(o.init_from.string()) +
                           fmt::format("has no tensor {} of shape [{}] for this base; start from a folder trained "
                                       "on the same base",
                                       name, fmt::join(t.sizes(), ", ")));
        t = it->second.to(t.scalar_type());
      }
    for (const auto& [name, t] : extra) {
      m.encoder[name] = trained[name] = trainable(t);
      m.added.push_back(name);
    }
  }
  for (const auto& [name, t] : init_head(m.config, num_labels, o.seed, m.encoder, m.head_style)) {
    const bool pooler = name.rfind("pooler.", 0) == 0;  // BERT without a saved pooler gets a fresh one
    (pooler ? m.encoder : m.head)[name] = trained[name] = trainable(t);
    if (pooler && o.method != FineTuneMethod::Full) m.added.push_back(name);
  }
  return train_task_model(std::move(m), trained, train_all, dev, o, progress);
}

FineTuneResult train_task_model(TaskModel model, const ParameterMap& trained, const Dataset& train_all,
                                const Dataset& dev, const FineTuneOptions& o, const FineTuneProgress& progress,
                                const std::function<at::Tensor()>& regularizer) {
  check_options(o);
  check_training_sets(train_all, dev);
  Stopwatch watch;
  const bool regression = train_all.kind == LabelKind::Regression;
  const auto limit = static_cast<std::size_t>(model.config.max_length());
  if (o.max_length > limit)
    throw UsageError(fmt::format("{} {} exceeds what this {} model supports ({} tokens)", opt("fine_tune.max_length"),
                                 o.max_length, model.config.model_type, limit));
  const std::size_t max_length = o.max_length == 0 ? std::min<std::size_t>(128, limit) : o.max_length;
  text::Tokenizer tokenizer = text::Tokenizer::from_folder(model.base_folder);
  const Dataset train = select_rows(train_all, training_rows(train_all.size(), o.max_train_examples, o.seed));

  FineTuneResult result;
  result.model = std::move(model);
  TaskModel& m = result.model;
  m.max_length = max_length;
  for (const auto& [name, t] : trained) result.trainable_parameters += static_cast<std::size_t>(t.numel());

  const TokenizedTexts train_texts = tokenize_texts(tokenizer, train.texts, train.text_pairs, max_length, train.path);
  const TokenizedTexts dev_texts = tokenize_texts(tokenizer, dev.texts, dev.text_pairs, max_length, dev.path);
  result.train_examples = train.size();
  result.truncated_texts = train_texts.truncated + dev_texts.truncated;
  const at::Tensor class_weights =
      o.balanced_class_weights && !regression ? balanced_class_weights(train) : at::Tensor();

  const std::int64_t n = static_cast<std::int64_t>(train.size()), bs = static_cast<std::int64_t>(o.batch_size);
  const std::int64_t steps_per_epoch = (n + bs - 1) / bs, total = steps_per_epoch * o.epochs;
  const LinearSchedule schedule{o.effective_learning_rate(),
                                static_cast<std::int64_t>(std::ceil(static_cast<double>(total) * o.warmup_ratio)),
                                total};
  AdamW adam(trained, {0.9, 0.999, 1e-8, o.weight_decay});

  std::map<std::string, at::Tensor> best_state;
  double best_metric = -std::numeric_limits<double>::infinity();
  std::int64_t since_best = 0;
  double loss_sum = 0;
  std::int64_t loss_steps = 0;
  auto evaluate_now = [&](std::int64_t step, double epoch, double lr) {
    Evaluation e;
    e.step = step;
    e.epoch = epoch;
    e.train_loss = loss_steps > 0 ? loss_sum / static_cast<double>(loss_steps) : 0;
    e.learning_rate = lr;
    e.dev = evaluate_task_model(m, dev_texts, dev, std::max<std::size_t>(o.batch_size, 32));
    loss_sum = 0;
    loss_steps = 0;
    result.evaluations.push_back(e);
    if (or_lowest(e.dev.main()) > best_metric || best_state.empty()) {
      best_metric = or_lowest(e.dev.main());
      result.best = result.evaluations.size() - 1;
      since_best = 0;
      for (const auto& [name, t] : trained) best_state[name] = t.detach().clone();
    } else {
      ++since_best;
    }
    if (progress.evaluation) progress.evaluation(e);
    return o.patience > 0 && since_best >= o.patience;
  };

  std::mt19937_64 rng(o.seed);
  std::vector<std::size_t> order(train.size());
  std::int64_t step = 0;
  for (std::int64_t epoch = 0; epoch < o.epochs && !result.stopped_early; ++epoch) {
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), rng);
    for (std::int64_t b = 0; b < steps_per_epoch; ++b) {
      const std::size_t start = static_cast<std::size_t>(b * bs);
      const std::span<const std::size_t> rows(order.data() + start, std::min(order.size() - start, o.batch_size));
      const Batch batch = make_batch(train_texts, rows, m.config.pad_token_id);
      const at::Tensor logits = task_logits(m, batch.input_ids, batch.attention_mask, batch.token_type_ids);
      const at::Tensor loss = classification_loss(logits, batch_labels(train, rows), class_weights);
      (regularizer ? loss + regularizer() : loss).backward();
      if (o.max_grad_norm > 0) clip_grad_norm(trained, o.max_grad_norm);
      const double lr = schedule.learning_rate(step);
      adam.step(lr);
      adam.zero_grad();
      ++step;
      const double loss_value = loss.item<double>();
      if (!std::isfinite(loss_value))
        throw InputError(fmt::format("the training loss became {} at step {}: lower {}", loss_value, step,
                                     opt("fine_tune.learning_rate")));
      loss_sum += loss_value;
      ++loss_steps;
      if (progress.step) progress.step(step, total, loss_value);
      if (progress.interrupt && progress.interrupt->load()) {
        result.interrupted = true;
        result.steps = step;
        return result;
      }
      const bool at_epoch_end = b + 1 == steps_per_epoch;
      if ((o.eval_steps > 0 && step % o.eval_steps == 0) || (o.eval_steps == 0 && at_epoch_end) ||
          (o.eval_steps > 0 && step == total)) {
        if (evaluate_now(step, static_cast<double>(step) / static_cast<double>(steps_per_epoch), lr)) {
          result.stopped_early = true;
          break;
        }
      }
    }
  }
  result.steps = step;
  {
    at::NoGradGuard no_grad;
    for (const auto& [name, t] : trained) t.copy_(best_state.at(name));
  }
  result.seconds = watch.seconds();
  return result;
}

std::string FineTuneResult::log_json(const FineTuneOptions& o) const {
  using nlohmann::ordered_json;
  auto metrics = [](const Metrics& m) {
    ordered_json j = ordered_json::object();
    for (const auto& [name, v] : m.values) j[name] = std::isnan(v) ? ordered_json(nullptr) : ordered_json(v);
    return j;
  };
  ordered_json options = {{"method", method_name(o.method)},
                          {"epochs", o.epochs},
                          {"batch_size", o.batch_size},
                          {"learning_rate", o.effective_learning_rate()},
                          {"warmup_ratio", o.warmup_ratio},
                          {"weight_decay", o.weight_decay},
                          {"max_grad_norm", o.max_grad_norm},
                          {"eval_steps", o.eval_steps},
                          {"patience", o.patience},
                          {"max_train_examples", o.max_train_examples},
                          {"max_length", o.max_length},
                          {"balanced_class_weights", o.balanced_class_weights},
                          {"seed", o.seed}};
  if (o.method == FineTuneMethod::Lora)
    options["lora"] = {{"rank", o.lora.rank}, {"alpha", o.lora.alpha}, {"target_modules", o.lora.target_modules}};
  if (o.method == FineTuneMethod::Adapter)
    options["adapter"] = {{"placement", o.adapter.placement == AdapterPlacement::Pfeiffer ? "pfeiffer" : "houlsby"},
                          {"reduction_factor", o.adapter.reduction_factor}};
  ordered_json evals = ordered_json::array();
  for (const Evaluation& e : evaluations)
    evals.push_back({{"step", e.step},
                     {"epoch", e.epoch},
                     {"train_loss", e.train_loss},
                     {"learning_rate", e.learning_rate},
                     {"dev", metrics(e.dev)}});
  ordered_json j = {{"options", options},
                    {"train_examples", train_examples},
                    {"trainable_parameters", trainable_parameters},
                    {"steps", steps},
                    {"stopped_early", stopped_early},
                    {"seconds", seconds},
                    {"best", best},
                    {"evaluations", evals}};
  return j.dump(1) + "\n";
}

}  // namespace taskscout
