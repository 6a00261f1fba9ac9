#include "taskscout/text/post_processor.hpp"

#include "taskscout/text/unicode.hpp"

namespace taskscout::text {

TemplateProcessing TemplateProcessing::bert(std::int32_t cls_id, std::int32_t sep_id) {
  return TemplateProcessing({{-1, {cls_id}, 0}, {0, {}, 0}, {-1, {sep_id}, 0}},
                            {{-1, {cls_id}, 0}, {0, {}, 0}, {-1, {sep_id}, 0}, {1, {}, 1}, {-1, {sep_id}, 1}});
}

TemplateProcessing TemplateProcessing::roberta(std::int32_t cls_id, std::int32_t sep_id, bool trim_offsets,
                                               bool add_prefix_space) {
  TemplateProcessing t({{-1, {cls_id}, 0}, {0, {}, 0}, {-1, {sep_id}, 0}},
                       {{-1, {cls_id}, 0}, {0, {}, 0}, {-1, {sep_id, sep_id}, 0}, {1, {}, 0}, {-1, {sep_id}, 0}});
  t.trim_offsets_ = trim_offsets;
  t.add_prefix_space_ = add_prefix_space;
  return t;
}

TemplateProcessing TemplateProcessing::byte_level(bool trim_offsets, bool add_prefix_space) {
  TemplateProcessing t({{0, {}, 0}}, {{0, {}, 0}, {1, {}, 1}});
  t.trim_offsets_ = trim_offsets;
  t.add_prefix_space_ = add_prefix_space;
  return t;
}

std::pair<std::size_t, std::size_t> token_spaces(std::string_view token) {
  std::u32string t;
  try {
    t = decode_utf8(token);
  } catch (...) {
    return {0, 0};
  }
  auto space = [](char32_t c) { return c == 0x120 || is_white_space(c); };
  std::size_t lead = 0, trail = 0;
  while (lead < t.size() && space(t[lead])) ++lead;
  while (trail < t.size() && space(t[t.size() - 1 - trail])) ++trail;
  return {lead, trail};
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
