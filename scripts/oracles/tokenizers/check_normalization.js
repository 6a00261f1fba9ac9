#!/usr/bin/env node
// Checks the official Hugging Face `tokenizers` (npm) against normalization_cases.txt (from
// make_normalization_cases.py, expected forms by Python's unicodedata), and hashes what its
// NFC, NFD, NFKC and NFKD normalizers do with every single code point, so a test can check
// taskscout's tables over the whole code space without npm.
//
//   cd scripts/oracles/tokenizers && node check_normalization.js
//
// Exits non-zero, listing them, if npm disagrees with a case. Writes
// tests/fixtures/text/hf_normalization.json: {"block": 4096, "NFC": [hash per block], …}
// where a block's hash is the SHA-256 (first 16 hex digits) of, for each code point of the
// block but surrogates, the code points of its normalized form then 0xFFFFFFFF, all uint32
// little-endian.
'use strict';
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const tk = require('tokenizers');

const FIXTURES = path.resolve(__dirname, '../../../tests/fixtures/text');
const FORMS = { NFC: tk.nfcNormalizer(), NFD: tk.nfdNormalizer(), NFKC: tk.nfkcNormalizer(),
                NFKD: tk.nfkdNormalizer() };
const BLOCK = 4096;

const fromHex = f => String.fromCodePoint(...f.split(' ').filter(x => x).map(x => parseInt(x, 16)));
let cases = 0, bad = 0;
for (const line of fs.readFileSync(path.join(FIXTURES, 'normalization_cases.txt'), 'utf8').split('\n')) {
  if (!line || line.startsWith('#')) continue;
  const [source, nfc, nfd, nfkc, nfkd] = line.split(';');
  const s = fromHex(source);
  const want = { NFC: nfc ? fromHex(nfc) : s, NFD: fromHex(nfd) };
  want.NFKC = nfkc ? fromHex(nfkc) : want.NFC;
  want.NFKD = nfkd ? fromHex(nfkd) : want.NFD;
  cases++;
  for (const [form, n] of Object.entries(FORMS)) {
    if (n.normalizeString(s) !== want[form]) {
      bad++;
      console.error(`${form} of ${source}: npm tokenizers differs from unicodedata`);
    }
  }
}
console.log(`${cases} cases, ${bad} disagreements between npm tokenizers and unicodedata`);

const out = { block: BLOCK };
for (const [form, n] of Object.entries(FORMS)) {
  out[form] = [];
  for (let start = 0; start < 0x110000; start += BLOCK) {
    const h = crypto.createHash('sha256');
    for (let cp = start; cp < start + BLOCK; cp++) {
      if (cp >= 0xD800 && cp <= 0xDFFF) continue;
      const cps = Array.from(n.normalizeString(String.fromCodePoint(cp)), c => c.codePointAt(0));
      const buf = Buffer.alloc(4 * (cps.length + 1));
      cps.forEach((c, k) => buf.writeUInt32LE(c, 4 * k));
      buf.writeUInt32LE(0xFFFFFFFF, 4 * cps.length);
      h.update(buf);
    }
    out[form].push(h.digest('hex').slice(0, 16));
  }
}
fs.writeFileSync(path.join(FIXTURES, 'hf_normalization.json'),
  '{\n' + Object.entries(out).map(([k, v]) => ` ${JSON.stringify(k)}: ${JSON.stringify(v)}`).join(',\n') + '\n}\n');
process.exit(bad ? 1 : 0);
