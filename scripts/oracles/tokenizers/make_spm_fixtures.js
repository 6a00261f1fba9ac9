#!/usr/bin/env node
// Oracle fixtures for taskscout's sentencepiece-converted tokenizer (Precompiled normalizer)
// and its single normalizers, made with the official Hugging Face `tokenizers` (npm;
// version pinned in package.json).
//
//   /usr/bin/python3 make_spm_tokenizer.py     (only to retrain: it rewrites spm/tokenizer.json)
//   cd scripts/oracles/tokenizers && npm install && node make_spm_fixtures.js [SHARED_DIR]
//
// Reads tests/fixtures/text/spm/tokenizer.json (XLM-R layout, see make_spm_tokenizer.py) and
// the two hard-string corpora, hard_strings.jsonl and hard_strings_unicode.jsonl (the
// second: full-width and halfwidth forms, ligatures, compatibility characters, combining
// sequences, clusters the charsmap sees whole, characters it deletes). Writes, under
// tests/fixtures/text/:
//   spm/tokenizer_first.json     spm/tokenizer.json with Metaspace prepend_scheme "first"
//   spm_hard_strings_ids.jsonl   per line of hard_strings.jsonl, then of
//                                hard_strings_unicode.jsonl: ids, type_ids, offsets, and the
//                                ids of tokenizer_first.json
//   unicode_strings_ids.jsonl    per line of hard_strings_unicode.jsonl: the ids of the
//                                WordPiece, BPE and Unigram fixture tokenizers
//   spm_task_hashes.json         as task_hashes.json, for spm/tokenizer.json
//   normalizers.json             {"normalizers": {name: tokenizer.json normalizer},
//                                 "outputs": [per text of both corpora (a pair's two texts
//                                 one after the other): {name: [normalized text, origins]}]}
//                                origins: per normalized char the index of the input char
//                                it is aligned to, run-length coded: n is one origin,
//                                [n, k] the k origins n, n+1, …; {"span": [start, end]}
//                                where the alignment is not one char
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const crypto = require('crypto');
const tk = require('tokenizers');
const { readCsv, hashIds } = require('./common');

const ROOT = path.resolve(__dirname, '../../..');
const SHARED = path.resolve(process.argv[2] || path.join(ROOT, '..', 'shared'));
const OUT = path.join(ROOT, 'tests/fixtures/text');
const CHUNK = 1000;

const readJsonl = f => fs.readFileSync(path.join(OUT, f), 'utf8').split('\n')
  .filter(l => l.trim() !== '').map(l => JSON.parse(l));
const spmJson = JSON.parse(fs.readFileSync(path.join(OUT, 'spm/tokenizer.json'), 'utf8'));

const NORMALIZERS = {
  NFD: { type: 'NFD' },
  NFC: { type: 'NFC' },
  NFKD: { type: 'NFKD' },
  NFKC: { type: 'NFKC' },
  Lowercase: { type: 'Lowercase' },
  StripAccents: { type: 'StripAccents' },
  NFD_StripAccents: { type: 'Sequence', normalizers: [{ type: 'NFD' }, { type: 'StripAccents' }] },
  NFKD_StripAccents_Lowercase: { type: 'Sequence', normalizers: [
    { type: 'NFKD' }, { type: 'StripAccents' }, { type: 'Lowercase' }] },
  Precompiled: spmJson.normalizer.normalizers[0],
  XlmR: spmJson.normalizer,
  Replace_backticks: { type: 'Replace', pattern: { String: '``' }, content: '"' },
  Replace_spaces_regex: { type: 'Replace', pattern: { Regex: ' {2,}' }, content: '▁' },
  Replace_whitespace_regex: { type: 'Replace', pattern: { Regex: '\\s+' }, content: ' ' },
  Replace_delete: { type: 'Replace', pattern: { String: 'ﬁ' }, content: '' },
  Replace_grow: { type: 'Replace', pattern: { Regex: '[a-c]' }, content: '<x>' },
  Prepend: { type: 'Prepend', prepend: '▁' },
  Strip: { type: 'Strip', strip_left: true, strip_right: true },
  Strip_left: { type: 'Strip', strip_left: true, strip_right: false },
  Llama: { type: 'Sequence', normalizers: [{ type: 'Prepend', prepend: '▁' },
    { type: 'Replace', pattern: { String: ' ' }, content: '▁' }] },
  T5: { type: 'Sequence', normalizers: [spmJson.normalizer.normalizers[0],
    { type: 'Strip', strip_left: false, strip_right: true },
    { type: 'Replace', pattern: { Regex: ' {2,}' }, content: '▁' }] },
};

// A tokenizer that shows what `normalizer` did: a BPE whose vocabulary is only the 256
// byte-fallback tokens, so every normalized char comes out as its UTF-8 bytes, each with
// the offsets the char is aligned to.
function byteTokenizer(file, normalizer) {
  const vocab = {};
  for (let b = 0; b < 256; b++) vocab[`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`] = b;
  fs.writeFileSync(file, JSON.stringify({ version: '1.0', normalizer, pre_tokenizer: null,
    model: { type: 'BPE', vocab, merges: [], byte_fallback: true, unk_token: null } }));
  return tk.Tokenizer.fromFile(file);
}

