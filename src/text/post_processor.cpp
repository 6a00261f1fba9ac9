#include "taskscout/text/post_processor.hpp"

namespace taskscout::text {

TemplateProcessing TemplateProcessing::bert(std::int32_t cls_id, std::int32_t sep_id) {
  return TemplateProcessing(
      {{-1, {cls_id}, 0}, {0, {}, 0}, {-1, {sep_id}, 0}},
      {{-1, {cls_id}, 0}, {0, {}, 0}, {-1, {sep_id}, 0}, {1, {}, 1}, {-1, {sep_id}, 1}});
}

std::size_t TemplateProcessing::added_tokens(bool pair) const {
  std::size_t n = 0;
  for (const auto& p : pair ? pair_ : single_) n += p.ids.size();
  return n;
}

Encoding TemplateProcessing::process(const Encoding& a, const Encoding* b, bool offsets) const {
  Encoding out;
  out.truncated = a.truncated + (b ? b->truncated : 0);
  for (const auto& p : b ? pair_ : single_) {
    if (p.sequence < 0) {
      for (std::int32_t id : p.ids) {
        out.ids.push_back(id);
        out.type_ids.push_back(p.type_id);
        out.special.push_back(1);
        if (offsets) out.offsets.push_back({0, 0});
      }
      continue;
    }
    const Encoding& e = p.sequence == 0 ? a : *b;
    out.ids.insert(out.ids.end(), e.ids.begin(), e.ids.end());
    out.type_ids.insert(out.type_ids.end(), e.size(), p.type_id);
    out.special.insert(out.special.end(), e.size(), 0);
    if (offsets) out.offsets.insert(out.offsets.end(), e.offsets.begin(), e.offsets.end());
  }
  return out;
}

}  // namespace taskscout::text
