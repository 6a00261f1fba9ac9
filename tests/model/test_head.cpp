// Classification heads: logits against the Hugging Face formulas written out by hand,
// losses against their definitions, gradients through encoder and head against finite
// differences in float64.
#include <gtest/gtest.h>

#include <cmath>

#include "../train/tiny_model.hpp"
#include "gradient_check.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/model/encoder.hpp"
#include "taskscout/model/head.hpp"

using namespace taskscout;

namespace {

using Vec = std::vector<double>;

Vec vec(const at::Tensor& t) {
  const at::Tensor d = t.detach().to(at::kDouble).contiguous().flatten();
  return Vec(d.data_ptr<double>(), d.data_ptr<double>() + d.numel());
}

// y = W·x + b with W [out, in], written out.
Vec affine(const ParameterMap& p, const std::string& module, const Vec& x) {
  const at::Tensor w = p.at(module + ".weight").to(at::kDouble);
  const Vec b = vec(p.at(module + ".bias"));
  Vec y(b);
  for (std::size_t o = 0; o < y.size(); ++o)
    for (std::size_t i = 0; i < x.size(); ++i) y[o] += w[o][i].item<double>() * x[i];
  return y;
}

Vec map(Vec v, double (*f)(double)) {
  for (double& x : v) x = f(x);
  return v;
}
double relu(double x) { return x > 0 ? x : 0; }
double tanh_(double x) { return std::tanh(x); }

at::Tensor hidden_states() { return at::randn({3, 5, 16}, at::TensorOptions().dtype(at::kFloat)); }

}  // namespace

TEST(Head, LogitsFollowHuggingFacesFormulas) {
  at::manual_seed(3);
  const at::Tensor h = hidden_states();
  for (Architecture a : {Architecture::Bert, Architecture::Roberta, Architecture::DistilBert}) {
    for (HeadStyle style : {HeadStyle::Native, HeadStyle::Flex}) {
      EncoderConfig c = taskscout::testing::tiny_config(a == Architecture::Roberta ? Architecture::Bert : a);
      c.architecture = a;
      const ParameterMap encoder = init_head(c, 3, 9, {}, HeadStyle::Native);  // BERT: a pooler to read
      ParameterMap head = init_head(c, 3, 4, encoder, style);
      for (auto& [name, t] : head) t = t + 0.1 * at::randn(t.sizes());  // non-zero biases too
      const at::Tensor logits = classification_logits(c, encoder, head, h, style);
      ASSERT_EQ(logits.sizes(), (at::IntArrayRef{3, 3}));
      for (std::int64_t r = 0; r < 3; ++r) {
        const Vec cls = vec(h[r][0]);
        Vec expected;
        if (style == HeadStyle::Flex || a == Architecture::Roberta)
          expected = affine(head, "classifier.out_proj", map(affine(head, "classifier.dense", cls), tanh_));
        else if (a == Architecture::Bert)
          expected = affine(head, "classifier", map(affine(encoder, "pooler.dense", cls), tanh_));
        else
          expected = affine(head, "classifier", map(affine(head, "pre_classifier", cls), relu));
        const Vec got = vec(logits[r]);
        for (std::size_t k = 0; k < 3; ++k) EXPECT_NEAR(got[k], expected[k], 1e-5) << int(a) << " " << int(style);
      }
    }
  }
}

