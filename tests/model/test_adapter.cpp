// Bottleneck adapters: the forward against the adapters library's Adapter written out for
// one layer, zero up-projections leave the base's outputs, gradients match finite
// differences, and the library's folder layout round-trips.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "../train/tiny_model.hpp"
#include "gradient_check.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/io/safetensors.hpp"
#include "taskscout/model/adapter.hpp"
#include "taskscout/model/encoder.hpp"

using namespace taskscout;
using taskscout::testing::TempDir;

namespace {

const at::Tensor& ids() {
  static const at::Tensor t = at::tensor({2, 5, 9, 7, 3, 0, 2, 6, 6, 3, 0, 0}, at::kLong).view({2, 6});
  return t;
}
at::Tensor mask() { return ids().ne(0).to(at::kLong); }

ParameterMap with_adapter(const EncoderConfig& c, const AdapterConfig& a, bool random_up) {
  ParameterMap p = taskscout::testing::tiny_parameters(c, 3);
  for (auto [name, t] : init_adapter(c, a, 1)) {
    if (random_up) t = at::randn(t.sizes()) * 0.3;
    p[name] = t;
  }
  return p;
}

}  // namespace

TEST(Adapter, NamesAsTheAdaptersLibrary) {
  EXPECT_EQ(adapter_sites(Architecture::Bert, 3, "sst2").output, "encoder.layer.3.output.adapters.sst2");
  EXPECT_EQ(adapter_sites(Architecture::Roberta, 0, "x").attention, "encoder.layer.0.attention.output.adapters.x");
  EXPECT_EQ(adapter_sites(Architecture::DistilBert, 1, "x").attention,
            "transformer.layer.1.attention_adapters.adapters.x");
  EXPECT_EQ(parse_adapter_placement("double_seq_bn"), AdapterPlacement::Houlsby);
  EXPECT_THROW(parse_adapter_placement("parallel"), UsageError);
  const EncoderConfig c = taskscout::testing::tiny_config();
  AdapterConfig a;
  a.reduction_factor = 4;
  const ParameterMap p = init_adapter(c, a, 1);
  EXPECT_EQ(p.size(), 2u * 4);  // Pfeiffer: one site per layer
  EXPECT_EQ(p.at("encoder.layer.1.output.adapters.task.adapter_down.0.weight").sizes(), (at::IntArrayRef{4, 16}));
  a.placement = AdapterPlacement::Houlsby;
  EXPECT_EQ(init_adapter(c, a, 1).size(), 2u * 8);
}

TEST(Adapter, ZeroUpProjectionIsTheBase) {
  for (AdapterPlacement placement : {AdapterPlacement::Pfeiffer, AdapterPlacement::Houlsby}) {
    const EncoderConfig c = taskscout::testing::tiny_config();
    AdapterConfig a;
    a.placement = placement;
    a.reduction_factor = 2;
    ParameterMap p = with_adapter(c, a, true);
    for (auto& [name, t] : p)
      if (name.find("adapter_up") != std::string::npos) t = at::zeros_like(t);
    const ParameterMap base = taskscout::testing::tiny_parameters(c, 3);
    EncodeOptions o;
    o.adapter = a.encode_options();
    EXPECT_TRUE(at::allclose(encode(c, p, ids(), mask(), {}, o).last_hidden_state,
                             encode(c, base, ids(), mask()).last_hidden_state, 1e-5, 1e-6));
  }
}

TEST(Adapter, ForwardIsTheLibrarysAdapter) {
  // One layer, written out: h = attention output, x = layer input, LN the layer's norm.
  //   Pfeiffer: LN(up(relu(down(LN(h + x)))) + h + x)      Houlsby: LN(up(swish(down(h))) + h + x)
  for (AdapterPlacement placement : {AdapterPlacement::Pfeiffer, AdapterPlacement::Houlsby}) {
    EncoderConfig c = taskscout::testing::tiny_config();
    c.num_layers = 1;
    AdapterConfig a;
    a.placement = placement;
    a.reduction_factor = 4;
    const ParameterMap p = with_adapter(c, a, true);
    EncodeOptions o;
    o.adapter = a.encode_options();
    o.all_hidden_states = true;
    const EncoderOutput out = encode(c, p, ids(), mask(), {}, o);
    const at::Tensor x = out.hidden_states[0];

    auto lin = [&](const std::string& m, const at::Tensor& v) {
      return at::linear(v, p.at(m + ".weight"), p.at(m + ".bias"));
    };
    auto ln = [&](const std::string& m, const at::Tensor& v) {
      return at::layer_norm(v, {16}, p.at(m + ".weight"), p.at(m + ".bias"), c.layer_norm_eps);
    };
    auto adapter = [&](const std::string& site, const at::Tensor& z) {
      const at::Tensor d = lin(site + ".adapter_down.0", z);
      return lin(site + ".adapter_up", placement == AdapterPlacement::Pfeiffer ? at::relu(d) : d * at::sigmoid(d));
    };
    const std::string l = "encoder.layer.0.";
    const AdapterSites sites = adapter_sites(c.architecture, 0, "task");
    // Self-attention, as the plain encoder computes it (checked elsewhere against references).
    auto heads = [](const at::Tensor& t) { return t.view({2, 6, 2, 8}).transpose(1, 2); };
    const at::Tensor q = heads(lin(l + "attention.self.query", x)), k = heads(lin(l + "attention.self.key", x)),
                     v = heads(lin(l + "attention.self.value", x));
    const at::Tensor additive =
        ((1.0 - mask().to(at::kFloat)) * std::numeric_limits<float>::lowest()).view({2, 1, 1, 6});
    const at::Tensor context =
        at::matmul(at::softmax(at::matmul(q, k.transpose(-1, -2)) / std::sqrt(8.0) + additive, -1), v);
    const at::Tensor h = lin(l + "attention.output.dense", context.transpose(1, 2).reshape({2, 6, 16}));
    at::Tensor after_attention;
    if (placement == AdapterPlacement::Houlsby)
      after_attention = ln(l + "attention.output.LayerNorm", adapter(sites.attention, h) + h + x);
    else
      after_attention = ln(l + "attention.output.LayerNorm", h + x);
    const at::Tensor f = lin(l + "output.dense", at::gelu(lin(l + "intermediate.dense", after_attention)));
    const at::Tensor in = placement == AdapterPlacement::Pfeiffer ? ln(l + "output.LayerNorm", f + after_attention) : f;
    const at::Tensor expected = ln(l + "output.LayerNorm", adapter(sites.output, in) + f + after_attention);
    EXPECT_TRUE(at::allclose(out.last_hidden_state, expected, 1e-5, 1e-5)) << int(placement);
  }
}

