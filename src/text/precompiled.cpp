#include "taskscout/text/precompiled.hpp"

#include <cstring>

#include "taskscout/core/error.hpp"
#include "taskscout/io/utf8.hpp"

namespace taskscout::text {

namespace {

// A Darts-clone unit: bits 0-7 the label (with bit 31 for a leaf), bit 8 "has a leaf
// child", bits 10-31 the offset to the children (shifted by 8 more when bit 9 is set); a
// leaf unit's low 31 bits are its value.
std::uint32_t label(std::uint32_t u) { return u & ((1u << 31) | 0xFFu); }
bool has_leaf(std::uint32_t u) { return (u >> 8) & 1u; }
std::uint32_t value(std::uint32_t u) { return u & ((1u << 31) - 1); }
std::size_t offset(std::uint32_t u) { return (u >> 10) << ((u & (1u << 9)) >> 6); }

std::uint32_t read_u32(const char* p) {
  std::uint32_t v;
  std::memcpy(&v, p, 4);  // little-endian hosts only, as the rest of taskscout's readers
  return v;
}

}  // namespace

PrecompiledCharsmap::PrecompiledCharsmap(std::string_view blob, const std::string& where) {
  if (blob.size() < 4)
    throw InputError(where + "the charsmap has " + std::to_string(blob.size()) +
                     " bytes, too few for its header; take precompiled_charsmap from the "
                     "sentencepiece model's normalizer_spec");
  const std::uint32_t trie_bytes = read_u32(blob.data());
  if (trie_bytes > blob.size() - 4 || trie_bytes % 4 != 0 || trie_bytes == 0)
    throw InputError(where + "the charsmap's trie size " + std::to_string(trie_bytes) + " does not fit its " +
                     std::to_string(blob.size()) + " bytes; the charsmap is truncated or not a sentencepiece charsmap");
  units_.resize(trie_bytes / 4);
  for (std::size_t i = 0; i < units_.size(); ++i) units_[i] = read_u32(blob.data() + 4 + 4 * i);
  normalized_.assign(blob.substr(4 + trie_bytes));
  if (auto bad = find_invalid_utf8(normalized_))
    throw InputError(where + "the charsmap's replacement strings are not valid UTF-8 (byte " + std::to_string(*bad) +
                     " of them)");
  where_ = where;
}

std::optional<std::uint32_t> PrecompiledCharsmap::first_value(std::string_view bytes) const {
  std::size_t node = offset(units_[0]);
  for (char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == 0) break;
    node ^= c;
    if (node >= units_.size()) return std::nullopt;
    const std::uint32_t unit = units_[node];
    if (label(unit) != c) return std::nullopt;
    node ^= offset(unit);
    if (has_leaf(unit)) return node < units_.size() ? std::optional(value(units_[node])) : std::nullopt;
  }
  return std::nullopt;
}

// Lookups follow the text's bytes through the double array, where a corrupt (or unusual)
// charsmap can lead anywhere: every index is checked, and a value that does not point at
// the start of a replacement string is an error (the crate would panic).
std::optional<std::string_view> PrecompiledCharsmap::transform(std::string_view bytes) const {
  const auto v = first_value(bytes);
  if (!v) return std::nullopt;
  if (*v >= normalized_.size() || (static_cast<unsigned char>(normalized_[*v]) & 0xC0) == 0x80)
    throw InputError(where_ + "a charsmap rule points outside its replacement strings (at " + std::to_string(*v) +
                     " of " + std::to_string(normalized_.size()) + " bytes); the charsmap is corrupt");
  const std::string_view rest = std::string_view(normalized_).substr(*v);
  return rest.substr(0, rest.find('\0'));
}

void PrecompiledNormalizer::normalize(NormalizedText& text) const {
  const std::u32string& chars = text.chars;
  std::vector<CharChange> changes;
  changes.reserve(chars.size());
  bool modified = false;
  std::string bytes;
  // HF's replace(): the new chars replace the old one by one; extra new chars are
  // insertions (+1), missing ones are taken from the last change so far (which, when
  // nothing is left of the cluster, is the char before it).
  auto replace = [&](std::size_t old_count, std::string_view with) {
    std::size_t added = 0;
    for (std::size_t i = 0; i < with.size();) {
      const auto lead = static_cast<unsigned char>(with[i]);
      const std::size_t len = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
      char32_t c = len == 1 ? lead : len == 2 ? lead & 0x1F : len == 3 ? lead & 0x0F : lead & 0x07;
      for (std::size_t k = 1; k < len; ++k) c = c << 6 | (static_cast<unsigned char>(with[i + k]) & 0x3F);
      changes.push_back({c, 0});
      ++added;
      i += len;
    }
    const auto diff = static_cast<std::int64_t>(added) - static_cast<std::int64_t>(old_count);
    if (diff > 0) {
      for (std::int64_t k = 0; k < diff; ++k) changes[changes.size() - 1 - k].change = 1;
    } else if (diff < 0 && !changes.empty()) {
      changes.back().change += static_cast<std::int32_t>(diff);
    }
    modified = true;
  };
  for (std::size_t i = 0; i < chars.size();) {
    const std::size_t end = grapheme_end(chars, i);
    bytes.clear();
    for (std::size_t k = i; k < end && bytes.size() < 6; ++k) append_utf8(bytes, chars[k]);
    if (bytes.size() < 6)
      if (auto r = map_.transform(bytes)) {
        replace(end - i, *r);
        i = end;
        continue;
      }
    for (; i < end; ++i) {
      bytes.clear();
      append_utf8(bytes, chars[i]);
      if (auto r = map_.transform(bytes))
        replace(1, *r);
      else
        changes.push_back({chars[i], 0});
    }
  }
  if (modified) apply_changes(text, changes);
}

}  // namespace taskscout::text
