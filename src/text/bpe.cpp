#include "taskscout/text/bpe.hpp"

#include <queue>

#include "taskscout/core/error.hpp"
#include "taskscout/text/unicode.hpp"

namespace taskscout::text {

namespace {

struct ByteTable {
  char32_t chars[256];
  ByteTable() {
    char32_t next = 256;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174;
      chars[b] = printable ? static_cast<char32_t>(b) : next++;
    }
  }
};
const ByteTable kBytes;

std::uint64_t key(std::int32_t a, std::int32_t b) {
  return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(a)) << 32) | static_cast<std::uint32_t>(b);
}

}  // namespace

char32_t byte_level_char(std::uint8_t byte) { return kBytes.chars[byte]; }

Bpe::Bpe(Vocab vocab, const std::vector<std::pair<std::string, std::string>>& merges, BpeOptions options,
         const std::string& where)
    : vocab_(std::move(vocab)), options_(std::move(options)) {
  if (options_.unk_token) unk_id_ = vocab_.find(*options_.unk_token);
  const std::size_t prefix = options_.continuing_subword_prefix.size();
  merges_.reserve(merges.size());
  for (std::size_t r = 0; r < merges.size(); ++r) {
    const auto& [a, b] = merges[r];
    auto missing = [&, &a = a, &b = b](const std::string& t) {  // clang 14 cannot capture a structured binding
      throw InputError(where + "merge " + std::to_string(r) + " (\"" + a + "\" \"" + b + "\"): \"" + t +
                       "\" is not in the vocabulary; the merges must only " + "use vocabulary tokens");
    };
    auto ia = vocab_.find(a), ib = vocab_.find(b);
    if (!ia) missing(a);
    if (!ib) missing(b);
    std::string joined = a + (b.size() >= prefix ? b.substr(prefix) : std::string());
    auto ij = vocab_.find(joined);
    if (!ij) missing(joined);
    merges_[key(*ia, *ib)] = {static_cast<std::uint32_t>(r), *ij};
  }
}

const Bpe::Merge* Bpe::find_merge(std::int32_t a, std::int32_t b) const {
  auto it = merges_.find(key(a, b));
  return it == merges_.end() ? nullptr : &it->second;
}

void Bpe::tokenize(std::u32string_view word, std::vector<Token>& out) const {
  if (word.empty()) return;
  // Units: the characters the model sees, each with the word's code point it comes from.
  std::string text;                   // the units in UTF-8
  std::vector<std::uint32_t> at;      // byte offset in `text` of each unit, and the end
  std::vector<std::uint32_t> source;  // per unit: index of its code point in `word`
  text.reserve(word.size() * 2);
  at.reserve(word.size() + 1);
  source.reserve(word.size());
  std::string bytes;
  for (std::uint32_t i = 0; i < word.size(); ++i) {
    if (options_.byte_level) {
      bytes.clear();
      append_utf8(bytes, word[i]);
      for (unsigned char b : bytes) {
        at.push_back(static_cast<std::uint32_t>(text.size()));
        append_utf8(text, kBytes.chars[b]);
        source.push_back(i);
      }
    } else {
      at.push_back(static_cast<std::uint32_t>(text.size()));
      append_utf8(text, word[i]);
      source.push_back(i);
    }
  }
  const std::size_t n = source.size();
  at.push_back(static_cast<std::uint32_t>(text.size()));

  if (options_.ignore_merges) {
    if (auto id = vocab_.find(text)) {
      out.push_back({*id, 0, static_cast<std::uint32_t>(word.size())});
      return;
    }
  }

  struct Symbol {
    std::int32_t id;
    std::int64_t prev, next;
    std::uint32_t begin, end;  // units
    bool alive;
  };
  std::vector<Symbol> symbols;
  symbols.reserve(n);
  auto add = [&](std::int32_t id, std::uint32_t begin, std::uint32_t len) {
    const auto k = static_cast<std::int64_t>(symbols.size());
    symbols.push_back({id, k - 1, -1, begin, begin + len, true});
    if (k > 0) symbols[k - 1].next = k;
  };
  std::optional<std::pair<std::uint32_t, std::uint32_t>> unk;  // begin, len (units)
  std::string s;
  const bool plain = options_.continuing_subword_prefix.empty() && options_.end_of_word_suffix.empty();
  for (std::uint32_t i = 0; i < n; ++i) {
    const std::string_view unit = std::string_view(text).substr(at[i], at[i + 1] - at[i]);
    if (plain) {
      s = unit;
    } else {
      s.clear();
      if (i > 0) s = options_.continuing_subword_prefix;
      s.append(unit);
      if (i + 1 == n) s += options_.end_of_word_suffix;
    }
    if (auto id = vocab_.find(s)) {
      if (unk) {
        add(*unk_id_, unk->first, unk->second);
        unk.reset();
      }
      add(*id, i, 1);
      continue;
    }
    if (options_.byte_fallback) {
      if (auto ids = vocab_.byte_tokens(s)) {
        // HF adds each byte token with length 1 (bytes of the unit's text).
        for (auto id : *ids) add(id, i, 1);
        continue;
      }
    }
    if (!options_.unk_token) continue;
    if (!unk_id_)
      throw InputError("the unknown token \"" + *options_.unk_token +
                       "\" is not in the BPE vocabulary; add it or change unk_token");
    if (unk && options_.fuse_unk) {
      unk->second += 1;
    } else {
      if (unk) add(*unk_id_, unk->first, unk->second);
      unk.emplace(i, 1);
    }
  }
  if (unk) add(*unk_id_, unk->first, unk->second);

  // Word::merge_all without dropout.
  struct Item {
    std::uint32_t rank;
    std::size_t pos;
    std::int32_t id;
    bool operator<(const Item& o) const {  // the top is the lowest rank, then lowest pos
      return rank != o.rank ? rank > o.rank : pos > o.pos;
    }
  };
  std::priority_queue<Item> queue;
  for (std::size_t k = 0; k + 1 < symbols.size(); ++k)
    if (auto m = find_merge(symbols[k].id, symbols[k + 1].id)) queue.push({m->rank, k, m->id});
  while (!queue.empty()) {
    const Item top = queue.top();
    queue.pop();
    Symbol& cur = symbols[top.pos];
    if (!cur.alive || cur.next == -1) continue;
    const auto next_pos = static_cast<std::size_t>(cur.next);
    const Symbol right = symbols[next_pos];
    const Merge* m = find_merge(cur.id, right.id);
    if (!m || m->id != top.id) continue;
    cur.id = top.id;
    cur.end = right.end;
    cur.next = right.next;
    symbols[next_pos].alive = false;
    if (right.next > -1 && static_cast<std::size_t>(right.next) < symbols.size())
      symbols[static_cast<std::size_t>(right.next)].prev = static_cast<std::int64_t>(top.pos);
    if (cur.prev >= 0) {
      const Symbol& p = symbols[static_cast<std::size_t>(cur.prev)];
      if (auto pm = find_merge(p.id, cur.id)) queue.push({pm->rank, static_cast<std::size_t>(cur.prev), pm->id});
    }
    if (cur.next >= 0 && static_cast<std::size_t>(cur.next) < symbols.size()) {
      const Symbol& nx = symbols[static_cast<std::size_t>(cur.next)];
      if (auto nm = find_merge(cur.id, nx.id)) queue.push({nm->rank, top.pos, nm->id});
    }
  }
  for (const Symbol& sym : symbols)
    if (sym.alive) out.push_back({sym.id, source[sym.begin], source[sym.end - 1] + 1});
}

}  // namespace taskscout::text
