#pragma once
// Post-processors add the special tokens around one text or a pair and set the type ids.
// BertProcessing is the template "[CLS] $A [SEP]" / "[CLS] $A [SEP] $B:1 [SEP]:1".
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "taskscout/text/encoding.hpp"

namespace taskscout::text {

// One item of a template: a sequence ($A = 0, $B = 1) or special token ids, with the
// type id its tokens get.
struct TemplatePiece {
  int sequence = -1;              // 0 or 1 for $A / $B; -1 for special tokens
  std::vector<std::int32_t> ids;  // the special token's ids (usually one)
  std::int32_t type_id = 0;
};

class TemplateProcessing {
 public:
  TemplateProcessing(std::vector<TemplatePiece> single, std::vector<TemplatePiece> pair)
      : single_(std::move(single)), pair_(std::move(pair)) {}
  // BertProcessing: cls $A sep, and cls $A sep $B:1 sep:1.
  static TemplateProcessing bert(std::int32_t cls_id, std::int32_t sep_id);
  // RobertaProcessing: cls $A sep, and cls $A sep sep $B sep, every type id 0; with
  // trim_offsets the offsets of each token lose its leading and trailing spaces ('Ġ' or
  // whitespace in the token string), except one leading space of a text's first token when
  // add_prefix_space (HF process_offsets; ids never change).
  static TemplateProcessing roberta(std::int32_t cls_id, std::int32_t sep_id, bool trim_offsets, bool add_prefix_space);

  // The ByteLevel post-processor: no special tokens ($A, and $A $B:1), offsets trimmed as
  // RobertaProcessing trims them.
  static TemplateProcessing byte_level(bool trim_offsets, bool add_prefix_space);

  bool trims_offsets() const { return trim_offsets_; }
  // HF's process_offsets over one encoding; token(id) gives a token's string.
  template <class TokenOf>
  void trim(Encoding& e, TokenOf&& token) const;

  std::size_t added_tokens(bool pair) const;
  // Joins `a` (and `b` when given) as the template says; `offsets`: they carry offsets.
  Encoding process(const Encoding& a, const Encoding* b, bool offsets) const;

 private:
  std::vector<TemplatePiece> single_, pair_;
  bool trim_offsets_ = false, add_prefix_space_ = false;
};

// Leading and trailing run of spaces ('Ġ' U+0120 or White_Space) in a token string.
std::pair<std::size_t, std::size_t> token_spaces(std::string_view token);

template <class TokenOf>
void TemplateProcessing::trim(Encoding& e, TokenOf&& token) const {
  if (!trim_offsets_) return;
  for (std::size_t i = 0; i < e.offsets.size(); ++i) {
    auto& [begin, end] = e.offsets[i];
    auto [lead, trail] = token_spaces(token(e.ids[i]));
    if (lead > 0) {
      if ((i == 0 || begin == 0) && add_prefix_space_ && lead == 1) lead = 0;
      begin = std::min<std::uint32_t>(begin + static_cast<std::uint32_t>(lead), end);
    }
    if (trail > 0 && end >= trail) end = std::max<std::uint32_t>(end - static_cast<std::uint32_t>(trail), begin);
  }
}

}  // namespace taskscout::text
