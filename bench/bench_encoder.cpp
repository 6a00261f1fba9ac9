// The encoder benchmark, taskscout's side (bench/run_encoder.sh runs it next to
// bench/encoder_torch.py and bench/encoder_ort.mjs). Prints one JSON object per line.
//
//   bench_encoder gemm THREADS
//       float32 GEMM rate of at::mm (4096×4096×4096) through libtorch: the machine's peak.
//   bench_encoder fixed MODEL_DIR BATCH SEQ REPEATS THREADS
//       encode() on one fixed [BATCH, SEQ] batch of seeded random ids (no padding), inside
//       c10::InferenceMode; one warm-up, then the median of REPEATS runs.
//   bench_encoder text MODEL_DIR TOKENIZER_JSON CSV LIMIT THREADS
//       embed_texts (length-sorted batches of 32, max length 128, CLS pooling) on the `text`
//       column of CSV (the first LIMIT rows; 0: all), timed once after loading; peak RSS.
//   bench_encoder ids TOKENIZER_JSON CSV LIMIT
//       the token ids (truncated to 128) of the CSV's texts in file order, one JSON array a
//       line: what the peers feed their models.
//   bench_encoder tokenize TOKENIZER_JSON REPEATS CSV...
//       Tokenizer::encode over all texts of the CSVs, one thread; median texts/s.
#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>
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
#include "taskscout/io/table.hpp"
#include "taskscout/model/encoder.hpp"
#include "taskscout/model/model_folder.hpp"
#include "taskscout/model/text_embedding.hpp"
#include "taskscout/text/tokenizer.hpp"

using namespace taskscout;
using nlohmann::json;

namespace {

template <class F>
std::vector<double> timings(int repeats, F&& f) {
  std::vector<double> t;
  for (int i = 0; i < repeats; ++i) {
    Stopwatch w;
    f();
    t.push_back(w.seconds());
  }
  return t;
}

using bench::median;
using bench::peak_rss_mib;

void emit(const json& j) {
  std::printf("%s\n", j.dump().c_str());
  std::fflush(stdout);
}

std::vector<std::string> texts_of(const std::filesystem::path& csv, std::size_t limit) {
  const Table t = read_table(csv);
  const std::size_t col = t.require_column("text");
  std::vector<std::string> out;
  for (const auto& row : t.rows) {
    if (limit && out.size() == limit) break;
    out.push_back(row[col]);
  }
  return out;
}

// Forward FLOPs of a BERT-style encoder on a [b, l] batch: the six projections per
// layer (Q, K, V, output, FFN in, FFN out) and the two attention products.
double encoder_flops(const EncoderConfig& c, double b, double l) {
  const double d = static_cast<double>(c.hidden_size), f = static_cast<double>(c.intermediate_size);
  const double per_layer = 2 * b * l * (4 * d * d + 2 * d * f) + 2 * 2 * b * l * l * d;
  return per_layer * static_cast<double>(c.num_layers);
}

}  // namespace

