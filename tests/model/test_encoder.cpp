// The forward pass on the fixture checkpoints: against a direct per-token formula, and
// the properties embedding relies on (padding, batching, determinism, gradients).
#include <c10/core/InferenceMode.h>
#include <gtest/gtest.h>

#include <cmath>

#include "taskscout/core/error.hpp"
#include "taskscout/model/encoder.hpp"
#include "taskscout/model/model_folder.hpp"
#include "taskscout/model/parameter_names.hpp"
#include "taskscout/model/pooling.hpp"
#include "test_support.hpp"

using namespace taskscout;
using taskscout::testing::fixtures_dir;

namespace {

const Encoder& model(const std::string& name) {
  static std::map<std::string, Encoder> cache;
  auto it = cache.find(name);
  if (it == cache.end()) it = cache.emplace(name, load_encoder(fixtures_dir() / "model" / name)).first;
  return it->second;
}

// Three rows padded to 9 with the model's pad id; lengths 9, 5 and 2.
struct Batch {
  at::Tensor ids, mask, types;
  std::vector<std::int64_t> lengths{9, 5, 2};
};

Batch make_batch(const EncoderConfig& c) {
  Batch b;
  b.ids = at::full({3, 9}, c.pad_token_id, at::kLong);
  b.mask = at::zeros({3, 9}, at::kLong);
  b.types = at::zeros({3, 9}, at::kLong);
  for (std::int64_t r = 0; r < 3; ++r)
    for (std::int64_t t = 0; t < b.lengths[r]; ++t) {
      b.ids[r][t] = 3 + (r * 37 + t * 11) % (c.vocab_size - 3);
      b.mask[r][t] = 1;
    }
  if (c.type_vocab_size > 1) b.types[0].slice(0, 5, 9).fill_(1);  // a sentence pair
  return b;
}

// --- a direct formula: one sequence, double precision, every sum written out ----------

using Matrix = std::vector<std::vector<double>>;  // [tokens][features]

Matrix rows_of(const at::Tensor& t) {
  const at::Tensor d = t.to(at::kDouble).contiguous();
  Matrix m(d.size(0), std::vector<double>(d.size(1)));
  for (std::int64_t i = 0; i < d.size(0); ++i)
    for (std::int64_t j = 0; j < d.size(1); ++j) m[i][j] = d[i][j].item<double>();
  return m;
}

std::vector<double> vec_of(const at::Tensor& t) { return rows_of(t.view({1, -1}))[0]; }

Matrix affine(const Matrix& x, const ParameterMap& p, const std::string& module) {
  const Matrix w = rows_of(p.at(module + ".weight"));
  const std::vector<double> b = vec_of(p.at(module + ".bias"));
  Matrix y(x.size(), std::vector<double>(w.size()));
  for (std::size_t t = 0; t < x.size(); ++t)
    for (std::size_t o = 0; o < w.size(); ++o) {
      double s = b[o];
      for (std::size_t i = 0; i < x[t].size(); ++i) s += w[o][i] * x[t][i];
      y[t][o] = s;
    }
  return y;
}

Matrix norm(const Matrix& x, const ParameterMap& p, const std::string& module, double eps) {
  const std::vector<double> g = vec_of(p.at(module + ".weight")), b = vec_of(p.at(module + ".bias"));
  Matrix y = x;
  for (std::size_t t = 0; t < x.size(); ++t) {
    const double n = static_cast<double>(x[t].size());
    double mean = 0, var = 0;
    for (double v : x[t]) mean += v / n;
    for (double v : x[t]) var += (v - mean) * (v - mean) / n;  // biased, as LayerNorm
    for (std::size_t i = 0; i < x[t].size(); ++i) y[t][i] = (x[t][i] - mean) / std::sqrt(var + eps) * g[i] + b[i];
  }
  return y;
}

Matrix add(Matrix a, const Matrix& b) {
  for (std::size_t t = 0; t < a.size(); ++t)
    for (std::size_t i = 0; i < a[t].size(); ++i) a[t][i] += b[t][i];
  return a;
}

// An unpadded sequence through the whole encoder.
Matrix direct_encode(const EncoderConfig& c, const ParameterMap& p, const std::vector<std::int64_t>& ids,
                     const std::vector<std::int64_t>& types) {
  const std::size_t n = ids.size(), d = static_cast<std::size_t>(c.hidden_size);
  const EmbeddingNames e = embedding_names(c.architecture);
  const Matrix word = rows_of(p.at(e.word + ".weight")), pos = rows_of(p.at(e.position + ".weight"));
  Matrix x(n, std::vector<double>(d));
  for (std::size_t t = 0; t < n; ++t) {
    // No padding inside: RoBERTa's positions are simply pad + 1 + t.
    const std::size_t position = c.positions_after_padding() ? c.pad_token_id + 1 + t : t;
    for (std::size_t i = 0; i < d; ++i) x[t][i] = word[ids[t]][i] + pos[position][i];
    if (!e.token_type.empty())
      for (std::size_t i = 0; i < d; ++i) x[t][i] += p.at(e.token_type + ".weight")[types[t]][i].item<double>();
  }
  x = norm(x, p, e.norm, c.layer_norm_eps);

  const std::size_t heads = c.num_heads, dh = c.head_dim();
  for (std::int64_t layer = 0; layer < c.num_layers; ++layer) {
    const LayerNames l = layer_names(c.architecture, layer);
    const Matrix q = affine(x, p, l.query), k = affine(x, p, l.key), v = affine(x, p, l.value);
    Matrix context(n, std::vector<double>(d, 0.0));
    for (std::size_t h = 0; h < heads; ++h)
      for (std::size_t i = 0; i < n; ++i) {
        std::vector<double> score(n);
        double top = -INFINITY, total = 0;
        for (std::size_t j = 0; j < n; ++j) {
          double s = 0;
          for (std::size_t f = h * dh; f < (h + 1) * dh; ++f) s += q[i][f] * k[j][f];
          score[j] = s / std::sqrt(static_cast<double>(dh));
          top = std::max(top, score[j]);
        }
        for (double& s : score) total += (s = std::exp(s - top));
        for (std::size_t j = 0; j < n; ++j)
          for (std::size_t f = h * dh; f < (h + 1) * dh; ++f) context[i][f] += score[j] / total * v[j][f];
      }
    x = norm(add(affine(context, p, l.attention_out), x), p, l.attention_norm, c.layer_norm_eps);
    Matrix inner = affine(x, p, l.ffn_in);
    for (auto& row : inner)
      for (double& u : row) u = 0.5 * u * (1.0 + std::erf(u / std::sqrt(2.0)));  // exact GELU
    x = norm(add(affine(inner, p, l.ffn_out), x), p, l.output_norm, c.layer_norm_eps);
  }
  return x;
}

class EncoderArch : public ::testing::TestWithParam<std::string> {};

}  // namespace

