#include "taskscout/model/encoder.hpp"

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "attention_kernel.hpp"
#include "taskscout/core/array.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/model/adapter.hpp"
#include "taskscout/model/adapter_composition.hpp"
#include "taskscout/model/lora_composition.hpp"
#include "taskscout/model/parameter_names.hpp"

namespace taskscout {

namespace {

at::Tensor weight(const ParameterMap& p, const std::string& module) { return parameter(p, module + ".weight"); }
at::Tensor bias(const ParameterMap& p, const std::string& module) { return parameter(p, module + ".bias"); }

at::Tensor linear(const ParameterMap& p, const std::string& module, const at::Tensor& x) {
  return at::linear(x, weight(p, module), bias(p, module));
}

bool has_lora(const ParameterMap& p, const std::string& module, const EncodeOptions& o) {
  if (o.lora_composition) return has_composed_lora(p, *o.lora_composition, module);
  return o.lora_scaling != 0 && p.contains(module + ".lora_A.weight");
}

// A linear module with its LoRA update when the options ask for LoRA and the map holds one,
// or with the composed LoRAs' scaled sum.
at::Tensor adapted_linear(const ParameterMap& p, const std::string& module, const at::Tensor& x,
                          const EncodeOptions& o) {
  at::Tensor y = linear(p, module, x);
  if (!has_lora(p, module, o)) return y;
  if (o.lora_composition) return y + combine_loras(p, *o.lora_composition, module, x);
  const at::Tensor& a = parameter(p, module + ".lora_A.weight");
  const at::Tensor& b = parameter(p, module + ".lora_B.weight");
  return y + at::linear(at::linear(x, a), b) * o.lora_scaling;
}

at::Tensor layer_norm(const ParameterMap& p, const std::string& module, const at::Tensor& x, double eps) {
  return at::layer_norm(x, {x.size(-1)}, weight(p, module), bias(p, module), eps);
}

at::Tensor activate(Activation a, const at::Tensor& x) {
  switch (a) {
    case Activation::Gelu:
      return at::gelu(x);  // exact: x·Φ(x) through erf
    case Activation::GeluTanh:
      return at::gelu(x, "tanh");
    case Activation::Relu:
      return at::relu(x);
  }
  return x;
}

// Ids must index their embedding table: an out-of-range id would otherwise surface as an
// opaque libtorch error.
void check_ids(const at::Tensor& ids, std::int64_t table_size, const char* what) {
  if (ids.numel() == 0) return;
  const std::int64_t lo = ids.min().item<std::int64_t>(), hi = ids.max().item<std::int64_t>();
  if (lo < 0 || hi >= table_size)
    throw InputError(fmt::format("{} range over [{}, {}], outside the model's [0, {})", what, lo, hi, table_size));
}

at::Tensor embed(const EncoderConfig& c, const ParameterMap& p, const at::Tensor& ids, const at::Tensor& types) {
  const EmbeddingNames n = embedding_names(c.architecture);
  const at::Tensor positions = position_ids(c, ids);
  // Only RoBERTa can fall short of max_position_embeddings: its positions start at pad + 1.
  if (positions.numel() > 0 && positions.max().item<std::int64_t>() >= c.max_position_embeddings)
    throw InputError(
        fmt::format("a sequence is longer than the model's maximum of {} tokens "
                    "(max_position_embeddings {}): truncate it",
                    c.max_length(), c.max_position_embeddings));
  at::Tensor x = at::embedding(weight(p, n.word), ids);
  if (!n.token_type.empty()) x = x + at::embedding(weight(p, n.token_type), types);  // Hugging Face's order
  x = x + at::embedding(weight(p, n.position), positions);
  return layer_norm(p, n.norm, x, c.layer_norm_eps);
}

// Multi-head self-attention: [B, L, D] → [B, L, D]. `mask` is additive, [B, 1, 1, L].
// Fewer passes over memory than the textbook form: without LoRA on them, the query, key
// and value projections are one GEMM on the concatenated weights; one copy puts all three
// head-major; and the 1/√dh scaling and the mask ride in the score GEMM. Inference runs
// the heads in parallel (attention_kernel.hpp); training keeps the differentiable bmm.
at::Tensor attention(const EncoderConfig& c, const ParameterMap& p, const LayerNames& n, const at::Tensor& x,
                     const at::Tensor& mask, const EncodeOptions& o) {
  const std::int64_t b = x.size(0), l = x.size(1), h = c.num_heads, dh = c.head_dim();
  at::Tensor qkv;  // [B, L, 3·D]
  if (has_lora(p, n.query, o) || has_lora(p, n.key, o) || has_lora(p, n.value, o))
    qkv = at::cat({adapted_linear(p, n.query, x, o), adapted_linear(p, n.key, x, o), adapted_linear(p, n.value, x, o)},
                  -1);
  else
    qkv = at::linear(x, at::cat({weight(p, n.query), weight(p, n.key), weight(p, n.value)}),
                     at::cat({bias(p, n.query), bias(p, n.key), bias(p, n.value)}));
  const at::Tensor heads = qkv.view({b, l, 3, h, dh}).permute({2, 0, 3, 1, 4}).reshape({3, b * h, l, dh});
  const double scale = 1.0 / std::sqrt(static_cast<double>(dh));
  at::Tensor context;  // [B·H, L, dh]
  if (!at::GradMode::is_enabled() && x.scalar_type() == at::kFloat) {
    context = attention_by_head(heads[0].contiguous(), heads[1].contiguous(), heads[2].contiguous(),
                                mask.reshape({b, l}).contiguous(), h, scale);
  } else {
    const at::Tensor scores =
        at::baddbmm(mask.expand({b, h, 1, l}).reshape({b * h, 1, l}), heads[0], heads[1].transpose(1, 2), 1.0, scale);
    context = at::bmm(at::softmax(scores, -1), heads[2]);
  }
  return adapted_linear(p, n.attention_out, context.view({b, h, l, dh}).transpose(1, 2).reshape({b, l, c.hidden_size}),
                        o);
}

// LN(h + x) after a sublayer, with the bottleneck adapter at `site` when the map has one
// (the adapters library's Adapter.pre_forward, forward and post_forward, without dropout).
at::Tensor add_and_norm(const EncoderConfig& c, const ParameterMap& p, const std::string& norm, const at::Tensor& h,
                        const at::Tensor& x, const std::string& site, const BottleneckOptions& a) {
  if (!site.empty()) {
    auto down = p.find(site + ".adapter_down.0.weight");
    if (down != p.end()) {
      const at::Tensor in = a.original_ln_before ? layer_norm(p, norm, h + x, c.layer_norm_eps) : h;
      at::Tensor z = at::linear(in, down->second, parameter(p, site + ".adapter_down.0.bias"));
      z = a.swish ? at::silu(z) : at::relu(z);
      const at::Tensor out =
          at::linear(z, parameter(p, site + ".adapter_up.weight"), parameter(p, site + ".adapter_up.bias")) + h;
      return layer_norm(p, norm, out + x, c.layer_norm_eps);
    }
  }
  return layer_norm(p, norm, h + x, c.layer_norm_eps);
}

// LN(combine(z, a_1..a_K) + h + x) with the composition's K adapters at `location` when
// the map has them there (adapter_composition.hpp), else LN(h + x).
at::Tensor composed_add_and_norm(const EncoderConfig& c, const ParameterMap& p, const std::string& norm,
                                 const at::Tensor& h, const at::Tensor& x, const std::string& location,
                                 bool attention_site, const BottleneckOptions& a) {
  const AdapterComposition& composition = *a.composition;
  if (!p.count(location + ".adapters." + composition.adapters.front() + ".adapter_down.0.weight"))
    return layer_norm(p, norm, h + x, c.layer_norm_eps);
  const at::Tensor in = a.original_ln_before ? layer_norm(p, norm, h + x, c.layer_norm_eps) : h;
  const at::Tensor combined = combine_adapters(p, composition, location, attention_site, in, a.swish);
  return layer_norm(p, norm, combined + h + x, c.layer_norm_eps);
}

// A post-norm transformer layer (the same arithmetic in BERT and DistilBERT).
at::Tensor layer(const EncoderConfig& c, const ParameterMap& p, std::int64_t index, const at::Tensor& x,
                 const at::Tensor& mask, const EncodeOptions& o) {
  const LayerNames n = layer_names(c.architecture, index);
  if (o.adapter.composition) {
    const AdapterSites sites = adapter_locations(c.architecture, index);
    const at::Tensor h = composed_add_and_norm(c, p, n.attention_norm, attention(c, p, n, x, mask, o), x,
                                               sites.attention, true, o.adapter);
    const at::Tensor f = adapted_linear(p, n.ffn_out, activate(c.activation, adapted_linear(p, n.ffn_in, h, o)), o);
    return composed_add_and_norm(c, p, n.output_norm, f, h, sites.output, false, o.adapter);
  }
  std::string attention_site, output_site;
  if (!o.adapter.name.empty()) {
    const AdapterSites s = adapter_sites(c.architecture, index, o.adapter.name);
    attention_site = s.attention;
    output_site = s.output;
  }
  const at::Tensor h =
      add_and_norm(c, p, n.attention_norm, attention(c, p, n, x, mask, o), x, attention_site, o.adapter);
  const at::Tensor f = adapted_linear(p, n.ffn_out, activate(c.activation, adapted_linear(p, n.ffn_in, h, o)), o);
  return add_and_norm(c, p, n.output_norm, f, h, output_site, o.adapter);
}

}  // namespace

at::Tensor position_ids(const EncoderConfig& c, const at::Tensor& input_ids) {
  const std::int64_t b = input_ids.size(0), l = input_ids.size(1);
  if (!c.positions_after_padding()) return at::arange(l, input_ids.options().dtype(at::kLong)).expand({b, l});
  const at::Tensor not_pad = input_ids.ne(c.pad_token_id).to(at::kLong);
  return at::cumsum(not_pad, 1) * not_pad + c.pad_token_id;
}

EncoderOutput encode(const EncoderConfig& c, const ParameterMap& p, const at::Tensor& input_ids,
                     const at::Tensor& attention_mask, const at::Tensor& token_type_ids, const EncodeOptions& options) {
  if (options.layers < -1 || options.layers > c.num_layers)
    throw UsageError(fmt::format("cannot run {} layers of an encoder with {}", options.layers, c.num_layers));
  const std::int64_t layers = options.layers == -1 ? c.num_layers : options.layers;
  if (!input_ids.defined() || input_ids.dim() != 2 || at::isFloatingType(input_ids.scalar_type()))
    throw InputError("input_ids must be a [batch, length] integer tensor");
  const at::Tensor ids = input_ids.to(at::kLong);
  auto same_shape = [&](const at::Tensor& t, const char* what) {
    if (t.defined() && t.sizes() != ids.sizes())
      throw InputError(fmt::format("{} has shape {} but input_ids has {}", what, shape_string(t.sizes().vec()),
                                   shape_string(ids.sizes().vec())));
  };
  same_shape(attention_mask, "attention_mask");
  same_shape(token_type_ids, "token_type_ids");
  check_ids(ids, c.vocab_size, "input ids");

  at::Tensor types;
  if (c.type_vocab_size > 0) {
    types = token_type_ids.defined() ? token_type_ids.to(at::kLong) : at::zeros_like(ids);
    check_ids(types, c.type_vocab_size, "token type ids");
  }
  // Hugging Face's extended mask: 0 where attended, the lowest float where padded, so
  // padded keys get exactly zero probability (and a fully padded row stays finite).
  const at::Tensor keep = attention_mask.defined() ? attention_mask.to(at::kFloat) : at::ones(ids.sizes(), at::kFloat);
  const at::Tensor mask = ((1.0 - keep) * std::numeric_limits<float>::lowest()).view({ids.size(0), 1, 1, ids.size(1)});

  EncoderOutput out;
  at::Tensor x = embed(c, p, ids, types);
  if (options.all_hidden_states) out.hidden_states.push_back(x);
  for (std::int64_t i = 0; i < layers; ++i) {
    x = layer(c, p, i, x, mask, options);
    if (options.all_hidden_states) out.hidden_states.push_back(x);
  }
  out.last_hidden_state = x;
  return out;
}

}  // namespace taskscout
