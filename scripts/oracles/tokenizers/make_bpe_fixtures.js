#!/usr/bin/env node
// Oracle fixtures for taskscout's byte-level BPE (as RoBERTa uses it), made with the
// official Hugging Face `tokenizers` (npm; version pinned in package.json).
//
//   cd scripts/oracles/tokenizers && npm install && node make_bpe_fixtures.js [--retrain] [SHARED_DIR]
//
// Training is not deterministic, so the vocabulary and merges of the committed
// bpe/tokenizer.json are reused unless --retrain is given. Writes, under tests/fixtures/text/:
//   bpe/tokenizer.json          RoBERTa-like: ByteLevel pre-tokenizer (add_prefix_space false,
//                               trim_offsets, GPT-2 regex), BPE whose vocabulary is <s> <pad>
//                               </s> <unk>, the 256 byte characters, then the merges of a BPE
//                               trained on every task's train.csv (8000 entries in all, the
//                               merges kept whose parts and result are in it), <mask> added;
//                               RobertaProcessing (trim_offsets, add_prefix_space)
//   bpe/tokenizer_prefix.json   the same with add_prefix_space true (pre-tokenizer, processor)
//   bpe/tokenizer_gpt2.json     GPT-2 style: the same BPE, ByteLevel pre-tokenizer with
//                               add_prefix_space, ByteLevel post-processor (trim_offsets), no
//                               special tokens
//   bpe/tokenizer_merges_str.json  tokenizer.json with the merges as "a b" strings
//   bpe/tokenizer_suffix.json   a BPE with unk_token, continuing_subword_prefix "##" and
//                               end_of_word_suffix "</w>" over the same merges (no byte
//                               alphabet: unknown characters become <unk>, fused or not)
//   bpe_hard_strings_ids.jsonl  per line of hard_strings.jsonl: ids, type_ids, offsets
//                               of tokenizer.json, ids (and offsets) of the prefix, gpt2 and
//                               suffix variants
//   bpe_task_hashes.json        as task_hashes.json, for bpe/tokenizer.json
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
const CHUNK = 1000;

function train(tasks) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'oracle-'));
  const corpus = path.join(tmp, 'train.txt');
  fs.writeFileSync(corpus, tasks.flatMap(t =>
    readCsv(path.join(SHARED, 'data/tasks', t, 'train.csv'))).join('\n') + '\n');
  const trainer = new tk.Tokenizer(tk.BPE.empty());
  trainer.setPreTokenizer(tk.byteLevelPreTokenizer(false, true));
  trainer.train([corpus]);
  const file = path.join(tmp, 'trained.json');
  trainer.save(file);
  const model = JSON.parse(fs.readFileSync(file, 'utf8')).model;
  fs.rmSync(tmp, { recursive: true });
  const vocab = {};
  for (const t of ['<s>', '<pad>', '</s>', '<unk>']) vocab[t] = Object.keys(vocab).length;
  for (const t of tk.byteLevelAlphabet().sort()) vocab[t] = Object.keys(vocab).length;
  const merges = [];
  for (const m of model.merges) {
    const [a, b] = Array.isArray(m) ? m : m.split(' ');
    if (Object.keys(vocab).length >= VOCAB_SIZE - 1) break;
    if (!(a in vocab) || !(b in vocab)) continue;
    if (!((a + b) in vocab)) vocab[a + b] = Object.keys(vocab).length;
    merges.push([a, b]);
  }
  return { vocab, merges };
}

function make({ vocab, merges }, prefix) {
  const t = new tk.Tokenizer(tk.BPE.init(vocab, merges));
  t.setPreTokenizer(tk.byteLevelPreTokenizer(prefix, true));
  t.addSpecialTokens(['<s>', '<pad>', '</s>', '<unk>', '<mask>']);
  t.setPostProcessor(tk.robertaProcessing(['</s>', vocab['</s>']], ['<s>', vocab['<s>']],
                                          true, prefix));
  return t;
}