// [normalized text, origins] from the byte tokens of one text.
function normalizedOf(e) {
  const bytes = Buffer.from(e.getTokens().map(t => parseInt(t.slice(3, 5), 16)));
  const offsets = e.getOffsets();
  const origins = [];
  for (let i = 0; i < bytes.length; i++)
    if ((bytes[i] & 0xC0) !== 0x80) {
      const [s, t] = offsets[i];
      origins.push(t === s + 1 ? s : { span: [s, t] });
    }
  const runs = [];
  for (const o of origins) {
    const last = runs[runs.length - 1];
    if (typeof o === 'number' && Array.isArray(last) && last[0] + last[1] === o) last[1]++;
    else if (typeof o === 'number' && typeof last === 'number' && last + 1 === o) runs[runs.length - 1] = [last, 2];
    else runs.push(o);
  }
  return [bytes.toString('utf8'), runs];
}

async function main() {
  const hard = readJsonl('hard_strings.jsonl'), unicode = readJsonl('hard_strings_unicode.jsonl');
  const tokenizer = tk.Tokenizer.fromFile(path.join(OUT, 'spm/tokenizer.json'));
  const firstJson = JSON.parse(JSON.stringify(spmJson));
  firstJson.pre_tokenizer.prepend_scheme = 'first';
  const firstFile = path.join(OUT, 'spm/tokenizer_first.json');
  fs.writeFileSync(firstFile, JSON.stringify(firstJson) + '\n');
  const first = tk.Tokenizer.fromFile(firstFile);

  const out = [];
  for (const h of hard.concat(unicode)) {
    const pair = h.pair === undefined ? null : h.pair;
    const e = await tokenizer.encode(h.text, pair);
    const f = await first.encode(h.text, pair);
    out.push(JSON.stringify({ ids: e.getIds(), type_ids: e.getTypeIds(), offsets: e.getOffsets(),
                              first: f.getIds() }));
  }
  fs.writeFileSync(path.join(OUT, 'spm_hard_strings_ids.jsonl'), out.join('\n') + '\n');

  const others = {};
  for (const name of ['wordpiece', 'bpe', 'unigram'])
    others[name] = tk.Tokenizer.fromFile(path.join(OUT, name, 'tokenizer.json'));
  const lines = [];
  for (const h of unicode) {
    const pair = h.pair === undefined ? null : h.pair;
    const row = {};
    for (const [name, t] of Object.entries(others)) row[name] = (await t.encode(h.text, pair)).getIds();
    lines.push(JSON.stringify(row));
  }
  fs.writeFileSync(path.join(OUT, 'unicode_strings_ids.jsonl'), lines.join('\n') + '\n');

  const texts = hard.concat(unicode).flatMap(h => h.pair === undefined ? [h.text] : [h.text, h.pair]);
  const outputs = texts.map(() => ({}));
  const file = path.join(os.tmpdir(), `oracle-norm-${process.pid}.json`);
  for (const [name, config] of Object.entries(NORMALIZERS)) {
    const t = byteTokenizer(file, config);
    for (let i = 0; i < texts.length; i++)
      outputs[i][name] = normalizedOf(await t.encode(texts[i], null, { addSpecialTokens: false }));
  }
  fs.rmSync(file);
  const configs = Object.assign({}, NORMALIZERS);
  configs.Precompiled = 'spm/tokenizer.json normalizer.normalizers[0]';
  configs.XlmR = 'spm/tokenizer.json normalizer';
  configs.T5 = { type: 'Sequence', normalizers: ['spm/tokenizer.json normalizer.normalizers[0]']
    .concat(NORMALIZERS.T5.normalizers.slice(1)) };
  fs.writeFileSync(path.join(OUT, 'normalizers.json'), '{\n "normalizers": ' + JSON.stringify(configs) +
    ',\n "outputs": [\n' + outputs.map(o => '  ' + JSON.stringify(o)).join(',\n') + '\n ]\n}\n');

  const result = { tokenizer: 'spm/tokenizer.json', chunk: CHUNK, tasks: {} };
  const tasks = fs.readdirSync(path.join(SHARED, 'data/tasks'))
    .filter(t => fs.existsSync(path.join(SHARED, 'data/tasks', t, 'train.csv'))).sort();
  for (const t of tasks) {
    result.tasks[t] = {};
    for (const split of ['train', 'dev', 'test']) {
      const csv = path.join(SHARED, 'data/tasks', t, `${split}.csv`);
      if (!fs.existsSync(csv)) continue;
      const texts = readCsv(csv);
      const encodings = await tokenizer.encodeBatch(texts);
      const whole = crypto.createHash('sha256');
      const chunks = [];
      let tokens = 0;
      for (let i = 0; i < encodings.length; i += CHUNK) {
        const h = crypto.createHash('sha256');
        for (const e of encodings.slice(i, i + CHUNK)) {
          const ids = e.getIds();
          tokens += ids.length;
          hashIds(h, ids);
          hashIds(whole, ids);
        }
        chunks.push(h.digest('hex'));
      }
      result.tasks[t][split] = { texts: texts.length, tokens, sha256: whole.digest('hex'), chunks };
    }
  }
  fs.writeFileSync(path.join(OUT, 'spm_task_hashes.json'), JSON.stringify(result, null, 1) + '\n');
}

main().catch(e => { console.error(e); process.exit(1); });
