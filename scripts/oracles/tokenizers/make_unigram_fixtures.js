#!/usr/bin/env node
// Oracle fixtures for taskscout's Unigram (laid out as XLM-R's: <s> <pad> </s> <unk> first,
// Metaspace, "<s> $A </s>" / "<s> $A </s> </s> $B </s>"), made with the official Hugging Face
// `tokenizers` (npm; version pinned in package.json).
//
//   cd scripts/oracles/tokenizers && npm install && node make_unigram_fixtures.js [--retrain] [SHARED_DIR]
//
// XLM-R's own normalizer is "Precompiled" (a sentencepiece charsmap: NFKC plus extras), which
// taskscout does not implement; this tokenizer is trained with normalizers taskscout matches
// exactly: Sequence [NFD, Lowercase]. Training is not deterministic enough to rerun, so the
// vocabulary of the committed unigram/tokenizer.json is reused unless --retrain is given.
// Writes, under tests/fixtures/text/:
//   unigram/tokenizer.json          the tokenizer: the trainer's pieces and scores (trained on
//                                   every task's train.csv) after <s> <pad> </s> <unk>
//                                   (score 0), <mask> added; unk_id 3; Metaspace ▁ with
//                                   prepend_scheme "always" and split
//   unigram/tokenizer_first.json    the same with prepend_scheme "first"
//   unigram_hard_strings_ids.jsonl  per line of hard_strings.jsonl: ids, type_ids, offsets,
//                                   and the ids of tokenizer_first.json
//   unigram_task_hashes.json        as task_hashes.json, for unigram/tokenizer.json
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
const CHUNK = 1000;
const SPECIALS = ['<s>', '<pad>', '</s>', '<unk>'];

function pipeline(t, scheme) {
  t.setNormalizer(tk.sequenceNormalizer([tk.nfdNormalizer(), tk.lowercase()]));
  t.setPreTokenizer(tk.metaspacePreTokenizer('▁', scheme, true));
}

function train(tasks) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'oracle-'));
  const corpus = path.join(tmp, 'train.txt');
  fs.writeFileSync(corpus, tasks.flatMap(t =>
    readCsv(path.join(SHARED, 'data/tasks', t, 'train.csv'))).join('\n') + '\n');
  const trainer = new tk.Tokenizer(tk.Unigram.empty());
  pipeline(trainer, 'always');
  trainer.train([corpus]);
  const file = path.join(tmp, 'trained.json');
  trainer.save(file);
  const model = JSON.parse(fs.readFileSync(file, 'utf8')).model;
  fs.rmSync(tmp, { recursive: true });
  return SPECIALS.map(s => [s, 0.0]).concat(model.vocab.filter(([p]) => !SPECIALS.includes(p)));
}

function make(vocab, scheme) {
  const t = new tk.Tokenizer(tk.Unigram.init(vocab, { unkId: 3 }));
  pipeline(t, scheme);
  t.addSpecialTokens(SPECIALS.concat(['<mask>']));
  t.setPostProcessor(tk.templateProcessing('<s> $A </s>', '<s> $A </s> </s> $B </s>',
                                           [['<s>', 0], ['</s>', 2]]));
  return t;
}

async function main() {
  const tasks = fs.readdirSync(path.join(SHARED, 'data/tasks'))
    .filter(t => fs.existsSync(path.join(SHARED, 'data/tasks', t, 'train.csv'))).sort();
  const saved = path.join(OUT, 'unigram/tokenizer.json');
  const vocab = !RETRAIN && fs.existsSync(saved)
    ? JSON.parse(fs.readFileSync(saved, 'utf8')).model.vocab : train(tasks);
  fs.mkdirSync(path.join(OUT, 'unigram'), { recursive: true });
  make(vocab, 'always').save(saved, true);
  make(vocab, 'first').save(path.join(OUT, 'unigram/tokenizer_first.json'), true);
  // Ids as a user gets them from the files: the crate parses their scores with serde_json's
  // default (not always correctly rounded) floats, and exact ties between segmentations
  // are decided by that last bit; a tokenizer built in memory keeps JavaScript's doubles.
  const tokenizer = tk.Tokenizer.fromFile(saved);
  const first = tk.Tokenizer.fromFile(path.join(OUT, 'unigram/tokenizer_first.json'));

  const lines = fs.readFileSync(path.join(OUT, 'hard_strings.jsonl'), 'utf8')
    .split('\n').filter(l => l.trim() !== '').map(l => JSON.parse(l));
  const out = [];
  for (const h of lines) {
    const pair = h.pair === undefined ? null : h.pair;
    const e = await tokenizer.encode(h.text, pair);
    const f = await first.encode(h.text, pair);
    out.push(JSON.stringify({ ids: e.getIds(), type_ids: e.getTypeIds(), offsets: e.getOffsets(),
                              first: f.getIds() }));
  }
  fs.writeFileSync(path.join(OUT, 'unigram_hard_strings_ids.jsonl'), out.join('\n') + '\n');

  const result = { tokenizer: 'unigram/tokenizer.json', chunk: CHUNK, tasks: {} };
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
      result.tasks[t][split] = { texts: texts.length, tokens, sha256: whole.digest('hex'), chunks };
    }
  }
  fs.writeFileSync(path.join(OUT, 'unigram_task_hashes.json'), JSON.stringify(result, null, 1) + '\n');
}

main().catch(e => { console.error(e); process.exit(1); });
