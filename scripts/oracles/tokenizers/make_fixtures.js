#!/usr/bin/env node
// Oracle fixtures for taskscout's C++ tokenizers, made with the official Hugging Face
// `tokenizers` (npm, the Rust library prebuilt; version pinned in package.json).
//
//   cd scripts/oracles/tokenizers && npm install && node make_fixtures.js [--retrain] [SHARED_DIR]
//
// SHARED_DIR defaults to ../../../../shared (beside the checkout). Rerunnable: every
// output is rewritten. Training is not deterministic (the trainer breaks ties between
// equally frequent merges in hash order), so the vocabulary of the committed
// wordpiece/tokenizer.json is reused and a rerun reproduces the fixtures exactly; pass
// --retrain to train a new one. Writes, under tests/fixtures/text/:
//   wordpiece/tokenizer.json           a BERT WordPiece tokenizer (BertNormalizer lowercase +
//                                      strip accents, BertPreTokenizer, BertProcessing with
//                                      [CLS]/[SEP]) trained on every task's train.csv; the
//                                      trainer's default vocabulary is cut to its first 8000
//                                      entries (special tokens, alphabet, then merges in order)
//   wordpiece/tokenizer_template.json  the same with the equivalent TemplateProcessing
//   wordpiece/tokenizer_cased.json     the same vocabulary with a cased BertNormalizer (no
//                                      lowercase, no accent stripping, as bert-base-cased)
//   wordpiece/tokenizer_added.json     tokenizer.json plus added tokens (normalized or not,
//                                      single_word, lstrip/rstrip)
//   hard_strings_ids.jsonl             per line of hard_strings.jsonl ({"text", "pair"?}):
//                                      ids, type_ids, offsets, ids with truncation to 16
//                                      (longest_first), the ids of the cased and the
//                                      added-tokens tokenizers, and "truncations": ids (or
//                                      "error") with max_length 12 for each of TRUNCATIONS
//   task_hashes.json                   per task and split: the number of texts and SHA-256
//                                      of the id sequences in file order, whole and per chunk
//                                      of 1000 texts (see hashIds), with special tokens
// The tests compare the C++ tokenizer against these files and need neither npm nor data.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const crypto = require('crypto');
const tk = require('tokenizers');
const { readCsv, hashIds } = require('./common');

const ROOT = path.resolve(__dirname, '../../..');
const ARGS = process.argv.slice(2);
const RETRAIN = ARGS.includes('--retrain');
const SHARED = path.resolve(ARGS.find(a => a !== '--retrain') || path.join(ROOT, '..', 'shared'));
const OUT = path.join(ROOT, 'tests/fixtures/text');
const VOCAB_SIZE = 8000;
const SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
const CHUNK = 1000;
const TRUNCATIONS = [['OnlyFirst', 'right'], ['OnlySecond', 'right'], ['LongestFirst', 'left'],
                     ['OnlySecond', 'left']];

function bertPipeline(tokenizer, cased = false) {
  tokenizer.setNormalizer(tk.bertNormalizer({ cleanText: true, handleChineseChars: true,
                                             stripAccents: !cased, lowercase: !cased }));
  tokenizer.setPreTokenizer(tk.bertPreTokenizer());
}

function trainVocab(tasks) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'oracle-'));
  const corpus = path.join(tmp, 'train.txt');
  fs.writeFileSync(corpus, tasks.flatMap(t =>
    readCsv(path.join(SHARED, 'data/tasks', t, 'train.csv'))).join('\n') + '\n');
  const trainer = new tk.Tokenizer(tk.WordPiece.empty());
  bertPipeline(trainer);
  trainer.train([corpus]);
  fs.rmSync(tmp, { recursive: true });
  const trained = Object.entries(trainer.getVocab()).sort((a, b) => a[1] - b[1]);
  const vocab = {};
  SPECIALS.forEach((t, k) => { vocab[t] = k; });
  for (const [t] of trained) {
    if (Object.keys(vocab).length >= VOCAB_SIZE) break;
    if (!(t in vocab)) vocab[t] = Object.keys(vocab).length;
  }
  return vocab;
}