TEST_P(EncoderArch, AgreesWithTheDirectFormula) {
  c10::InferenceMode guard;
  const Encoder& m = model(GetParam());
  const Batch b = make_batch(m.config);
  const at::Tensor out = encode(m.config, m.parameters, b.ids, b.mask, b.types).last_hidden_state;
  for (std::int64_t r = 0; r < 3; ++r) {
    const std::int64_t n = b.lengths[r];
    std::vector<std::int64_t> ids(n), types(n);
    for (std::int64_t t = 0; t < n; ++t)
      ids[t] = b.ids[r][t].item<std::int64_t>(), types[t] = b.types[r][t].item<std::int64_t>();
    const Matrix want = direct_encode(m.config, m.parameters, ids, types);
    for (std::int64_t t = 0; t < n; ++t)
      for (std::int64_t i = 0; i < m.config.hidden_size; ++i)
        ASSERT_NEAR(out[r][t][i].item<double>(), want[t][i], 1e-5) << "row " << r << " token " << t << " feature " << i;
  }
}

TEST_P(EncoderArch, PaddingNeverChangesRealTokens) {
  c10::InferenceMode guard;
  const Encoder& m = model(GetParam());
  const Batch b = make_batch(m.config);
  const at::Tensor base = encode(m.config, m.parameters, b.ids, b.mask, b.types).last_hidden_state;
  // Other ids and token types under the padding.
  const at::Tensor pad = b.mask.eq(0);
  const at::Tensor ids = at::where(pad, at::full_like(b.ids, 7), b.ids);
  const at::Tensor types = at::where(pad, at::full_like(b.types, m.config.type_vocab_size > 1 ? 1 : 0), b.types);
  const at::Tensor other = encode(m.config, m.parameters, ids, b.mask, types).last_hidden_state;
  for (std::int64_t r = 0; r < 3; ++r) {
    const auto real = at::indexing::Slice(0, b.lengths[r]);
    EXPECT_TRUE(at::allclose(base[r].index({real}), other[r].index({real}), 0, 1e-6)) << "row " << r;
  }
}

