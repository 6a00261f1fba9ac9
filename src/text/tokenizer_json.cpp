// Loading a Tokenizer from tokenizer.json, or from a BERT folder's vocab.txt and
// tokenizer_config.json (what transformers' BertTokenizerFast builds from them).
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "serde_float.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/io/json_error.hpp"
#include "taskscout/io/utf8.hpp"
#include "taskscout/text/bpe.hpp"
#include "taskscout/text/pattern.hpp"
#include "taskscout/text/precompiled.hpp"
#include "taskscout/text/tokenizer.hpp"
#include "taskscout/text/unicode.hpp"
#include "taskscout/text/unigram.hpp"
#include "taskscout/text/wordpiece.hpp"

namespace taskscout::text {

namespace {

using nlohmann::json;

const char* const kNormalizers =
    "BertNormalizer, Precompiled, NFD, NFC, NFKD, NFKC, Lowercase, StripAccents, Replace, "
    "Prepend, Strip, Sequence";
const char* const kPreTokenizers =
    "BertPreTokenizer, Whitespace, WhitespaceSplit, ByteLevel, Metaspace, Split, Punctuation, "
    "Digits, CharDelimiterSplit, Sequence";
const char* const kModels = "WordPiece, BPE, Unigram";
const char* const kProcessors = "BertProcessing, RobertaProcessing, ByteLevel, TemplateProcessing";

// A JSON value with its path ("model.vocab") for messages: "file: path: what; fix".
struct Node {
  const json& value;
  std::string path;
  const std::string& file;

