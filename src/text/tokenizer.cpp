#include "taskscout/text/tokenizer.hpp"

#include <algorithm>

#include "taskscout/core/error.hpp"
#include "taskscout/text/unicode.hpp"

namespace taskscout::text {

Tokenizer::Tokenizer(std::unique_ptr<Model> model, std::unique_ptr<Normalizer> normalizer,
                     std::unique_ptr<PreTokenizer> pre_tokenizer, std::optional<TemplateProcessing> post_processor,
                     AddedTokens added)
    : model_(std::move(model)),
      normalizer_(std::move(normalizer)),
      pre_tokenizer_(std::move(pre_tokenizer)),
      post_processor_(std::move(post_processor)),
      added_(std::move(added)) {
  if (normalizer_) added_.normalize_patterns(*normalizer_);
}

namespace {

// Keeps the first (Right) or last (Left) n tokens.
void truncate(Encoding& e, std::size_t n, Side side) {
  if (e.size() <= n) return;
  const std::size_t drop = e.size() - n;
  auto cut = [&](auto& v) {
    if (v.empty()) return;
    if (side == Side::Right)
      v.resize(n);
    else
      v.erase(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(drop));
  };
  cut(e.ids);
  cut(e.type_ids);
  cut(e.special);
  cut(e.offsets);
  e.truncated += drop;
}

// HF truncate_encodings: longest_first shortens the longer text first, then both evenly
// (the first text gets the odd token less); only_first/only_second cut one text.
void truncate_pair(Encoding& a, Encoding* b, const TruncationOptions& t, std::size_t max_length,
                   std::string_view what) {
  const std::size_t total = a.size() + (b ? b->size() : 0);
  if (total <= max_length) return;
  using S = TruncationOptions::Strategy;
  if (t.strategy == S::LongestFirst) {
    if (!b) return truncate(a, max_length, t.side);
    std::size_t n1 = a.size(), n2 = b->size();
    const bool swap = n1 > n2;
    if (swap) std::swap(n1, n2);
    n2 = n1 > max_length ? n1 : std::max(n1, max_length - n1);
    if (n1 + n2 > max_length) {
      n1 = max_length / 2;
      n2 = n1 + max_length % 2;
    }
    if (swap) std::swap(n1, n2);
    truncate(a, n1, t.side);
    truncate(*b, n2, t.side);
    return;
  }
  if (t.strategy == S::OnlySecond && !b)
    throw UsageError("truncation only_second needs a pair of texts; use longest_first");
  Encoding& target = t.strategy == S::OnlyFirst ? a : *b;
  const std::size_t remove = total - max_length;
  if (target.size() <= remove)
    throw InputError(std::string(what) + ": the text to truncate has " + std::to_string(target.size()) +
                     " tokens, too few to reach max_length " + std::to_string(t.max_length) +
                     "; use longest_first or a larger max_length");
  truncate(target, target.size() - remove, t.side);
}

}  // namespace

Encoding Tokenizer::encode_one(std::string_view raw, bool offsets, std::string_view what) const {
  const std::u32string text = decode_utf8(raw, what);
  Encoding out;
  std::vector<std::uint32_t> byte_at;  // byte offset of each code point, and the end
  if (offsets) {
    byte_at.reserve(text.size() + 1);
    std::uint32_t b = 0;
    for (char32_t c : text) {
      byte_at.push_back(b);
      b += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
    }
    byte_at.push_back(b);
  }
  auto emit = [&](std::int32_t id, std::uint32_t begin, std::uint32_t end) {
    out.ids.push_back(id);
    if (offsets) out.offsets.push_back({byte_at[begin], byte_at[end]});
  };

  const char32_t prefix = pre_tokenizer_ ? pre_tokenizer_->prefix() : 0;
  const char32_t replacement = pre_tokenizer_ ? pre_tokenizer_->space_replacement() : 0;
  const bool first_only = pre_tokenizer_ && pre_tokenizer_->prefix_first_only();
  std::u32string piece;
  std::vector<std::uint32_t> piece_origin;
  std::vector<Segment> segments, inner;
  std::vector<Span> words;
  std::vector<Token> tokens;
  added_.split(text, {0, static_cast<std::uint32_t>(text.size())}, false, segments);
  for (const Segment& s : segments) {
    if (s.id >= 0) {
      emit(s.id, s.span.begin, s.span.end);
      continue;
    }
    NormalizedText norm = NormalizedText::from(text.substr(s.span.begin, s.span.end - s.span.begin));
    for (auto& o : norm.origin) o += s.span.begin;
    if (normalizer_) normalizer_->normalize(norm);
    inner.clear();
    added_.split(norm.chars, {0, static_cast<std::uint32_t>(norm.chars.size())}, true, inner);
    for (const Segment& n : inner) {
      if (n.id >= 0) {
        emit(n.id, norm.origin[n.span.begin], norm.origin[n.span.end - 1] + 1);
        continue;
      }
      // The piece, with spaces replaced and the prefix char when the pre-tokenizer wants
      // them (a copy then; the prefix char maps to the piece's first char).
      const std::u32string* chars = &norm.chars;
      const std::uint32_t* origin = norm.origin.data();
      words.assign(1, n.span);
      const bool empty = n.span.end == n.span.begin;
      if (!empty && (prefix || replacement)) {
        piece.assign(norm.chars, n.span.begin, n.span.end - n.span.begin);
        if (replacement) std::replace(piece.begin(), piece.end(), U' ', replacement);
        piece_origin.assign(norm.origin.begin() + n.span.begin, norm.origin.begin() + n.span.end);
        if (prefix && piece[0] != prefix && (!first_only || piece_origin[0] == 0)) {
          piece.insert(piece.begin(), prefix);
          piece_origin.insert(piece_origin.begin(), piece_origin[0]);
        }
        chars = &piece;
        origin = piece_origin.data();
        words.assign(1, {0, static_cast<std::uint32_t>(piece.size())});
      }
      if (pre_tokenizer_) pre_tokenizer_->split(*chars, words);
      for (Span w : words) {
        tokens.clear();
        model_->tokenize(std::u32string_view(*chars).substr(w.begin, w.end - w.begin), tokens);
        for (const Token& t : tokens) emit(t.id, origin[w.begin + t.begin], origin[w.begin + t.end - 1] + 1);
      }
    }
  }
  out.type_ids.assign(out.ids.size(), 0);
  out.special.assign(out.ids.size(), 0);
  return out;
}

void Tokenizer::trim_offsets(Encoding& e, bool offsets) const {
  if (!offsets || !post_processor_ || !post_processor_->trims_offsets()) return;
  post_processor_->trim(e, [&](std::int32_t id) { return id_to_token(id).value_or(""); });
}

Encoding Tokenizer::encode(std::string_view text, const EncodeOptions& options, std::string_view what) const {
  Encoding a = encode_one(text, options.offsets, what);
  const bool special = options.add_special_tokens && post_processor_;
  if (truncation_) {
    const std::size_t added = special ? post_processor_->added_tokens(false) : 0;
    if (truncation_->max_length < added)
      throw UsageError("max_length " + std::to_string(truncation_->max_length) + " leaves no room for the " +
                       std::to_string(added) + " special tokens; use a larger max_length");
    truncate_pair(a, nullptr, *truncation_, truncation_->max_length - added, what);
  }
  trim_offsets(a, options.offsets);
  return special ? post_processor_->process(a, nullptr, options.offsets) : a;
}

Encoding Tokenizer::encode_pair(std::string_view first, std::string_view second, const EncodeOptions& options,
                                std::string_view what) const {
  Encoding a = encode_one(first, options.offsets, what);
  Encoding b = encode_one(second, options.offsets, what);
  std::fill(b.type_ids.begin(), b.type_ids.end(), 1);
  const bool special = options.add_special_tokens && post_processor_;
  if (truncation_) {
    const std::size_t added = special ? post_processor_->added_tokens(true) : 0;
    if (truncation_->max_length < added)
      throw UsageError("max_length " + std::to_string(truncation_->max_length) + " leaves no room for the " +
                       std::to_string(added) + " special tokens; use a larger max_length");
    truncate_pair(a, &b, *truncation_, truncation_->max_length - added, what);
  }
  trim_offsets(a, options.offsets);
  trim_offsets(b, options.offsets);
  if (special) return post_processor_->process(a, &b, options.offsets);
  Encoding out = std::move(a);  // no processor: plain concatenation, as HF does
  out.ids.insert(out.ids.end(), b.ids.begin(), b.ids.end());
  out.type_ids.insert(out.type_ids.end(), b.type_ids.begin(), b.type_ids.end());
  out.special.insert(out.special.end(), b.special.begin(), b.special.end());
  out.offsets.insert(out.offsets.end(), b.offsets.begin(), b.offsets.end());
  out.truncated += b.truncated;
  return out;
}

BatchEncoding Tokenizer::encode_batch(std::span<const std::string> texts) const {
  std::vector<Encoding> encodings;
  encodings.reserve(texts.size());
  for (std::size_t i = 0; i < texts.size(); ++i)
    encodings.push_back(encode(texts[i], {}, "text " + std::to_string(i + 1)));
  return pad(encodings, padding_.value_or(PaddingOptions{}));
}

std::optional<std::int32_t> Tokenizer::token_to_id(std::string_view token) const {
  for (const auto& a : added_.tokens())
    if (a.content == token) return a.id;
  return model_->token_to_id(token);
}

std::optional<std::string> Tokenizer::id_to_token(std::int32_t id) const {
  for (const auto& a : added_.tokens())
    if (a.id == id) return a.content;
  return model_->id_to_token(id);
}

std::size_t Tokenizer::vocab_size() const {
  std::size_t n = model_->vocab_size();
  for (const auto& a : added_.tokens())
    if (!model_->id_to_token(a.id)) ++n;
  return n;
}

}  // namespace taskscout::text