TEST_P(EncoderArch, AloneOrInAPaddedBatchGivesTheSameStates) {
  c10::InferenceMode guard;
  const Encoder& m = model(GetParam());
  const Batch b = make_batch(m.config);
  const at::Tensor batch = encode(m.config, m.parameters, b.ids, b.mask, b.types).last_hidden_state;
  for (std::int64_t r = 0; r < 3; ++r) {
    const auto real = at::indexing::Slice(0, b.lengths[r]);
    auto row = [&](const at::Tensor& t) { return t[r].index({real}).unsqueeze(0); };
    const at::Tensor alone = encode(m.config, m.parameters, row(b.ids), row(b.mask), row(b.types)).last_hidden_state[0];
    EXPECT_LE((alone - batch[r].index({real})).abs().max().item<double>(), 1e-5) << "row " << r;
  }
}

TEST_P(EncoderArch, InferenceAndDifferentiableAttentionAgree) {
  // Inference runs the heads through attention_kernel.cpp; with autograd on, bmm does.
  const Encoder& m = model(GetParam());
  const Batch b = make_batch(m.config);
  at::Tensor inference;
  {
    c10::InferenceMode guard;
    inference = encode(m.config, m.parameters, b.ids, b.mask, b.types).last_hidden_state;
  }
  ASSERT_TRUE(at::GradMode::is_enabled());
  const at::Tensor differentiable = encode(m.config, m.parameters, b.ids, b.mask, b.types).last_hidden_state;
  for (std::int64_t r = 0; r < 3; ++r) {
    const auto real = at::indexing::Slice(0, b.lengths[r]);
    EXPECT_LE((inference[r].index({real}) - differentiable.detach()[r].index({real})).abs().max().item<double>(), 1e-5)
        << "row " << r;
  }
}

TEST_P(EncoderArch, Deterministic) {
  c10::InferenceMode guard;
  const Encoder& m = model(GetParam());
  const Batch b = make_batch(m.config);
  const EncoderOutput one = encode(m.config, m.parameters, b.ids, b.mask, b.types, {.all_hidden_states = true});
  const EncoderOutput two = encode(m.config, m.parameters, b.ids, b.mask, b.types, {.all_hidden_states = true});
  EXPECT_TRUE(at::equal(one.last_hidden_state, two.last_hidden_state));
  ASSERT_EQ(one.hidden_states.size(), static_cast<std::size_t>(m.config.num_layers + 1));
  EXPECT_TRUE(at::equal(one.hidden_states.back(), one.last_hidden_state));
}

