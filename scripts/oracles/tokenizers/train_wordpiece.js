#!/usr/bin/env node
// Oracle fixtures for taskscout's WordPiece trainer and tokenizer writer (text/
// wordpiece_trainer.hpp, text/tokenizer_writer.hpp), made with the official Hugging Face
// `tokenizers` (npm).
//
//   cd scripts/oracles/tokenizers && node train_wordpiece.js [SHARED_DIR]
//
// Writes, under tests/fixtures/pretrain/:
//   corpus.txt            (kept when present) the training corpus: the first 150 texts of
//                         every task's train.csv, then every non-empty hard string, one per
//                         line (line breaks inside a text become spaces)
//   hf_wordpiece.json     {"tokens": the vocabulary of one run of the crate's default
//                         WordPieceTrainer (vocab_size 30000, no special tokens, no alphabet
//                         limit; BertNormalizer lowercase + BertPreTokenizer) in id order,
//                         "runs": how many runs were made, "prefix_agreement": for several
//                         vocabulary sizes, the smallest overlap between two runs' first
//                         n tokens}. The crate numbers its "##c" units in hash order, so runs
//                         differ where pairs tie; the C++ test replays this run's order.
//   tokenizer_ids.json    when tests/fixtures/pretrain/tokenizer/tokenizer.json exists (the
//                         C++ writer's output, see tests/text/test_wordpiece_trainer.cpp):
//                         npm's ids for every hard string and, per task, the SHA-256 of the
//                         ids of every text of test.csv (common.js hashIds)
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const crypto = require('crypto');
const tk = require('tokenizers');
const { readCsv, hashIds } = require('./common');

const ROOT = path.resolve(__dirname, '../../..');
const SHARED = path.resolve(process.argv[2] || path.join(ROOT, '..', 'shared'));
const OUT = path.join(ROOT, 'tests/fixtures/pretrain');
const RUNS = 6;
const PREFIXES = [500, 1000, 2000, 4000, 8000];

function tasks() {
  return fs.readdirSync(path.join(SHARED, 'data/tasks'))
    .filter(t => fs.existsSync(path.join(SHARED, 'data/tasks', t, 'train.csv'))).sort();
}

function makeCorpus(file) {
  const lines = [];
  for (const t of tasks())
    lines.push(...readCsv(path.join(SHARED, 'data/tasks', t, 'train.csv')).slice(0, 150));
  const hard = fs.readFileSync(path.join(ROOT, 'tests/fixtures/text/hard_strings.jsonl'), 'utf8')
    .split('\n').filter(l => l.trim() !== '').map(l => JSON.parse(l).text);
  lines.push(...hard);
  const clean = lines.map(s => s.replace(/\r\n|\r|\n/g, ' ')).filter(s => s.trim() !== '');
  fs.writeFileSync(file, clean.join('\n') + '\n');
}

function train(corpus) {
  const t = new tk.Tokenizer(tk.WordPiece.empty());
  t.setNormalizer(tk.bertNormalizer({ cleanText: true, handleChineseChars: true, lowercase: true }));
  t.setPreTokenizer(tk.bertPreTokenizer());
  t.train([corpus]);
  return Object.entries(t.getVocab()).sort((a, b) => a[1] - b[1]).map(e => e[0]);
}

async function main() {
  fs.mkdirSync(OUT, { recursive: true });
  const corpus = path.join(OUT, 'corpus.txt');
  if (!fs.existsSync(corpus)) makeCorpus(corpus);

  const runs = [];
  for (let r = 0; r < RUNS; r++) runs.push(train(corpus));
  const agreement = {};
  for (const n of PREFIXES) {
    let worst = 1;
    for (let i = 0; i < RUNS; i++) for (let j = i + 1; j < RUNS; j++) {
      const a = new Set(runs[i].slice(0, n));
      const common = runs[j].slice(0, n).filter(x => a.has(x)).length;
      worst = Math.min(worst, common / Math.min(n, runs[i].length));
    }
    agreement[n] = worst;
  }
  const identical = runs.filter(r => JSON.stringify(r) === JSON.stringify(runs[0])).length;
  console.error(`${RUNS} runs, ${runs[0].length} tokens; ${identical} identical to the first; ` +
                `worst prefix agreement ${JSON.stringify(agreement)}`);
  fs.writeFileSync(path.join(OUT, 'hf_wordpiece.json'), JSON.stringify(
    { tokens: runs[0], runs: RUNS, identical_to_first: identical, prefix_agreement: agreement }) + '\n');

  const written = path.join(OUT, 'tokenizer/tokenizer.json');
  if (!fs.existsSync(written)) return;
  const tokenizer = tk.Tokenizer.fromFile(written);
  const hard = fs.readFileSync(path.join(ROOT, 'tests/fixtures/text/hard_strings.jsonl'), 'utf8')
    .split('\n').filter(l => l.trim() !== '').map(l => JSON.parse(l));
  const ids = [];
  for (const h of hard) {
    const e = await tokenizer.encode(h.text, h.pair === undefined ? null : h.pair);
    ids.push({ ids: e.getIds(), type_ids: e.getTypeIds() });
  }
  const hashes = {};
  for (const t of tasks()) {
    const file = path.join(SHARED, 'data/tasks', t, 'test.csv');
    if (!fs.existsSync(file)) continue;
    const texts = readCsv(file);
    const h = crypto.createHash('sha256');
    for (const e of await tokenizer.encodeBatch(texts)) hashIds(h, e.getIds());
    hashes[t] = { texts: texts.length, sha256: h.digest('hex') };
  }
  fs.writeFileSync(path.join(OUT, 'tokenizer_ids.json'),
                   JSON.stringify({ hard_strings: ids, test_splits: hashes }) + '\n');
}

main().catch(e => { console.error(e); process.exit(1); });