  [[noreturn]] void fail(const std::string& what) const { throw InputError(file + ": " + path + ": " + what); }
  bool has(const char* key) const { return value.is_object() && value.contains(key) && !value[key].is_null(); }
  Node at(const char* key) const {
    if (!value.is_object()) fail("expected an object");
    if (!value.contains(key)) fail(std::string("missing \"") + key + "\"");
    return {value[key], path.empty() ? key : path + "." + key, file};
  }
  Node at(std::size_t i) const { return {value[i], path + "[" + std::to_string(i) + "]", file}; }
  std::string str() const {
    if (!value.is_string()) fail("expected a string");
    return value.get<std::string>();
  }
  bool boolean() const {
    if (!value.is_boolean()) fail("expected true or false");
    return value.get<bool>();
  }
  std::int64_t integer() const {
    if (!value.is_number_integer()) fail("expected an integer");
    return value.get<std::int64_t>();
  }
  std::int32_t id() const {
    auto v = integer();
    if (v < 0 || v > INT32_MAX) fail("token id " + std::to_string(v) + " is out of range");
    return static_cast<std::int32_t>(v);
  }
  const json::array_t& array() const {
    if (!value.is_array()) fail("expected an array");
    return value.get_ref<const json::array_t&>();
  }
  std::string type(const char* supported) const {
    if (!has("type")) fail(std::string("missing \"type\"; supported: ") + supported);
    return at("type").str();
  }
  [[noreturn]] void unsupported(const std::string& type, const char* supported) const {
    Node{value, path + ".type", file}.fail("unsupported type \"" + type + "\"; supported: " + supported);
  }
  bool flag(const char* key, bool fallback) const { return has(key) ? at(key).boolean() : fallback; }
};

// Standard base64 (RFC 4648, padding optional), as serde's base64 decoding of
// precompiled_charsmap accepts it.
std::string decode_base64(const Node& n) {
  const std::string text = n.str();
  std::string out;
  out.reserve(text.size() / 4 * 3);
  std::uint32_t bits = 0;
  int count = 0;
  std::size_t i = 0;
  for (; i < text.size() && text[i] != '='; ++i) {
    const char c = text[i];
    int v = c >= 'A' && c <= 'Z'   ? c - 'A'
            : c >= 'a' && c <= 'z' ? c - 'a' + 26
            : c >= '0' && c <= '9' ? c - '0' + 52
            : c == '+'             ? 62
            : c == '/'             ? 63
                                   : -1;
    if (v < 0) n.fail("not base64: character " + std::to_string(i) + " is '" + std::string(1, c) + "'");
    bits = bits << 6 | static_cast<std::uint32_t>(v);
    if (++count == 4) {
      out.push_back(static_cast<char>(bits >> 16));
      out.push_back(static_cast<char>(bits >> 8 & 0xFF));
      out.push_back(static_cast<char>(bits & 0xFF));
      bits = 0;
      count = 0;
    }
  }
  if (count == 1) n.fail("not base64: it ends in the middle of a byte");
  if (count == 2) out.push_back(static_cast<char>(bits >> 4));
  if (count == 3) {
    out.push_back(static_cast<char>(bits >> 10));
    out.push_back(static_cast<char>(bits >> 2 & 0xFF));
  }
  for (; i < text.size(); ++i)
    if (text[i] != '=') n.fail("not base64: characters after the '=' padding");
  return out;
}

// {"String": "..."} or {"Regex": "..."}.
Pattern load_pattern(const Node& n) {
  if (n.has("String")) return Pattern::literal(decode_utf8(n.at("String").str()));
  if (n.has("Regex")) return Pattern::regex(n.at("Regex").str(), n.file + ": " + n.path + ".Regex: ");
  n.fail("expected {\"String\": …} or {\"Regex\": …}");
}

std::unique_ptr<Normalizer> load_normalizer(const Node& n) {
  const std::string type = n.type(kNormalizers);
  if (type == "BertNormalizer") {
    BertNormalizerOptions o;
    o.clean_text = n.flag("clean_text", true);
    o.handle_chinese_chars = n.flag("handle_chinese_chars", true);
    if (n.has("strip_accents")) o.strip_accents = n.at("strip_accents").boolean();
    o.lowercase = n.flag("lowercase", true);
    return std::make_unique<BertNormalizer>(o);
  }
  if (type == "Precompiled") {
    Node map = n.at("precompiled_charsmap");
    return std::make_unique<PrecompiledNormalizer>(
        PrecompiledCharsmap(decode_base64(map), n.file + ": " + map.path + ": "));
  }
  if (type == "Lowercase") return std::make_unique<LowercaseNormalizer>();
  if (type == "NFD") return std::make_unique<UnicodeNormalizer>(NormalForm::NFD);
  if (type == "NFC") return std::make_unique<UnicodeNormalizer>(NormalForm::NFC);
  if (type == "NFKD") return std::make_unique<UnicodeNormalizer>(NormalForm::NFKD);
  if (type == "NFKC") return std::make_unique<UnicodeNormalizer>(NormalForm::NFKC);
  if (type == "Replace")
    return std::make_unique<ReplaceNormalizer>(load_pattern(n.at("pattern")), decode_utf8(n.at("content").str()));
  if (type == "Prepend") return std::make_unique<PrependNormalizer>(decode_utf8(n.at("prepend").str()));
  if (type == "Strip")
    return std::make_unique<StripNormalizer>(n.flag("strip_left", true), n.flag("strip_right", true));
  if (type == "StripAccents") return std::make_unique<StripAccentsNormalizer>();
  if (type == "Sequence") {
    Node list = n.at("normalizers");
    std::vector<std::unique_ptr<Normalizer>> steps;
    for (std::size_t i = 0; i < list.array().size(); ++i) steps.push_back(load_normalizer(list.at(i)));
    return std::make_unique<SequenceNormalizer>(std::move(steps));
  }
  n.unsupported(type, kNormalizers);
}

SplitBehavior load_behavior(const Node& n) {
  const std::string s = n.str();
  if (s == "Removed") return SplitBehavior::Removed;
  if (s == "Isolated") return SplitBehavior::Isolated;
  if (s == "MergedWithPrevious") return SplitBehavior::MergedWithPrevious;
  if (s == "MergedWithNext") return SplitBehavior::MergedWithNext;
  if (s == "Contiguous") return SplitBehavior::Contiguous;
  n.fail("expected Removed, Isolated, MergedWithPrevious, MergedWithNext or Contiguous, got \"" + s + "\"");
}

std::unique_ptr<PreTokenizer> load_pre_tokenizer(const Node& n) {
  const std::string type = n.type(kPreTokenizers);
  if (type == "BertPreTokenizer") return std::make_unique<BertPreTokenizer>();
  if (type == "WhitespaceSplit") return std::make_unique<WhitespaceSplit>();
  if (type == "Whitespace") return std::make_unique<WhitespacePreTokenizer>();
  if (type == "Punctuation")
    return std::make_unique<PunctuationPreTokenizer>(n.has("behavior") ? load_behavior(n.at("behavior"))
                                                                       : SplitBehavior::Isolated);
  if (type == "Digits") return std::make_unique<DigitsPreTokenizer>(n.flag("individual_digits", false));
  if (type == "Split")
    return std::make_unique<SplitPreTokenizer>(std::make_shared<const Pattern>(load_pattern(n.at("pattern"))),
                                               load_behavior(n.at("behavior")), n.flag("invert", false));
  if (type == "CharDelimiterSplit") {
    const std::u32string d = decode_utf8(n.at("delimiter").str());
    if (d.size() != 1) n.at("delimiter").fail("expected one character");
    return std::make_unique<CharDelimiterSplit>(d[0]);
  }
  if (type == "Metaspace") {
    MetaspaceOptions o;
    if (n.has("replacement")) {
      const std::u32string r = decode_utf8(n.at("replacement").str());
      if (r.size() != 1) n.at("replacement").fail("expected one character");
      o.replacement = r[0];
    }
    using P = MetaspaceOptions::Prepend;
    if (n.has("prepend_scheme")) {
      const std::string s = n.at("prepend_scheme").str();
      if (s == "always")
        o.prepend = P::Always;
      else if (s == "first")
        o.prepend = P::First;
      else if (s == "never")
        o.prepend = P::Never;
      else
        n.at("prepend_scheme").fail("expected \"always\", \"first\" or \"never\", got \"" + s + "\"");
    } else if (n.has("add_prefix_space")) {  // files before tokenizers 0.19
      o.prepend = n.at("add_prefix_space").boolean() ? P::Always : P::Never;
    }
    o.split = n.flag("split", true);
    return std::make_unique<MetaspacePreTokenizer>(o);
  }
  if (type == "ByteLevel") {
    ByteLevelOptions o;
    o.add_prefix_space = n.flag("add_prefix_space", true);
    o.trim_offsets = n.flag("trim_offsets", true);
    o.use_regex = n.flag("use_regex", true);
    return std::make_unique<ByteLevelPreTokenizer>(o);
  }
  if (type == "Sequence") {
    Node list = n.at("pretokenizers");
    std::vector<std::unique_ptr<PreTokenizer>> steps;
    for (std::size_t i = 0; i < list.array().size(); ++i) steps.push_back(load_pre_tokenizer(list.at(i)));
    return std::make_unique<SequencePreTokenizer>(std::move(steps));
  }
  n.unsupported(type, kPreTokenizers);
}

Vocab load_vocab(const Node& n) {
  Node vocab = n.at("vocab");
  if (!vocab.value.is_object()) vocab.fail("expected an object of token: id");
  Vocab v;
  for (const auto& [token, id] : vocab.value.items())
    v.add(token, Node{id, vocab.path + "[\"" + token + "\"]", n.file}.id(), n.file + ": " + vocab.path + ": ");
  return v;
}

std::optional<std::string> optional_str(const Node& n, const char* key) {
  if (!n.has(key)) return std::nullopt;
  return n.at(key).str();
}

// BPE: merges as "a b" strings (older files) or [a, b] arrays (tokenizers >= 0.20).
std::unique_ptr<Model> load_bpe(const Node& n, bool byte_level) {
  if (n.has("dropout")) n.at("dropout").fail("BPE dropout is not supported (it is random); set it to null");
  BpeOptions o;
  o.byte_level = byte_level;
  o.unk_token = optional_str(n, "unk_token");
  o.continuing_subword_prefix = optional_str(n, "continuing_subword_prefix").value_or("");
  o.end_of_word_suffix = optional_str(n, "end_of_word_suffix").value_or("");
  o.fuse_unk = n.flag("fuse_unk", false);
  o.byte_fallback = n.flag("byte_fallback", false);
  o.ignore_merges = n.flag("ignore_merges", false);
  std::vector<std::pair<std::string, std::string>> merges;
  if (n.has("merges")) {
    Node list = n.at("merges");
    merges.reserve(list.array().size());
    for (std::size_t i = 0; i < list.array().size(); ++i) {
      Node m = list.at(i);
      if (m.value.is_string()) {
        const std::string s = m.str();
        const auto space = s.find(' ');
        if (space == std::string::npos || s.find(' ', space + 1) != std::string::npos)
          m.fail("expected \"a b\" (two tokens, one space), got \"" + s + "\"");
        merges.emplace_back(s.substr(0, space), s.substr(space + 1));
      } else if (m.value.is_array() && m.value.size() == 2) {
        merges.emplace_back(m.at(std::size_t{0}).str(), m.at(std::size_t{1}).str());
      } else {
        m.fail("expected \"a b\" or [\"a\", \"b\"]");
      }
    }
  }
  return std::make_unique<Bpe>(load_vocab(n), merges, o, n.file + ": " + n.path + ".merges: ");
}

// Unigram: vocab is [[piece, log-probability], ...] in id order.
std::unique_ptr<Model> load_unigram(const Node& n) {
  Node vocab = n.at("vocab");
  std::vector<std::pair<std::string, double>> pieces;
  pieces.reserve(vocab.array().size());
  for (std::size_t i = 0; i < vocab.array().size(); ++i) {
    Node p = vocab.at(i);
    if (!p.value.is_array() || p.value.size() != 2 || !p.value[1].is_number()) p.fail("expected [piece, score]");
    pieces.emplace_back(p.at(std::size_t{0}).str(), p.value[1].get<double>());
  }
  UnigramOptions o;
  if (n.has("unk_id")) o.unk_id = n.at("unk_id").id();
  o.byte_fallback = n.flag("byte_fallback", false);
  return std::make_unique<Unigram>(std::move(pieces), o, n.file + ": " + n.path + ": ");
}

std::unique_ptr<Model> load_model(const Node& n, bool byte_level) {
  if (n.has("type") && n.at("type").str() == "BPE") return load_bpe(n, byte_level);
  if (n.has("type") && n.at("type").str() == "Unigram") return load_unigram(n);
  // Files from old tokenizers versions may leave out the model's type (HF then tries each
  // model in turn): WordPiece is the one with a continuing_subword_prefix and no merges.
  const bool untyped_wordpiece = !n.has("type") && n.has("continuing_subword_prefix") && !n.has("merges");
  const std::string type = untyped_wordpiece ? "WordPiece" : n.type(kModels);
  if (type != "WordPiece") n.unsupported(type, kModels);
  Vocab v = load_vocab(n);
  WordPieceOptions o;
  if (n.has("unk_token")) o.unk_token = n.at("unk_token").str();
  if (n.has("continuing_subword_prefix")) o.continuing_subword_prefix = n.at("continuing_subword_prefix").str();
  if (n.has("max_input_chars_per_word")) {
    auto m = n.at("max_input_chars_per_word").integer();
    if (m < 0) n.at("max_input_chars_per_word").fail("must not be negative");
    o.max_input_chars_per_word = static_cast<std::size_t>(m);
  }
  return std::make_unique<WordPiece>(std::move(v), o, n.file + ": " + n.path + ": ");
}

// A template item: {"SpecialToken": {"id": "[CLS]", "type_id": 0}} or
// {"Sequence": {"id": "A", "type_id": 0}}.
TemplatePiece load_piece(const Node& n, const Node* specials) {
  TemplatePiece p;
  if (n.has("Sequence")) {
    Node s = n.at("Sequence");
    std::string id = s.at("id").str();
    if (id != "A" && id != "B") s.at("id").fail("expected \"A\" or \"B\", got \"" + id + "\"");
    p.sequence = id == "A" ? 0 : 1;
    p.type_id = s.at("type_id").id();
    return p;
  }
  if (!n.has("SpecialToken")) n.fail("expected {\"Sequence\": …} or {\"SpecialToken\": …}");
  Node s = n.at("SpecialToken");
  std::string name = s.at("id").str();
  p.type_id = s.at("type_id").id();
  if (!specials || !specials->value.contains(name))
    s.at("id").fail("special token \"" + name + "\" is not in special_tokens");
  Node ids = specials->at(name.c_str()).at("ids");
  for (std::size_t i = 0; i < ids.array().size(); ++i) p.ids.push_back(ids.at(i).id());
  return p;
}

TemplateProcessing load_processor(const Node& n) {
  const std::string type = n.type(kProcessors);
  if (type == "RobertaProcessing") {
    Node cls = n.at("cls"), sep = n.at("sep");
    if (cls.array().size() != 2) cls.fail("expected [token, id]");
    if (sep.array().size() != 2) sep.fail("expected [token, id]");
    return TemplateProcessing::roberta(cls.at(1).id(), sep.at(1).id(), n.flag("trim_offsets", true),
                                       n.flag("add_prefix_space", true));
  }
  if (type == "ByteLevel")
    return TemplateProcessing::byte_level(n.flag("trim_offsets", true), n.flag("add_prefix_space", true));
  if (type == "BertProcessing") {
    Node cls = n.at("cls"), sep = n.at("sep");
    if (cls.array().size() != 2) cls.fail("expected [token, id]");
    if (sep.array().size() != 2) sep.fail("expected [token, id]");
    return TemplateProcessing::bert(cls.at(1).id(), sep.at(1).id());
  }
  if (type != "TemplateProcessing") n.unsupported(type, kProcessors);
  std::optional<Node> specials;
  if (n.has("special_tokens")) specials.emplace(n.at("special_tokens"));
  auto pieces = [&](const char* key) {
    Node list = n.at(key);
    std::vector<TemplatePiece> out;
    for (std::size_t i = 0; i < list.array().size(); ++i)
      out.push_back(load_piece(list.at(i), specials ? &*specials : nullptr));
    return out;
  };
  return TemplateProcessing(pieces("single"), pieces("pair"));
}

Side load_side(const Node& n) {
  std::string s = n.str();
  if (s == "Right") return Side::Right;
  if (s == "Left") return Side::Left;
  n.fail("expected \"Right\" or \"Left\", got \"" + s + "\"");
}

TruncationOptions load_truncation(const Node& n) {
  TruncationOptions t;
  t.max_length = static_cast<std::size_t>(n.at("max_length").id());
  if (n.has("direction")) t.side = load_side(n.at("direction"));
  if (n.has("strategy")) {
    std::string s = n.at("strategy").str();
    using S = TruncationOptions::Strategy;
    if (s == "LongestFirst")
      t.strategy = S::LongestFirst;
    else if (s == "OnlyFirst")
      t.strategy = S::OnlyFirst;
    else if (s == "OnlySecond")
      t.strategy = S::OnlySecond;
    else
      n.at("strategy").fail("expected LongestFirst, OnlyFirst or OnlySecond, got \"" + s + "\"");
  }
  return t;
}

PaddingOptions load_padding(const Node& n) {
  PaddingOptions p;
  if (n.has("strategy")) {
    Node s = n.at("strategy");
    if (s.value.is_object() && s.has("Fixed")) {
      p.strategy = PaddingOptions::Strategy::Fixed;
      p.length = static_cast<std::size_t>(s.at("Fixed").id());
    } else if (!(s.value.is_string() && s.value == "BatchLongest")) {
      s.fail("expected \"BatchLongest\" or {\"Fixed\": length}");
    }
  }
  if (n.has("direction")) p.side = load_side(n.at("direction"));
  if (n.has("pad_to_multiple_of")) p.multiple_of = static_cast<std::size_t>(n.at("pad_to_multiple_of").id());
  if (n.has("pad_id")) p.pad_id = n.at("pad_id").id();
  if (n.has("pad_type_id")) p.pad_type_id = n.at("pad_type_id").id();
  if (n.has("pad_token")) p.pad_token = n.at("pad_token").str();
  return p;
}

std::string read_file(const std::filesystem::path& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(path.string() + ": cannot open " + what + "; check the path");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

json parse(std::string_view text, const std::string& file) {
  if (auto bad = find_invalid_utf8(text)) throw InputError(file + ": invalid UTF-8 at byte " + std::to_string(*bad));
  try {
    return parse_json_as_serde(text);   // floats exactly as the tokenizers crate reads them
  } catch (const json::exception& e) {  // parse_error, or out_of_range for a number like 1e999
    throw InputError(file + ": not valid JSON (" + json_error_text(e) + ")");
  }
}

}  // namespace

std::unique_ptr<Normalizer> normalizer_from_json(std::string_view text, const std::string& where) {
  const json doc = parse(text, where);
  return load_normalizer(Node{doc, "normalizer", where});
}

std::unique_ptr<PreTokenizer> pre_tokenizer_from_json(std::string_view text, const std::string& where) {
  const json doc = parse(text, where);
  return load_pre_tokenizer(Node{doc, "pre_tokenizer", where});
}

Tokenizer Tokenizer::from_json(std::string_view text, const std::string& file) {
  const json doc = parse(text, file);
  Node root{doc, "", file};
  if (!doc.is_object()) root.fail("expected a JSON object (a tokenizer.json)");

  AddedTokens added;
  if (root.has("added_tokens")) {
    Node a = root.at("added_tokens");
    for (std::size_t i = 0; i < a.array().size(); ++i) {
      Node t = a.at(i);
      AddedToken k;
      k.id = t.at("id").id();
      k.content = t.at("content").str();
      k.single_word = t.flag("single_word", false);
      k.lstrip = t.flag("lstrip", false);
      k.rstrip = t.flag("rstrip", false);
      k.normalized = t.flag("normalized", true);
      k.special = t.flag("special", false);
      added.add(k);
    }
  }
  auto pre_tokenizer = root.has("pre_tokenizer") ? load_pre_tokenizer(root.at("pre_tokenizer")) : nullptr;
  const bool byte_level = pre_tokenizer && pre_tokenizer->byte_level();
  Tokenizer tok(load_model(root.at("model"), byte_level),
                root.has("normalizer") ? load_normalizer(root.at("normalizer")) : nullptr, std::move(pre_tokenizer),
                root.has("post_processor")
                    ? std::optional<TemplateProcessing>(load_processor(root.at("post_processor")))
                    : std::nullopt,
                std::move(added));
  if (root.has("truncation")) tok.set_truncation(load_truncation(root.at("truncation")));
  if (root.has("padding")) tok.set_padding(load_padding(root.at("padding")));
  return tok;
}

Tokenizer Tokenizer::from_file(const std::filesystem::path& path) {
  return from_json(read_file(path, "the tokenizer"), path.string());
}

Tokenizer Tokenizer::from_vocab(const std::filesystem::path& vocab_txt, const std::filesystem::path& config_path) {
  json config = json::object();
  const std::string file = config_path.string();
  if (!config_path.empty()) config = parse(read_file(config_path, "the tokenizer config"), file);
  Node c{config, "", file};
  // Special tokens are strings or {"content": …} objects (AddedToken) in the config.
  auto token = [&](const char* key, const char* fallback) {
    if (!c.has(key)) return std::string(fallback);
    Node t = c.at(key);
    return t.value.is_object() ? t.at("content").str() : t.str();
  };
  BertNormalizerOptions o;
  o.lowercase = c.flag("do_lower_case", true);
  o.handle_chinese_chars = c.flag("tokenize_chinese_chars", true);
  if (c.has("strip_accents")) o.strip_accents = c.at("strip_accents").boolean();

  Vocab vocab = read_vocab_txt(vocab_txt);
  const std::string where = vocab_txt.string() + ": ";
  auto id_of = [&](const std::string& t) {
    auto id = vocab.find(t);
    if (!id)
      throw InputError(where + "the special token \"" + t + "\" is not in the vocabulary; add it or name another in " +
                       (file.empty() ? "tokenizer_config.json" : file));
    return *id;
  };
  AddedTokens added;
  const std::pair<const char*, const char*> specials[] = {{"pad_token", "[PAD]"},
                                                          {"unk_token", "[UNK]"},
                                                          {"cls_token", "[CLS]"},
                                                          {"sep_token", "[SEP]"},
                                                          {"mask_token", "[MASK]"}};
  for (auto [key, fallback] : specials) {
    AddedToken k;
    k.content = token(key, fallback);
    k.id = id_of(k.content);
    k.normalized = false;
    k.special = true;
    k.lstrip = std::string_view(key) == "mask_token";  // as BertTokenizerFast has it
    added.add(k);
  }
  const auto cls = id_of(token("cls_token", "[CLS]")), sep = id_of(token("sep_token", "[SEP]"));
  WordPieceOptions w;
  w.unk_token = token("unk_token", "[UNK]");
  Tokenizer tok(std::make_unique<WordPiece>(std::move(vocab), w, where), std::make_unique<BertNormalizer>(o),
                std::make_unique<BertPreTokenizer>(), TemplateProcessing::bert(cls, sep), std::move(added));
  PaddingOptions p;
  p.pad_token = token("pad_token", "[PAD]");
  p.pad_id = *tok.token_to_id(p.pad_token);
  tok.set_padding(p);
  return tok;
}

Tokenizer Tokenizer::from_folder(const std::filesystem::path& dir) {
  if (std::filesystem::exists(dir / "tokenizer.json")) return from_file(dir / "tokenizer.json");
  if (!std::filesystem::exists(dir / "vocab.txt"))
    throw IoError(dir.string() + ": no tokenizer.json or vocab.txt; a model folder needs one");
  auto config = dir / "tokenizer_config.json";
  return from_vocab(dir / "vocab.txt", std::filesystem::exists(config) ? config : "");
}

}  // namespace taskscout::text