async function main() {
  const tasks = fs.readdirSync(path.join(SHARED, 'data/tasks'))
    .filter(t => fs.existsSync(path.join(SHARED, 'data/tasks', t, 'train.csv'))).sort();

  // (a) Train on the texts of every train split (one text per line for the trainer), or
  // reuse the committed vocabulary.
  const saved = path.join(OUT, 'wordpiece/tokenizer.json');
  const vocab = !RETRAIN && fs.existsSync(saved)
    ? JSON.parse(fs.readFileSync(saved, 'utf8')).model.vocab
    : trainVocab(tasks);
  const make = (processor, cased = false) => {
    const t = new tk.Tokenizer(tk.WordPiece.init(vocab, { unkToken: '[UNK]',
      continuingSubwordPrefix: '##', maxInputCharsPerWord: 100 }));
    bertPipeline(t, cased);
    t.addSpecialTokens(SPECIALS);
    t.setPostProcessor(processor);
    return t;
  };
  const cls = vocab['[CLS]'], sep = vocab['[SEP]'];
  const tokenizer = make(tk.bertProcessing(['[SEP]', sep], ['[CLS]', cls]));
  const template = make(tk.templateProcessing('[CLS] $A [SEP]', '[CLS] $A [SEP] $B:1 [SEP]:1',
                                              [['[CLS]', cls], ['[SEP]', sep]]));
  const cased = make(tk.bertProcessing(['[SEP]', sep], ['[CLS]', cls]), true);
  fs.mkdirSync(path.join(OUT, 'wordpiece'), { recursive: true });
  cased.save(path.join(OUT, 'wordpiece/tokenizer_cased.json'), true);
  tokenizer.save(path.join(OUT, 'wordpiece/tokenizer.json'), true);
  template.save(path.join(OUT, 'wordpiece/tokenizer_template.json'), true);
  const added = make(tk.bertProcessing(['[SEP]', sep], ['[CLS]', cls]));
  added.addAddedTokens([
    new tk.AddedToken('Café au LAIT', false, { normalized: true }),
    new tk.AddedToken('<x>', false, { normalized: false, leftStrip: true, rightStrip: true }),
    new tk.AddedToken('zq', false, { normalized: false, singleWord: true }),
    new tk.AddedToken('Hello', false, { normalized: true, singleWord: true }),
  ]);
  added.save(path.join(OUT, 'wordpiece/tokenizer_added.json'), true);

  // (b) The hard strings, in full.
  const lines = fs.readFileSync(path.join(OUT, 'hard_strings.jsonl'), 'utf8')
    .split('\n').filter(l => l.trim() !== '').map(l => JSON.parse(l));
  const truncating = tk.Tokenizer.fromString(fs.readFileSync(
    path.join(OUT, 'wordpiece/tokenizer.json'), 'utf8'));
  truncating.setTruncation(16, { strategy: 'LongestFirst' });
  const truncators = TRUNCATIONS.map(([strategy, direction]) => {
    const t = tk.Tokenizer.fromString(fs.readFileSync(
      path.join(OUT, 'wordpiece/tokenizer.json'), 'utf8'));
    t.setTruncation(12, { strategy, direction });
    return t;
  });
  const out = [];
  for (const h of lines) {
    const pair = h.pair === undefined ? null : h.pair;
    const e = await tokenizer.encode(h.text, pair);
    const t = await truncating.encode(h.text, pair);
    const c = await cased.encode(h.text, pair);
    const a = await added.encode(h.text, pair);
    const truncations = [];
    for (const tr of truncators) {
      try {
        truncations.push((await tr.encode(h.text, pair)).getIds());
      } catch (err) {
        truncations.push('error');
      }
    }
    out.push(JSON.stringify({ ids: e.getIds(), type_ids: e.getTypeIds(),
                              offsets: e.getOffsets(), truncated_16: t.getIds(),
                              cased: c.getIds(), added: a.getIds(), truncations }));
  }
  fs.writeFileSync(path.join(OUT, 'hard_strings_ids.jsonl'), out.join('\n') + '\n');

  // (c) Every text of every split of every task: hashes only (the ids would be too big).
  const result = { tokenizer: 'wordpiece/tokenizer.json', chunk: CHUNK, tasks: {} };
  for (const t of tasks) {
    result.tasks[t] = {};
    for (const split of ['train', 'dev', 'test']) {
      const file = path.join(SHARED, 'data/tasks', t, `${split}.csv`);
      if (!fs.existsSync(file)) continue;
      const texts = readCsv(file);
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
      result.tasks[t][split] = { texts: texts.length, tokens, sha256: whole.digest('hex'),
                                 chunks };
      console.error(`${t}/${split}: ${texts.length} texts, ${tokens} tokens`);
    }
  }
  fs.writeFileSync(path.join(OUT, 'task_hashes.json'), JSON.stringify(result, null, 1) + '\n');
}

main().catch(e => { console.error(e); process.exit(1); });
