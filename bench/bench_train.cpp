// Training-step benchmark, taskscout side (bench/run_train.sh runs it beside
// bench/train_torch.py and prints the table for bench/RESULTS.md).
//
//   bench_train MODEL_DIR full|adapter|lora|COMPOSITION:K|lora-COMPOSITION:K BATCH SEQ WARMUP STEPS THREADS
//       builds the model fine_tune builds (the base's encoder, a Pfeiffer adapter with
//       reduction 16 for `adapter`, a LoRA of rank 8 on query and value for `lora`, a fresh
//       two-class head), or for e.g. `scalearn:8` the one compose_adapters builds (K frozen
//       random Pfeiffer adapters of reduction 16, the composition's tensors and a flex head
//       trained), or for `lora-scalearn:8` the one compose_loras builds (K frozen random
//       LoRAs of rank 8 on query and value, ω and a flex head trained), and times STEPS update steps
//       after WARMUP untimed ones, each on the same seeded-random [BATCH, SEQ] batch
//       (no padding): logits, cross-entropy, backward, gradient clipping at 1.0, AdamW,
//       zero_grad — the body of fine_tune's loop. Prints one JSON line: every step's
//       seconds, the median, examples/s at the median, trainable parameters, peak RSS.
#include <ATen/ATen.h>
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench_support.hpp"
#include "taskscout/core/compute_process.hpp"
#include "taskscout/core/threads.hpp"
#include "taskscout/core/timer.hpp"
#include "taskscout/model/adapter.hpp"
#include "taskscout/model/adapter_composition.hpp"
#include "taskscout/model/head.hpp"
#include "taskscout/model/lora.hpp"
#include "taskscout/model/lora_composition.hpp"
#include "taskscout/model/model_folder.hpp"
#include "taskscout/train/optimizer.hpp"
#include "taskscout/train/task_model.hpp"

using namespace taskscout;
using nlohmann::json;

namespace {

using bench::median;
using bench::peak_rss_mib;

at::Tensor trainable(const at::Tensor& t) { return t.detach().clone().set_requires_grad(true); }

}  // namespace