TEST(Head, NamesAndShapes) {
  const EncoderConfig bert = taskscout::testing::tiny_config();
  EXPECT_EQ(sequence_classification_class(Architecture::DistilBert), "DistilBertForSequenceClassification");
  std::vector<std::string> names;
  for (const auto& s : head_specs(bert, 4)) names.push_back(s.name);
  EXPECT_EQ(names, (std::vector<std::string>{"classifier.weight", "classifier.bias"}));
  names.clear();
  for (const auto& s : head_specs(taskscout::testing::tiny_config(Architecture::DistilBert), 4))
    names.push_back(s.name);
  EXPECT_EQ(names, (std::vector<std::string>{"pre_classifier.weight", "pre_classifier.bias", "classifier.weight",
                                             "classifier.bias"}));
  // A BERT without a pooler gets a fresh one; the same seed gives the same head.
  const ParameterMap a = init_head(bert, 2, 7, {}), b = init_head(bert, 2, 7, {});
  EXPECT_TRUE(a.count("pooler.dense.weight"));
  for (const auto& [name, t] : a) EXPECT_TRUE(at::equal(t, b.at(name))) << name;
  EXPECT_TRUE(at::equal(a.at("classifier.bias"), at::zeros({2})));
  EXPECT_NEAR(a.at("classifier.weight").std().item<double>(), 0.02, 0.01);
  EXPECT_EQ(check_head(bert, a, "m"), 2);
  ParameterMap bad = a;
  bad["classifier.bias"] = at::zeros({3});
  EXPECT_THROW(check_head(bert, bad, "m"), InputError);
  bad.erase("classifier.weight");
  EXPECT_THROW(check_head(bert, bad, "m"), InputError);
}

TEST(Head, LossesAsDefined) {
  const at::Tensor logits = at::tensor({1.0, 2.0, 0.5, -1.0, 0.0, 3.0}, at::kDouble).view({2, 3});
  const at::Tensor labels = at::tensor({1, 2}, at::kLong);
  auto nll = [&](int r, int k) {
    double z = 0;
    for (int j = 0; j < 3; ++j) z += std::exp(logits[r][j].item<double>());
    return -(logits[r][k].item<double>() - std::log(z));
  };
  EXPECT_NEAR(classification_loss(logits, labels).item<double>(), (nll(0, 1) + nll(1, 2)) / 2, 1e-12);
  const at::Tensor w = at::tensor({1.0, 2.0, 0.5}, at::kDouble);
  EXPECT_NEAR(classification_loss(logits, labels, w).item<double>(), (2.0 * nll(0, 1) + 0.5 * nll(1, 2)) / 2.5, 1e-12);
  const at::Tensor values = at::tensor({0.5, -1.0}, at::kDouble);
  EXPECT_NEAR(classification_loss(logits.slice(1, 0, 1), values).item<double>(), (0.25 + 0.0) / 2,
              1e-12);  // (1 − 0.5)², (−1 − (−1))²
}

TEST(Head, GradientsThroughEncoderAndHeadMatchFiniteDifferences) {
  for (Architecture a : {Architecture::Bert, Architecture::DistilBert}) {
    const EncoderConfig c = taskscout::testing::tiny_config(a);
    ParameterMap p = taskscout::testing::as_double_leaves(taskscout::testing::tiny_parameters(c, 2));
    ParameterMap head = taskscout::testing::as_double_leaves(init_head(c, 3, 5, p));
    for (auto& [name, t] : head) {
      at::NoGradGuard g;
      t.normal_(0, 0.3);
    }
    if (head.count("pooler.dense.weight")) {
      p["pooler.dense.weight"] = head.at("pooler.dense.weight");
      p["pooler.dense.bias"] = head.at("pooler.dense.bias");
    }
    for (auto& [name, t] : head) p[name] = t;  // one map: the check perturbs them all in place
    const at::Tensor ids = at::tensor({2, 5, 9, 7, 3, 0, 2, 6, 6, 3, 0, 0}, at::kLong).view({2, 6});
    const at::Tensor mask = ids.ne(0).to(at::kLong);
    const at::Tensor labels = at::tensor({2, 0}, at::kLong);
    auto loss = [&](const ParameterMap& m) {
      const at::Tensor h = encode(c, m, ids, mask).last_hidden_state;
      return classification_loss(classification_logits(c, m, m, h), labels);
    };
    const std::string l0 = a == Architecture::DistilBert ? "transformer.layer.0." : "encoder.layer.0.";
    std::vector<std::string> names{"classifier.weight", "classifier.bias", "embeddings.word_embeddings.weight",
                                   "embeddings.LayerNorm.weight"};
    names.push_back(l0 + (a == Architecture::DistilBert ? "attention.q_lin.weight" : "attention.self.query.weight"));
    names.push_back(l0 + (a == Architecture::DistilBert ? "ffn.lin2.bias" : "output.dense.bias"));
    taskscout::testing::expect_gradients_match(p, names, loss);
  }
}
