#!/usr/bin/env node
// What the official Hugging Face `tokenizers` (npm) splitting pre-tokenizers do, for
// taskscout's tests: the char classes they use over the whole code space, and the words
// each configuration makes of the hard strings.
//
//   cd scripts/oracles/tokenizers && node probe_pre_tokenizers.js
//
// Writes tests/fixtures/text/hf_pre_tokenizers.json:
//   word         [first, last] ranges of Oniguruma's \w as Whitespace's regex sees it
//   numeric      the chars Digits splits off (Rust's char::is_numeric)
//   punctuation  the chars Punctuation splits off
//   regex        {"\\w": ranges, …}: what a Split regex of one class matches (Oniguruma's
//                classes, which differ from the regex crate's \w above)
//   pre_tokenizers  {name: tokenizer.json pre_tokenizer}
//   words        per text of hard_strings.jsonl and hard_strings_unicode.jsonl (a pair's two
//                texts one after the other): {name: [[start, end], …]} in code points,
//                the words as a WordLevel model sees them (one unknown token per word)
// The gaps found here beyond Debian's Unicode 15.0 data are WORD_16 and NUMERIC_16 in
// scripts/gen_unicode_tables.py.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const tk = require('tokenizers');

const FIXTURES = path.resolve(__dirname, '../../../tests/fixtures/text');
const PRE_TOKENIZERS = {
  Whitespace: { type: 'Whitespace' },
  WhitespaceSplit: { type: 'WhitespaceSplit' },
  Punctuation: { type: 'Punctuation', behavior: 'Isolated' },
  Punctuation_removed: { type: 'Punctuation', behavior: 'Removed' },
  Punctuation_previous: { type: 'Punctuation', behavior: 'MergedWithPrevious' },
  Punctuation_next: { type: 'Punctuation', behavior: 'MergedWithNext' },
  Punctuation_contiguous: { type: 'Punctuation', behavior: 'Contiguous' },
  Digits: { type: 'Digits', individual_digits: false },
  Digits_individual: { type: 'Digits', individual_digits: true },
  Split_space: { type: 'Split', pattern: { String: ' ' }, behavior: 'Removed', invert: false },
  Split_whitespace: { type: 'Split', pattern: { Regex: '\\s+' }, behavior: 'Isolated', invert: false },
  Split_digits_previous: { type: 'Split', pattern: { Regex: '\\d+' }, behavior: 'MergedWithPrevious',
                           invert: false },
  Split_letters_inverted: { type: 'Split', pattern: { Regex: '[a-zA-Z]+' }, behavior: 'Removed',
                            invert: true },
  Split_dots_next: { type: 'Split', pattern: { Regex: '\\.{2,}' }, behavior: 'MergedWithNext',
                     invert: false },
  Split_punct_contiguous: { type: 'Split', pattern: { Regex: '[.,!?;:]' }, behavior: 'Contiguous',
                            invert: false },
  Split_words: { type: 'Split', pattern: { Regex: '\\w+' }, behavior: 'Isolated', invert: false },
  Split_letters: { type: 'Split', pattern: { Regex: '\\p{L}+' }, behavior: 'Removed', invert: true },
  Split_not_space: { type: 'Split', pattern: { Regex: '[^\\s\\p{N}]{2}' }, behavior: 'Isolated',
                     invert: false },
  CharDelimiterSplit: { type: 'CharDelimiterSplit', delimiter: 'a' },
  Sequence: { type: 'Sequence', pretokenizers: [{ type: 'Whitespace' },
    { type: 'Digits', individual_digits: true }] },
};

function ranges(test) {
  const out = [];
  for (let cp = 0; cp <= 0x10FFFF; cp++) {
    if (cp >= 0xD800 && cp <= 0xDFFF) continue;
    if (!test(String.fromCodePoint(cp))) continue;
    const last = out[out.length - 1];
    if (last && last[1] === cp - 1) last[1] = cp; else out.push([cp, cp]);
  }
  return out;
}

async function main() {
  const ws = tk.whitespacePreTokenizer(), digits = tk.digitsPreTokenizer(true);
  const punct = tk.punctuationPreTokenizer();
  const result = {
    word: ranges(c => { const r = ws.preTokenizeString('a' + c); return r.length === 1 && r[0][0] === 'a' + c; }),
    numeric: ranges(c => digits.preTokenizeString('a' + c + 'b').length === 3),
    punctuation: ranges(c => punct.preTokenizeString('a' + c + 'b').length === 3),
  };
  result.regex = {};
  const all = [];
  for (let cp = 0; cp <= 0x10FFFF; cp++) if (cp < 0xD800 || cp > 0xDFFF) all.push(cp);
  const file0 = path.join(os.tmpdir(), `oracle-class-${process.pid}.json`);
  for (const re of ['\\w', '\\d', '\\s', '\\p{L}', '\\p{N}', '\\p{Z}']) {
    fs.writeFileSync(file0, JSON.stringify({ version: '1.0', pre_tokenizer: { type: 'Split',
      pattern: { Regex: re }, behavior: 'Removed', invert: false },
      model: { type: 'WordLevel', vocab: { '[UNK]': 0 }, unk_token: '[UNK]' } }));
    const t = tk.Tokenizer.fromFile(file0);
    const es = await t.encodeBatch(all.map(cp => String.fromCodePoint(cp)), { addSpecialTokens: false });
    const removed = new Set(all.filter((cp, i) => es[i].getIds().length === 0));
    result.regex[re] = ranges(c => removed.has(c.codePointAt(0)));
  }
  fs.rmSync(file0);
  const readJsonl = f => fs.readFileSync(path.join(FIXTURES, f), 'utf8').split('\n')
    .filter(l => l.trim() !== '').map(l => JSON.parse(l));
  const texts = readJsonl('hard_strings.jsonl').concat(readJsonl('hard_strings_unicode.jsonl'))
    .flatMap(h => h.pair === undefined ? [h.text] : [h.text, h.pair]);
  const words = texts.map(() => ({}));
  const file = path.join(os.tmpdir(), `oracle-pre-${process.pid}.json`);
  for (const [name, config] of Object.entries(PRE_TOKENIZERS)) {
    fs.writeFileSync(file, JSON.stringify({ version: '1.0', pre_tokenizer: config,
      model: { type: 'WordLevel', vocab: { '[UNK]': 0 }, unk_token: '[UNK]' } }));
    const t = tk.Tokenizer.fromFile(file);
    for (let i = 0; i < texts.length; i++)
      words[i][name] = (await t.encode(texts[i], null, { addSpecialTokens: false })).getOffsets();
  }
  fs.rmSync(file);
  const lines = Object.entries(result).map(([k, v]) => ` ${JSON.stringify(k)}: ${JSON.stringify(v)}`);
  lines.push(` "pre_tokenizers": ${JSON.stringify(PRE_TOKENIZERS)}`);
  lines.push(` "words": [\n${words.map(w => '  ' + JSON.stringify(w)).join(',\n')}\n ]`);
  fs.writeFileSync(path.join(FIXTURES, 'hf_pre_tokenizers.json'), '{\n' + lines.join(',\n') + '\n}\n');
}

main().catch(e => { console.error(e); process.exit(1); });
