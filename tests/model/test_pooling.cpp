#include <gtest/gtest.h>

#include "taskscout/core/error.hpp"
#include "taskscout/model/pooling.hpp"

using namespace taskscout;

namespace {

// [2, 3, 2]: row r, token t holds (10r + t, −(10r + t)).
at::Tensor states() {
  return at::tensor({0.f, -0.f, 1.f, -1.f, 2.f, -2.f, 10.f, -10.f, 11.f, -11.f, 12.f, -12.f}).view({2, 3, 2});
}

}  // namespace

TEST(Pooling, ClsIsTheFirstToken) {
  EXPECT_TRUE(at::equal(pool_cls(states()), at::tensor({0.f, -0.f, 10.f, -10.f}).view({2, 2})));
}

TEST(Pooling, MeanCountsOnlyRealTokens) {
  const at::Tensor mask = at::tensor({1, 1, 0, 1, 1, 1}, at::kLong).view({2, 3});
  EXPECT_TRUE(at::allclose(pool_mean(states(), mask), at::tensor({0.5f, -0.5f, 11.f, -11.f}).view({2, 2})));
  // A row without tokens pools to zeros, not NaN.
  const at::Tensor none = at::tensor({0, 0, 0, 1, 0, 0}, at::kLong).view({2, 3});
  EXPECT_TRUE(at::equal(pool_mean(states(), none), at::tensor({0.f, 0.f, 10.f, -10.f}).view({2, 2})));
}

TEST(Pooling, PoolerIsTanhOfDenseCls) {
  ParameterMap p;
  p["pooler.dense.weight"] = at::tensor({1.f, 0.f, 1.f, 1.f}).view({2, 2});
  p["pooler.dense.bias"] = at::tensor({0.5f, 0.f});
  const at::Tensor cls = pool_cls(states());  // rows (0, 0), (10, −10)
  const at::Tensor want = at::tanh(at::tensor({0.5f, 0.f, 10.5f, 0.f}).view({2, 2}));
  EXPECT_TRUE(at::allclose(pool_pooler(p, states()), want));
  EXPECT_TRUE(at::allclose(pool(Pooling::Pooler, p, states(), at::ones({2, 3})), want));
  EXPECT_TRUE(at::equal(pool(Pooling::Cls, p, states(), at::ones({2, 3})), cls));
  try {
    pool_pooler({}, states());
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("no pooler"), std::string::npos) << e.what();
  }
}

TEST(Pooling, LayerSelection) {
  EncoderOutput out;
  out.last_hidden_state = at::full({1, 1, 1}, 2.f);
  EXPECT_TRUE(select_layer(out, -1).equal(out.last_hidden_state));
  EXPECT_THROW(select_layer(out, 0), UsageError);  // only the last layer was kept
  for (float v : {0.f, 1.f, 2.f}) out.hidden_states.push_back(at::full({1, 1, 1}, v));
  EXPECT_EQ(select_layer(out, 0).item<float>(), 0.f);  // embeddings
  EXPECT_EQ(select_layer(out, 2).item<float>(), 2.f);
  EXPECT_EQ(select_layer(out, -1).item<float>(), 2.f);
  EXPECT_EQ(select_layer(out, -3).item<float>(), 0.f);
  EXPECT_THROW(select_layer(out, 3), UsageError);
  EXPECT_THROW(select_layer(out, -4), UsageError);
}

TEST(Pooling, Names) {
  for (Pooling p : {Pooling::Cls, Pooling::Mean, Pooling::Pooler}) EXPECT_EQ(parse_pooling(pooling_name(p)), p);
  EXPECT_THROW(parse_pooling("max"), UsageError);
}