async function main() {
  const tasks = fs.readdirSync(path.join(SHARED, 'data/tasks'))
    .filter(t => fs.existsSync(path.join(SHARED, 'data/tasks', t, 'train.csv'))).sort();
  const saved = path.join(OUT, 'bpe/tokenizer.json');
  let model;
  if (!RETRAIN && fs.existsSync(saved)) {
    const m = JSON.parse(fs.readFileSync(saved, 'utf8')).model;
    model = { vocab: m.vocab, merges: m.merges.map(x => Array.isArray(x) ? x : x.split(' ')) };
  } else {
    model = train(tasks);
  }
  fs.mkdirSync(path.join(OUT, 'bpe'), { recursive: true });
  const tokenizer = make(model, false), prefixed = make(model, true);
  tokenizer.save(saved, true);
  prefixed.save(path.join(OUT, 'bpe/tokenizer_prefix.json'), true);
  const gpt2 = new tk.Tokenizer(tk.BPE.init(model.vocab, model.merges));
  gpt2.setPreTokenizer(tk.byteLevelPreTokenizer(true, true));
  gpt2.setPostProcessor(tk.byteLevelProcessing(true));
  gpt2.save(path.join(OUT, 'bpe/tokenizer_gpt2.json'), true);
  const doc = JSON.parse(fs.readFileSync(saved, 'utf8'));
  doc.model.merges = doc.model.merges.map(m => m.join(' '));
  fs.writeFileSync(path.join(OUT, 'bpe/tokenizer_merges_str.json'), JSON.stringify(doc, null, 2));
  // A BPE without the byte alphabet: letters only, so most characters are unknown.
  const sv = { '<unk>': 0 }, sm = [];
  for (const c of 'abcdefghijklmnopqrstuvwxyz') {
    sv[c] = Object.keys(sv).length; sv['##' + c] = Object.keys(sv).length;
    sv[c + '</w>'] = Object.keys(sv).length; sv['##' + c + '</w>'] = Object.keys(sv).length;
  }
  for (const [a, b] of [['t', '##h'], ['th', '##e</w>'], ['##i', '##n'], ['##in', '##g</w>'],
                        ['a', '##n'], ['an', '##d</w>'], ['##e', '##r</w>'], ['i', '##s</w>']]) {
    const r = a + b.slice(2);
    if (!(r in sv)) sv[r] = Object.keys(sv).length;
    sm.push([a, b]);
  }
  const suffix = new tk.Tokenizer(tk.BPE.init(sv, sm, { unkToken: '<unk>',
    continuingSubwordPrefix: '##', endOfWordSuffix: '</w>', fuseUnk: true }));
  suffix.setPreTokenizer(tk.whitespaceSplitPreTokenizer());
  suffix.save(path.join(OUT, 'bpe/tokenizer_suffix.json'), true);

  const lines = fs.readFileSync(path.join(OUT, 'hard_strings.jsonl'), 'utf8')
    .split('\n').filter(l => l.trim() !== '').map(l => JSON.parse(l));
  const out = [];
  for (const h of lines) {
    const pair = h.pair === undefined ? null : h.pair;
    const e = await tokenizer.encode(h.text, pair);
    const p = await prefixed.encode(h.text, pair);
    const s = await suffix.encode(h.text, pair);
    const g = await gpt2.encode(h.text, pair);
    out.push(JSON.stringify({ ids: e.getIds(), type_ids: e.getTypeIds(), offsets: e.getOffsets(),
                              prefix: p.getIds(), prefix_offsets: p.getOffsets(),
                              suffix: s.getIds(), gpt2: g.getIds(), gpt2_type_ids: g.getTypeIds(),
                              gpt2_offsets: g.getOffsets() }));
  }
  fs.writeFileSync(path.join(OUT, 'bpe_hard_strings_ids.jsonl'), out.join('\n') + '\n');

  const result = { tokenizer: 'bpe/tokenizer.json', chunk: CHUNK, tasks: {} };
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
  fs.writeFileSync(path.join(OUT, 'bpe_task_hashes.json'), JSON.stringify(result, null, 1) + '\n');
}

main().catch(e => { console.error(e); process.exit(1); });
