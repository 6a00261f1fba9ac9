#include <c10/core/InferenceMode.h>
#include <gtest/gtest.h>

#include "taskscout/core/error.hpp"
#include "taskscout/model/sentence_embedding.hpp"
#include "test_support.hpp"

using namespace taskscout;
using taskscout::testing::fixtures_dir;

namespace {

struct Inputs {
  at::Tensor ids = at::tensor({101, 7, 23, 56, 102, 0, 101, 9, 102, 0, 0, 0}, at::kLong).view({2, 6});
  at::Tensor mask = ids.ne(0).to(at::kLong);
};

}  // namespace

TEST(SentenceEmbeddings, PoolTheChosenLayer) {
  c10::InferenceMode guard;
  const Encoder e = load_encoder(fixtures_dir() / "model" / "bert");
  const Inputs in;
  const EncoderOutput full = encode(e.config, e.parameters, in.ids, in.mask, {}, {.all_hidden_states = true});
  for (int layer : {-1, -2, -3, 0, 1, 2})
    for (Pooling pooling : {Pooling::Cls, Pooling::Mean, Pooling::Pooler}) {
      const at::Tensor got = sentence_embeddings(e, in.ids, in.mask, {}, {pooling, layer});
      const at::Tensor want = pool(pooling, e.parameters, select_layer(full, layer), in.mask);
      EXPECT_TRUE(at::equal(got, want)) << pooling_name(pooling) << " layer " << layer;
    }
}

TEST(SentenceEmbeddings, RunsOnlyTheLayersNeeded) {
  c10::InferenceMode guard;
  const Encoder e = load_encoder(fixtures_dir() / "model" / "roberta");
  const Inputs in;
  const EncoderOutput one =
      encode(e.config, e.parameters, in.ids, in.mask, {}, {.all_hidden_states = true, .layers = 1});
  EXPECT_EQ(one.hidden_states.size(), 2u);
  EXPECT_TRUE(at::equal(one.last_hidden_state, one.hidden_states[1]));
  EXPECT_THROW(encode(e.config, e.parameters, in.ids, in.mask, {}, {.layers = 3}), UsageError);
}

TEST(SentenceEmbeddings, OptionsAreCheckedUpFront) {
  const Encoder distil = load_encoder(fixtures_dir() / "model" / "distilbert");
  EXPECT_NO_THROW(check_embedding_options(distil, {Pooling::Mean, -3}));
  EXPECT_THROW(check_embedding_options(distil, {Pooling::Mean, 3}), UsageError);
  EXPECT_THROW(check_embedding_options(distil, {Pooling::Mean, -4}), UsageError);
  try {
    check_embedding_options(distil, {Pooling::Pooler, -1});
    ADD_FAILURE() << "no error";
  } catch (const InputError& err) {
    const std::string what = err.what();
    EXPECT_NE(what.find(distil.folder.string()), std::string::npos) << what;
    EXPECT_NE(what.find("no pooler"), std::string::npos) << what;
  }
}