TEST_P(EncoderArch, GradientsReachEveryParameter) {
  // No inference guard: the forward must stay differentiable in its parameters.
  const Encoder& m = model(GetParam());
  ParameterMap p;
  for (const auto& [name, t] : m.parameters) p[name] = t.clone().set_requires_grad(true);
  const Batch b = make_batch(m.config);
  const at::Tensor h = encode(m.config, p, b.ids, b.mask, b.types).last_hidden_state;
  pool_mean(h, b.mask).pow(2).sum().backward();
  for (const auto& [name, t] : p) {
    if (name.rfind("pooler.", 0) == 0) continue;  // not on this path
    ASSERT_TRUE(t.grad().defined()) << name;
    EXPECT_GT(t.grad().abs().sum().item<double>(), 0) << name;
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, EncoderArch, ::testing::Values("bert", "roberta", "xlmr", "distilbert"),
                         [](const auto& info) { return info.param; });

TEST(Encoder, PositionIds) {
  const EncoderConfig& bert = model("bert").config;
  const EncoderConfig& roberta = model("roberta").config;  // pad 1
  const at::Tensor ids = at::tensor({0, 5, 6, 2, 1, 1, 9, 5, 1, 1, 1, 1}, at::kLong).view({2, 6});
  EXPECT_TRUE(
      at::equal(position_ids(bert, ids), at::tensor({0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5}, at::kLong).view({2, 6})));
  EXPECT_TRUE(
      at::equal(position_ids(roberta, ids), at::tensor({2, 3, 4, 5, 1, 1, 2, 3, 1, 1, 1, 1}, at::kLong).view({2, 6})));
}

TEST(Encoder, BadInputs) {
  c10::InferenceMode guard;
  const Encoder& m = model("bert");
  const at::Tensor ids = at::ones({2, 4}, at::kLong), mask = at::ones({2, 4}, at::kLong);
  auto run = [&](const at::Tensor& i, const at::Tensor& k, const at::Tensor& t = {}) {
    return encode(m.config, m.parameters, i, k, t);
  };
  EXPECT_NO_THROW(run(ids, mask));
  EXPECT_NO_THROW(run(ids.to(at::kInt), at::Tensor()));  // int32 ids, no mask: all attended
  EXPECT_THROW(run(ids.to(at::kFloat), mask), InputError);
  EXPECT_THROW(run(ids.view({8}), mask), InputError);
  EXPECT_THROW(run(ids, at::ones({2, 5})), InputError);
  EXPECT_THROW(run(ids, mask, at::ones({1, 4}, at::kLong)), InputError);
  EXPECT_THROW(run(ids * m.config.vocab_size, mask), InputError);
  EXPECT_THROW(run(-ids, mask), InputError);
  EXPECT_THROW(run(ids, mask, ids * 2), InputError);  // token type 2 of 2
  const std::int64_t longest = m.config.max_position_embeddings;
  EXPECT_NO_THROW(run(at::ones({1, longest}, at::kLong), at::ones({1, longest})));
  try {
    run(at::ones({1, longest + 1}, at::kLong), at::ones({1, longest + 1}));
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("maximum of 64 tokens"), std::string::npos) << e.what();
  }
  // RoBERTa's positions start after the pad id: 64 positions hold 62 tokens.
  const Encoder& r = model("roberta");
  const std::int64_t fits = r.config.max_length();
  EXPECT_EQ(fits, 62);
  EXPECT_NO_THROW(encode(r.config, r.parameters, at::full({1, fits}, 5, at::kLong), {}));
  EXPECT_THROW(encode(r.config, r.parameters, at::full({1, fits + 1}, 5, at::kLong), {}), InputError);
}

TEST(Encoder, DefaultsAreAllTokensAndSegmentZero) {
  c10::InferenceMode guard;
  const Encoder& m = model("bert");
  const at::Tensor ids = at::tensor({101, 7, 23, 102, 101, 9, 8, 102}, at::kLong).view({2, 4});
  const at::Tensor explicit_ =
      encode(m.config, m.parameters, ids, at::ones({2, 4}, at::kLong), at::zeros({2, 4}, at::kLong)).last_hidden_state;
  EXPECT_TRUE(at::equal(encode(m.config, m.parameters, ids, {}).last_hidden_state, explicit_));
}
