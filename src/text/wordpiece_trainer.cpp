#include "taskscout/text/wordpiece_trainer.hpp"

#include <algorithm>
#include <map>
#include <queue>
#include <set>

#include "taskscout/core/error.hpp"
#include "taskscout/text/pre_tokenizer.hpp"
#include "taskscout/text/unicode.hpp"

namespace taskscout::text {
namespace {

using Unit = std::uint32_t;
using Pair = std::uint64_t;  // (first << 32) | second, so pairs order as (first, second)

Pair make_pair(Unit a, Unit b) { return (static_cast<Pair>(a) << 32) | b; }
Unit first_of(Pair p) { return static_cast<Unit>(p >> 32); }
Unit second_of(Pair p) { return static_cast<Unit>(p & 0xffffffffu); }

struct Change {
  Pair pair;
  int delta;
};

// Merges every non-overlapping (a, b), left to right, into `merged`, and reports how the
// neighbouring pairs' counts change: the crate's Word::merge, whose quirks (the merged
// pair itself is not decremented; a neighbour already merged in this pass counts as the
// new unit) decide later merges, so they are kept.
void merge_word(std::vector<Unit>& word, Unit a, Unit b, Unit merged, std::vector<Change>& changes) {
  for (std::size_t i = 0; i < word.size(); ++i) {
    if (word[i] != a || i + 1 >= word.size() || word[i + 1] != b) continue;
    if (i > 0) {
      changes.push_back({make_pair(word[i - 1], a), -1});
      changes.push_back({make_pair(word[i - 1], merged), +1});
    }
    word[i] = merged;
    word.erase(word.begin() + static_cast<std::ptrdiff_t>(i) + 1);
    if (i + 1 < word.size()) {
      changes.push_back({make_pair(b, word[i + 1]), -1});
      changes.push_back({make_pair(merged, word[i + 1]), +1});
    }
  }
}

// A candidate merge: the pair's count when queued and the words it was seen in. A pair
// can be queued several times with different word sets; the crate merges only in the
// words of the entry it pops, and so does this.
struct Candidate {
  std::int64_t count;
  Pair pair;
  std::uint64_t order;  // queue order, for a deterministic choice between equal entries
  std::size_t words;    // index into the word-set store
};
struct Lower {
  bool operator()(const Candidate& x, const Candidate& y) const {
    if (x.count != y.count) return x.count < y.count;  // most frequent first
    if (x.pair != y.pair) return x.pair > y.pair;      // then the smallest pair of ids
    return x.order > y.order;
  }
};

}  // namespace

WordPieceTrainer::WordPieceTrainer(WordPieceTrainerOptions options)
    : options_(std::move(options)), normalizer_(options_.normalizer) {
  if (options_.continuing_subword_prefix.empty())
    throw UsageError("the WordPiece trainer needs a non-empty continuing_subword_prefix (\"##\")");
}

void WordPieceTrainer::feed(std::string_view text, std::string_view what) {
  NormalizedText norm = NormalizedText::from(decode_utf8(text, what));
  normalizer_.normalize(norm);
  std::vector<Span> words(1, Span{0, static_cast<std::uint32_t>(norm.chars.size())});
  BertPreTokenizer().split(norm.chars, words);
  for (const Span& w : words)
    if (w.end > w.begin) ++words_[encode_utf8(std::u32string_view(norm.chars).substr(w.begin, w.end - w.begin))];
}

void WordPieceTrainer::add_word(const std::string& word, std::uint64_t count) {
  if (!word.empty() && count > 0) words_[word] += count;
}

std::vector<std::string> WordPieceTrainer::train() const {
  std::vector<std::string> tokens;
  std::unordered_map<std::string, Unit> ids;
  auto add_token = [&](const std::string& t) {
    auto [it, fresh] = ids.emplace(t, static_cast<Unit>(tokens.size()));
    if (fresh) tokens.push_back(t);
    return it->second;
  };
  for (const auto& s : options_.special_tokens) add_token(s);

  // Words in byte order, so nothing depends on hash order or on the order of the texts.
  std::vector<std::pair<std::u32string, std::uint64_t>> words;
  words.reserve(words_.size());
  {
    std::map<std::string, std::uint64_t> sorted(words_.begin(), words_.end());
    for (auto& [w, c] : sorted) words.emplace_back(decode_utf8(w, "word"), c);
  }

  // The alphabet: every char, weighted by word counts; limit_alphabet keeps the most
  // frequent ones (initial_alphabet counts as infinitely frequent, as in the crate).
  std::map<char32_t, std::uint64_t> alphabet;
  for (const auto& [w, c] : words)
    for (char32_t ch : w) alphabet[ch] += c;
  for (char32_t ch : options_.initial_alphabet) alphabet[ch] = UINT64_MAX;
  if (options_.limit_alphabet && alphabet.size() > *options_.limit_alphabet) {
    std::vector<std::pair<std::uint64_t, char32_t>> by_count;
    for (auto [ch, c] : alphabet) by_count.emplace_back(c, ch);
    std::sort(by_count.begin(), by_count.end(),
              [](auto x, auto y) { return x.first != y.first ? x.first < y.first : x.second > y.second; });
    const std::size_t drop = alphabet.size() - *options_.limit_alphabet;
    for (std::size_t k = 0; k < drop; ++k) alphabet.erase(by_count[k].second);
  }
  auto utf8 = [](char32_t ch) { return encode_utf8(std::u32string_view(&ch, 1)); };
  for (const auto& entry : alphabet) add_token(utf8(entry.first));

  // "##c" for every kept char seen after a word's first char, in the chosen order.
  const std::string& prefix = options_.continuing_subword_prefix;
  {
    std::set<char32_t> inner;
    for (const auto& [w, c] : words)
      for (std::size_t i = 1; i < w.size(); ++i)
        if (alphabet.count(w[i])) inner.insert(w[i]);
    for (char32_t ch : options_.subword_alphabet_order)
      if (inner.erase(ch)) add_token(prefix + utf8(ch));
    for (char32_t ch : inner) add_token(prefix + utf8(ch));
  }

  // Words as units; chars outside the alphabet are dropped (the crate does the same).
  std::vector<std::vector<Unit>> units(words.size());
  std::vector<std::int64_t> counts(words.size());
  std::unordered_map<Pair, std::int64_t> pair_counts;
  std::map<Pair, std::vector<std::uint32_t>> seen_in;  // pair → words, sorted by pair
  for (std::size_t i = 0; i < words.size(); ++i) {
    const auto& w = words[i].first;
    counts[i] = static_cast<std::int64_t>(words[i].second);
    for (std::size_t k = 0; k < w.size(); ++k) {
      if (!alphabet.count(w[k])) continue;
      const std::string s = k == 0 ? utf8(w[k]) : prefix + utf8(w[k]);
      units[i].push_back(ids.at(s));
    }
    for (std::size_t k = 1; k < units[i].size(); ++k) {
      const Pair p = make_pair(units[i][k - 1], units[i][k]);
      pair_counts[p] += counts[i];
      auto& in = seen_in[p];
      if (in.empty() || in.back() != i) in.push_back(static_cast<std::uint32_t>(i));
    }
  }

  std::vector<std::vector<std::uint32_t>> word_sets;
  std::priority_queue<Candidate, std::vector<Candidate>, Lower> queue;
  std::uint64_t order = 0;
  auto enqueue = [&](std::map<Pair, std::vector<std::uint32_t>>& pending) {
    for (auto& [pair, in] : pending) {
      const std::int64_t c = pair_counts[pair];
      if (c <= 0) continue;
      std::sort(in.begin(), in.end());
      in.erase(std::unique(in.begin(), in.end()), in.end());
      word_sets.push_back(std::move(in));
      queue.push({c, pair, order++, word_sets.size() - 1});
    }
    pending.clear();
  };
  enqueue(seen_in);

  std::vector<Change> changes;
  while (tokens.size() < options_.vocab_size && !queue.empty()) {
    Candidate top = queue.top();
    queue.pop();
    const std::int64_t now = pair_counts[top.pair];
    if (top.count != now) {  // stale: requeue with the current count
      top.count = now;
      top.order = order++;
      queue.push(top);
      continue;
    }
    if (top.count < 1 || static_cast<std::uint64_t>(top.count) < options_.min_frequency) break;

    const Unit a = first_of(top.pair), b = second_of(top.pair);
    std::string right = tokens[b];
    if (right.starts_with(prefix)) right.erase(0, prefix.size());
    const Unit merged = add_token(tokens[a] + right);

    std::vector<std::uint32_t> in = std::move(word_sets[top.words]);
    word_sets[top.words].clear();
    for (std::uint32_t i : in) {
      changes.clear();
      merge_word(units[i], a, b, merged, changes);
      for (const Change& ch : changes) {
        pair_counts[ch.pair] += ch.delta * counts[i];
        if (ch.delta > 0) seen_in[ch.pair].push_back(i);
      }
    }
    enqueue(seen_in);
  }
  return tokens;
}

}  // namespace taskscout::text
