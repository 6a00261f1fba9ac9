#pragma once
// Post-processors add the special tokens around one text or a pair and set the type ids.
// BertProcessing is the template "[CLS] $A [SEP]" / "[CLS] $A [SEP] $B:1 [SEP]:1".
#include <cstdint>
#include <string>
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

  std::size_t added_tokens(bool pair) const;
  // Joins `a` (and `b` when given) as the template says; `offsets`: they carry offsets.
  Encoding process(const Encoding& a, const Encoding* b, bool offsets) const;

 private:
  std::vector<TemplatePiece> single_, pair_;
};

}  // namespace taskscout::text