int main(int argc, char** argv) {
  prepare_compute_process(argv);  // as taskscout embed does
  const std::vector<std::string> a(argv + 1, argv + argc);
  if (a.size() == 2 && a[0] == "gemm") {
    set_thread_count(std::stoi(a[1]));
    const std::int64_t n = 4096;
    const at::Tensor x = at::randn({n, n}), y = at::randn({n, n});
    at::mm(x, y);
    const double s = median(timings(5, [&] { at::mm(x, y); }));
    emit({{"gemm_f32_gflops", 2.0 * n * n * n / s / 1e9}, {"threads", thread_count()}});
    return 0;
  }
  if (a.size() == 6 && a[0] == "fixed") {
    set_thread_count(std::stoi(a[5]));
    const Encoder encoder = load_encoder(a[1]);
    const std::int64_t b = std::stoll(a[2]), l = std::stoll(a[3]);
    const int repeats = std::stoi(a[4]);
    at::manual_seed(0);
    const at::Tensor ids = at::randint(1000, encoder.config.vocab_size, {b, l}, at::kLong);
    const at::Tensor mask = at::ones({b, l}, at::kLong), types = at::zeros({b, l}, at::kLong);
    c10::InferenceMode guard;
    auto run = [&] { encode(encoder.config, encoder.parameters, ids, mask, types); };
    run();  // warm-up
    const std::vector<double> t = timings(repeats, run);
    const double s = median(t);
    emit({{"impl", "taskscout"},
          {"mode", "fixed"},
          {"model", std::filesystem::path(a[1]).filename().string()},
          {"batch", b},
          {"seq", l},
          {"seconds", t},
          {"median_seconds", s},
          {"flops", encoder_flops(encoder.config, b, l)},
          {"peak_rss_mib", peak_rss_mib()},
          {"threads", thread_count()}});
    return 0;
  }
  if (a.size() == 6 && a[0] == "text") {
    set_thread_count(std::stoi(a[5]));
    const Encoder encoder = load_encoder(a[1]);
    text::Tokenizer tokenizer = text::Tokenizer::from_file(a[2]);
    const std::vector<std::string> texts = texts_of(a[3], std::stoul(a[4]));
    TextEmbeddingOptions options;
    options.max_length = 128;
    options.batch_size = 32;
    double flops = 0;
    Stopwatch w;
    const TextEmbeddings e =
        embed_texts(encoder, std::move(tokenizer), texts, {}, options, a[3], [&](std::size_t, std::size_t) {});
    const double s = w.seconds();
    // FLOPs of the batches actually run: the length-sorted order, 32 a batch.
    {
      text::Tokenizer t = text::Tokenizer::from_file(a[2]);
      text::TruncationOptions tr;
      tr.max_length = 128;
      t.set_truncation(tr);
      std::vector<text::Encoding> enc;
      for (const auto& x : texts) enc.push_back(t.encode(x));
      const auto order = text::order_by_length(enc);
      for (std::size_t i = 0; i < order.size(); i += 32) {
        const std::size_t rows = std::min<std::size_t>(32, order.size() - i);
        std::size_t len = 0;
        for (std::size_t r = 0; r < rows; ++r) len = std::max(len, enc[order[i + r]].size());
        flops += encoder_flops(encoder.config, static_cast<double>(rows), static_cast<double>(len));
      }
    }
    emit({{"impl", "taskscout"},
          {"mode", "text"},
          {"model", std::filesystem::path(a[1]).filename().string()},
          {"data", a[3]},
          {"texts", texts.size()},
          {"tokens", e.tokens},
          {"padded_tokens", e.padded_tokens},
          {"truncated_texts", e.truncated_texts},
          {"seconds", s},
          {"flops", flops},
          {"peak_rss_mib", peak_rss_mib()},
          {"threads", thread_count()}});
    return 0;
  }
  if (a.size() == 4 && a[0] == "ids") {
    text::Tokenizer t = text::Tokenizer::from_file(a[1]);
    text::TruncationOptions tr;
    tr.max_length = 128;
    t.set_truncation(tr);
    for (const auto& x : texts_of(a[2], std::stoul(a[3]))) std::printf("%s\n", json(t.encode(x).ids).dump().c_str());
    return 0;
  }
  if (a.size() >= 4 && a[0] == "tokenize") {
    const text::Tokenizer t = text::Tokenizer::from_file(a[1]);
    const int repeats = std::stoi(a[2]);
    std::vector<std::string> texts;
    for (std::size_t i = 3; i < a.size(); ++i) {
      auto more = texts_of(a[i], 0);
      texts.insert(texts.end(), more.begin(), more.end());
    }
    std::size_t tokens = 0;
    auto run = [&] {
      tokens = 0;
      for (const auto& x : texts) tokens += t.encode(x).size();
    };
    run();
    const double s = median(timings(repeats, run));
    emit({{"impl", "taskscout"},
          {"mode", "tokenize"},
          {"texts", texts.size()},
          {"tokens", tokens},
          {"median_seconds", s},
          {"texts_per_second", static_cast<double>(texts.size()) / s}});
    return 0;
  }
  std::fprintf(stderr,
               "usage: bench_encoder gemm THREADS | fixed MODEL_DIR BATCH SEQ REPEATS THREADS | "
               "text MODEL_DIR TOKENIZER_JSON CSV LIMIT THREADS | ids TOKENIZER_JSON CSV LIMIT | "
               "tokenize TOKENIZER_JSON REPEATS CSV...\n");
  return 2;
}
