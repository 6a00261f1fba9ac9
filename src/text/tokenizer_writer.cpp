#include "taskscout/text/tokenizer_writer.hpp"

#include <nlohmann/json.hpp>
#include <unordered_map>

#include "taskscout/core/error.hpp"
#include "taskscout/io/atomic_file.hpp"

namespace taskscout::text {
namespace {

using json = nlohmann::ordered_json;

json special_token_entry(const std::string& token, std::int64_t id) {
  return {{"id", id},        {"content", token},    {"single_word", false}, {"lstrip", false},
          {"rstrip", false}, {"normalized", false}, {"special", true}};
}

json template_piece(const char* kind, const std::string& id, int type_id) {
  return {{kind, {{"id", id}, {"type_id", type_id}}}};
}

}  // namespace

std::vector<std::pair<std::string, std::string>> bert_tokenizer_files(const std::vector<std::string>& vocab,
                                                                      const BertTokenizerSettings& s) {
  std::unordered_map<std::string, std::int64_t> ids;
  for (std::size_t i = 0; i < vocab.size(); ++i)
    if (!ids.emplace(vocab[i], static_cast<std::int64_t>(i)).second)
      throw InputError("vocabulary: the token \"" + vocab[i] + "\" appears twice (ids " +
                       std::to_string(ids[vocab[i]]) + " and " + std::to_string(i) +
                       "); a vocabulary lists each token once");
  const std::vector<std::string> specials = {s.pad_token, s.unk_token, s.cls_token, s.sep_token, s.mask_token};
  for (const auto& t : specials)
    if (!ids.count(t))
      throw InputError("vocabulary: the special token \"" + t +
                       "\" is missing; train with it among the special tokens");
  std::vector<std::pair<std::int64_t, std::string>> by_id;
  for (const auto& t : specials) by_id.emplace_back(ids.at(t), t);
  std::sort(by_id.begin(), by_id.end());
  by_id.erase(std::unique(by_id.begin(), by_id.end()), by_id.end());

  json tok;
  tok["version"] = "1.0";
  tok["truncation"] = nullptr;
  tok["padding"] = nullptr;
  tok["added_tokens"] = json::array();
  for (const auto& [id, t] : by_id) tok["added_tokens"].push_back(special_token_entry(t, id));
  const auto& n = s.normalizer;
  tok["normalizer"] = {{"type", "BertNormalizer"},
                       {"clean_text", n.clean_text},
                       {"handle_chinese_chars", n.handle_chinese_chars},
                       {"strip_accents", n.strip_accents ? json(*n.strip_accents) : json(nullptr)},
                       {"lowercase", n.lowercase}};
  tok["pre_tokenizer"] = {{"type", "BertPreTokenizer"}};
  const json cls = template_piece("SpecialToken", s.cls_token, 0);
  const json sep0 = template_piece("SpecialToken", s.sep_token, 0);
  tok["post_processor"] = {
      {"type", "TemplateProcessing"},
      {"single", {cls, template_piece("Sequence", "A", 0), sep0}},
      {"pair",
       {cls, template_piece("Sequence", "A", 0), sep0, template_piece("Sequence", "B", 1),
        template_piece("SpecialToken", s.sep_token, 1)}},
      {"special_tokens",
       {{s.cls_token, {{"id", s.cls_token}, {"ids", {ids.at(s.cls_token)}}, {"tokens", {s.cls_token}}}},
        {s.sep_token, {{"id", s.sep_token}, {"ids", {ids.at(s.sep_token)}}, {"tokens", {s.sep_token}}}}}}};
  tok["decoder"] = {{"type", "WordPiece"}, {"prefix", s.continuing_subword_prefix}, {"cleanup", true}};
  json model = {{"type", "WordPiece"},
                {"unk_token", s.unk_token},
                {"continuing_subword_prefix", s.continuing_subword_prefix},
                {"max_input_chars_per_word", 100}};
  json v = json::object();
  for (std::size_t i = 0; i < vocab.size(); ++i) v[vocab[i]] = i;
  model["vocab"] = std::move(v);
  tok["model"] = std::move(model);

  std::string vocab_txt;
  for (const auto& t : vocab) {
    if (t.find('\n') != std::string::npos)
      throw InputError("vocabulary: a token holds a line break, which vocab.txt cannot store");
    vocab_txt += t + "\n";
  }

  json map = {{"unk_token", s.unk_token},
              {"sep_token", s.sep_token},
              {"pad_token", s.pad_token},
              {"cls_token", s.cls_token},
              {"mask_token", s.mask_token}};
  json config = {{"tokenizer_class", "BertTokenizer"},
                 {"do_lower_case", n.lowercase},
                 {"tokenize_chinese_chars", n.handle_chinese_chars},
                 {"clean_up_tokenization_spaces", true},
                 {"model_max_length", s.model_max_length}};
  if (n.strip_accents) config["strip_accents"] = *n.strip_accents;
  config.update(map);
  return {{"tokenizer.json", tok.dump(2) + "\n"},
          {"vocab.txt", vocab_txt},
          {"tokenizer_config.json", config.dump(2) + "\n"},
          {"special_tokens_map.json", map.dump(2) + "\n"}};
}

void write_bert_tokenizer(const std::filesystem::path& dir, const std::vector<std::string>& vocab,
                          const BertTokenizerSettings& settings) {
  for (const auto& [name, text] : bert_tokenizer_files(vocab, settings)) write_file_atomically(dir / name, text);
}

}  // namespace taskscout::text