TEST(Adapter, GradientsMatchFiniteDifferences) {
  const EncoderConfig c = taskscout::testing::tiny_config(Architecture::DistilBert);
  AdapterConfig a;
  a.placement = AdapterPlacement::Houlsby;
  a.reduction_factor = 4;
  ParameterMap p = taskscout::testing::as_double_leaves(with_adapter(c, a, true));
  EncodeOptions o;
  o.adapter = a.encode_options();
  const at::Tensor target = at::randn({2, 6, 16}, at::kDouble);
  auto loss = [&](const ParameterMap& m) {
    return (encode(c, m, ids(), mask(), {}, o).last_hidden_state * target).sum();
  };
  const AdapterSites s = adapter_sites(c.architecture, 0, "task");
  taskscout::testing::expect_gradients_match(p,
                                             {s.attention + ".adapter_down.0.weight", s.attention + ".adapter_up.bias",
                                              s.output + ".adapter_up.weight", s.output + ".adapter_down.0.bias"},
                                             loss);
}

TEST(Adapter, LibraryFolderRoundTrips) {
  TempDir dir;
  const EncoderConfig c = taskscout::testing::tiny_config();
  AdapterConfig a;
  a.placement = AdapterPlacement::Houlsby;
  a.reduction_factor = 4;
  a.name = "sst2";
  AdapterFiles f{a,
                 "/models/base",
                 init_adapter(c, a, 1),
                 {{"classifier.dense.weight", at::randn({16, 16})},
                  {"classifier.dense.bias", at::randn({16})},
                  {"classifier.out_proj.weight", at::randn({2, 16})},
                  {"classifier.out_proj.bias", at::randn({2})}},
                 {"neg", "pos"}};
  write_adapter_files(dir.path(), c, f);
  EXPECT_TRUE(is_adapter_folder(dir.path()));
  const SafetensorsFile weights(dir / "adapter.safetensors");
  EXPECT_TRUE(weights.contains("bert.encoder.layer.1.attention.output.adapters.sst2.adapter_down.0.weight"));
  const SafetensorsFile head(dir / "model_head.safetensors");
  EXPECT_TRUE(head.contains("heads.sst2.1.weight"));
  EXPECT_TRUE(head.contains("heads.sst2.4.bias"));
  const auto j = nlohmann::json::parse(taskscout::testing::read_text(dir / "adapter_config.json"));
  EXPECT_EQ(j["config"]["mh_adapter"], true);
  EXPECT_EQ(j["config"]["non_linearity"], "swish");
  EXPECT_EQ(j["model_class"], "BertAdapterModel");

  const AdapterFiles back = read_adapter_files(dir.path(), c);
  EXPECT_EQ(back.config.placement, AdapterPlacement::Houlsby);
  EXPECT_EQ(back.config.reduction_factor, 4);
  EXPECT_EQ(back.config.name, "sst2");
  EXPECT_EQ(back.labels, f.labels);
  for (const auto& [name, t] : f.encoder) EXPECT_TRUE(at::equal(back.encoder.at(name), t)) << name;
  for (const auto& [name, t] : f.head) EXPECT_TRUE(at::equal(back.head.at(name), t)) << name;

  // What it cannot compute is named.
  auto k = j;
  k["config"]["is_parallel"] = true;
  taskscout::testing::write_text(dir / "adapter_config.json", k.dump());
  EXPECT_THROW(read_adapter_files(dir.path(), c), InputError);
  k = j;
  k["config"]["reduction_factor"] = 8;
  taskscout::testing::write_text(dir / "adapter_config.json", k.dump());
  try {
    read_adapter_files(dir.path(), c);
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("adapter.safetensors"), std::string::npos) << e.what();
  }
}
