#!/usr/bin/env node
// Probes which code points the official `tokenizers` ByteLevel pre-tokenizer (the GPT-2
// regex, run by Oniguruma) treats as \p{L}, \p{N} and \s, and writes them as sorted
// [first, last] ranges to tests/fixtures/text/hf_bytelevel.json; scripts/gen_unicode_tables.py
// documents which Unicode version they are, and test_hf_unicode checks our tables against it.
//
//   cd scripts/oracles/tokenizers && npm install && node probe_bytelevel.js
'use strict';
const fs = require('fs');
const path = require('path');
const tk = require('tokenizers');

const OUT = path.resolve(__dirname, '../../../tests/fixtures/text/hf_bytelevel.json');
const pre = tk.byteLevelPreTokenizer(false, true);
const sets = { letter: [], number: [], space: [] };
function add(name, cp) {
  const r = sets[name], last = r[r.length - 1];
  if (last && last[1] === cp - 1) last[1] = cp; else r.push([cp, cp]);
}
const words = s => pre.preTokenizeString(s).length;
for (let cp = 0; cp <= 0x10FFFF; cp++) {
  if (cp >= 0xD800 && cp <= 0xDFFF) continue;
  const c = String.fromCodePoint(cp);
  if (words('a' + c) === 1) add('letter', cp);
  else if (words('1' + c) === 1) add('number', cp);
  else if (words('!' + c) === 2) add('space', cp);
}
const lines = Object.entries(sets).map(([k, v]) => ` ${JSON.stringify(k)}: ${JSON.stringify(v)}`);
fs.writeFileSync(OUT, '{\n' + lines.join(',\n') + '\n}\n');
