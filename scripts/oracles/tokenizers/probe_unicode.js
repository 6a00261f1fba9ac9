#!/usr/bin/env node
// Probes the official Hugging Face `tokenizers` (npm) code point by code point and writes
// what its BERT pipeline does with each one to tests/fixtures/text/hf_unicode.json, so a
// test can check taskscout's Unicode tables (scripts/gen_unicode_tables.py) over the whole
// code space without npm. This probe is how the Unicode versions the crate mixes were found.
//
//   cd scripts/oracles/tokenizers && npm install && node probe_unicode.js
//
// Output (sets as sorted [first, last] ranges, code points as numbers):
//   removed     dropped by BertNormalizer clean_text
//   spaced      mapped to ' ' by clean_text
//   chinese     surrounded by spaces by handle_chinese_chars
//   nonspacing  dropped by strip_accents although NFD leaves them alone (Mn)
//   punctuation made a word of its own by BertPreTokenizer
//   whitespace  dropped by BertPreTokenizer
//   nfd         [code point, ...its NFD] where NFD changes it, Hangul syllables excepted
//               (the script checks those against the algorithm of Unicode §3.12)
//   lowercase   [code point, ...its lowercase] where lowercasing changes it
'use strict';
const fs = require('fs');
const path = require('path');
const tk = require('tokenizers');

const OUT = path.resolve(__dirname, '../../../tests/fixtures/text/hf_unicode.json');
const bert = o => tk.bertNormalizer(Object.assign(
  { cleanText: false, handleChineseChars: false, stripAccents: false, lowercase: false }, o));
const clean = bert({ cleanText: true }), chinese = bert({ handleChineseChars: true });
const strip = bert({ stripAccents: true }), lower = bert({ lowercase: true });
const nfd = tk.nfdNormalizer(), pre = tk.bertPreTokenizer();
const cps = s => Array.from(s, c => c.codePointAt(0));

const sets = { removed: [], spaced: [], chinese: [], nonspacing: [], punctuation: [],
               whitespace: [] };
const maps = { nfd: [], lowercase: [] };
function add(name, cp) {
  const r = sets[name], last = r[r.length - 1];
  if (last && last[1] === cp - 1) last[1] = cp; else r.push([cp, cp]);
}
function hangul(cp) {
  const s = cp - 0xAC00, out = [0x1100 + Math.floor(s / 588), 0x1161 + Math.floor((s % 588) / 28)];
  if (s % 28) out.push(0x11A7 + s % 28);
  return out;
}

for (let cp = 0; cp <= 0x10FFFF; cp++) {
  if (cp >= 0xD800 && cp <= 0xDFFF) continue;  // not representable in a JS/Rust string
  const c = String.fromCodePoint(cp);
  const cl = clean.normalizeString(c);
  if (cl === '') add('removed', cp); else if (cl !== c) add('spaced', cp);
  if (chinese.normalizeString(c) !== c) add('chinese', cp);
  const d = nfd.normalizeString(c);
  if (cp >= 0xAC00 && cp <= 0xD7A3) {
    if (JSON.stringify(cps(d)) !== JSON.stringify(hangul(cp))) throw new Error(`Hangul ${cp}`);
  } else if (d !== c) {
    maps.nfd.push([cp, ...cps(d)]);
  }
  if (d === c && strip.normalizeString(c) === '') add('nonspacing', cp);
  const l = lower.normalizeString(c);
  if (l !== c) maps.lowercase.push([cp, ...cps(l)]);
  const words = pre.preTokenizeString('a' + c + 'b').length;
  if (words === 3) add('punctuation', cp); else if (words === 2) add('whitespace', cp);
}
const lines = [];
for (const [k, v] of Object.entries(Object.assign({}, sets, maps)))
  lines.push(` ${JSON.stringify(k)}: ${JSON.stringify(v)}`);
fs.writeFileSync(OUT, '{\n' + lines.join(',\n') + '\n}\n');