int main(int argc, char** argv) {
  prepare_compute_process(argv);  // as taskscout train does
  const std::vector<std::string> a(argv + 1, argv + argc);
  const std::size_t colon = a.size() == 7 ? a[1].find(':') : std::string::npos;
  if (a.size() != 7 || (a[1] != "full" && a[1] != "adapter" && a[1] != "lora" && colon == std::string::npos)) {
    std::fprintf(stderr,
                 "usage: bench_train MODEL_DIR full|adapter|lora|COMPOSITION:K|lora-COMPOSITION:K BATCH SEQ WARMUP "
                 "STEPS THREADS\n");
    return 2;
  }
  const bool loras = a[1].rfind("lora", 0) == 0;  // a LoRA, or a composition of LoRAs
  set_thread_count(std::stoi(a[6]));
  const Encoder base = load_encoder(a[0]);
  const std::int64_t b = std::stoll(a[2]), l = std::stoll(a[3]);
  const int warmup = std::stoi(a[4]), steps = std::stoi(a[5]);

  // The model as fine_tune assembles it.
  TaskModel m;
  m.method = a[1] == "full"               ? FineTuneMethod::Full
             : colon != std::string::npos ? FineTuneMethod::Compose
             : loras                      ? FineTuneMethod::Lora
                                          : FineTuneMethod::Adapter;
  m.config = base.config;
  m.config.labels = {"0", "1"};
  m.config.problem_type = "single_label_classification";
  m.head_style =
      m.method == FineTuneMethod::Full || m.method == FineTuneMethod::Lora ? HeadStyle::Native : HeadStyle::Flex;
  ParameterMap trained;
  if (m.method == FineTuneMethod::Full) {
    for (const auto& [name, t] : base.parameters) m.encoder[name] = trained[name] = trainable(t);
  } else if (m.method == FineTuneMethod::Compose && loras) {
    m.encoder = base.parameters;
    LoraComposition composition{parse_composition_method(a[1].substr(5, colon - 5)), {}, {}};
    for (int k = 0, n = std::stoi(a[1].substr(colon + 1)); k < n; ++k) {
      composition.loras.push_back("source" + std::to_string(k));
      composition.configs.push_back(m.lora);
      auto generator = at::make_generator<at::CPUGeneratorImpl>(10 + k);
      for (const auto& [name, t] : init_lora(m.config, m.lora, 10 + k)) {  // frozen, B random as a trained one's
        const std::size_t at = name.rfind(".lora_");
        m.encoder[composed_lora_name(name.substr(0, at), composition.loras.back(), name[at + 6])] =
            name[at + 6] == 'B' ? at::normal(0.0, 0.02, t.sizes(), generator) : t;
      }
    }
    m.encode.lora_composition = std::make_shared<const LoraComposition>(composition);
    for (const auto& [name, t] : init_lora_composition(m.config, composition, 1))
      m.encoder[name] = trained[name] = trainable(t);
  } else if (m.method == FineTuneMethod::Compose) {
    m.encoder = base.parameters;
    AdapterComposition composition{parse_composition_method(a[1].substr(0, colon)), {}, {}};
    for (int k = 0, n = std::stoi(a[1].substr(colon + 1)); k < n; ++k) {
      m.adapter.name = "source" + std::to_string(k);
      composition.adapters.push_back(m.adapter.name);
      for (const auto& [name, t] : init_adapter(m.config, m.adapter, 10 + k)) m.encoder[name] = t;  // frozen
    }
    m.encode.adapter = m.adapter.encode_options();
    m.encode.adapter.composition = std::make_shared<const AdapterComposition>(composition);
    for (const auto& [name, t] : init_composition(m.config, composition, m.adapter.placement, 1))
      m.encoder[name] = trained[name] = trainable(t);
  } else if (m.method == FineTuneMethod::Lora) {
    m.encoder = base.parameters;
    m.encode.lora_scaling = m.lora.scaling();
    for (const auto& [name, t] : init_lora(m.config, m.lora, 1)) m.encoder[name] = trained[name] = trainable(t);
  } else {
    m.encoder = base.parameters;
    m.encode.adapter = m.adapter.encode_options();
    for (const auto& [name, t] : init_adapter(m.config, m.adapter, 1)) m.encoder[name] = trained[name] = trainable(t);
  }
  for (const auto& [name, t] : init_head(m.config, 2, 0, m.encoder, m.head_style))
    (name.rfind("pooler.", 0) == 0 ? m.encoder : m.head)[name] = trained[name] = trainable(t);
  std::int64_t trainable_parameters = 0;
  for (const auto& [name, t] : trained) trainable_parameters += t.numel();

  at::manual_seed(0);
  const at::Tensor ids = at::randint(1000, m.config.vocab_size, {b, l}, at::kLong);
  const at::Tensor mask = at::ones({b, l}, at::kLong), types = at::zeros({b, l}, at::kLong);
  const at::Tensor labels = at::randint(0, 2, {b}, at::kLong);
  AdamW adam(trained, {0.9, 0.999, 1e-8, 0.01});
  double last_loss = 0;
  auto step = [&] {
    const at::Tensor loss = classification_loss(task_logits(m, ids, mask, types), labels);
    loss.backward();
    clip_grad_norm(trained, 1.0);
    adam.step(1e-4);
    adam.zero_grad();
    last_loss = loss.item<double>();
  };
  for (int i = 0; i < warmup; ++i) step();
  std::vector<double> t;
  for (int i = 0; i < steps; ++i) {
    Stopwatch w;
    step();
    t.push_back(w.seconds());
  }
  const double s = median(t);
  const json out = {{"impl", "taskscout"},
                    {"model", std::filesystem::path(a[0]).filename().string()},
                    {"method", a[1]},
                    {"batch", b},
                    {"seq", l},
                    {"seconds", t},
                    {"median_seconds", s},
                    {"examples_per_second", static_cast<double>(b) / s},
                    {"trainable_parameters", trainable_parameters},
                    {"last_loss", last_loss},
                    {"peak_rss_mib", peak_rss_mib()},
                    {"threads", thread_count()}};
  std::printf("%s\n", out.dump().c_str());
  return 0;
}
