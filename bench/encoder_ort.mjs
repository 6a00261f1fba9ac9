// The encoder benchmark, Node side: ONNX Runtime (onnxruntime-node) on the model.onnx that
// bench/make_encoder_models.py exports, and npm `tokenizers` encodeBatch. Prints one JSON
// object per line (see bench/run_encoder.sh). The packages are those installed for the
// oracles (scripts/oracles/{encoders,tokenizers}: npm install --ignore-scripts --no-save ...).
//
//   node bench/encoder_ort.mjs fixed MODEL_DIR BATCH SEQ REPEATS THREADS
//   node bench/encoder_ort.mjs text MODEL_DIR IDS_FILE THREADS
//       as bench/encoder_torch.py (batches of 32 in file order padded to their longest)
//   node bench/encoder_ort.mjs tokenize TOKENIZER_JSON REPEATS TEXTS_JSONL
//       encodeBatch over all texts (one JSON string a line); median texts/s
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const requireFrom = (dir) => createRequire(path.join(HERE, "..", "scripts", "oracles", dir, "index.js"));

const median = (t) => {
  const s = [...t].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : 0.5 * (s[s.length / 2 - 1] + s[s.length / 2]);
};
const now = () => Number(process.hrtime.bigint()) / 1e9;
const rssMib = () => process.resourceUsage().maxRSS / 1024;

async function session(dir, threads) {
  const ort = requireFrom("encoders")("onnxruntime-node");
  const s = await ort.InferenceSession.create(path.join(dir, "model.onnx"), {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: "sequential",
    graphOptimizationLevel: "all",
  });
  return { ort, s };
}

function feeds(ort, rows, n) {
  const b = rows.length;
  const ids = new BigInt64Array(b * n), mask = new BigInt64Array(b * n), types = new BigInt64Array(b * n);
  rows.forEach((r, i) => r.forEach((v, j) => { ids[i * n + j] = BigInt(v); mask[i * n + j] = 1n; }));
  return {
    input_ids: new ort.Tensor("int64", ids, [b, n]),
    attention_mask: new ort.Tensor("int64", mask, [b, n]),
    token_type_ids: new ort.Tensor("int64", types, [b, n]),
  };
}

const [mode, ...args] = process.argv.slice(2);
if (mode === "fixed") {
  const [dir, B, S, R, T] = args;
  const b = +B, n = +S, threads = +T;
  const { ort, s } = await session(dir, threads);
  const vocab = JSON.parse(fs.readFileSync(path.join(dir, "config.json"), "utf8")).vocab_size;
  let x = 12345;  // seeded LCG ids in [1000, vocab)
  const rows = Array.from({ length: b }, () => Array.from({ length: n }, () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return 1000 + (x % (vocab - 1000));
  }));
  const f = feeds(ort, rows, n);
  await s.run(f);  // warm-up
  const t = [];
  for (let i = 0; i < +R; i++) {
    const t0 = now();
    await s.run(f);
    t.push(now() - t0);
  }
  console.log(JSON.stringify({ impl: "ort", mode, model: path.basename(dir), batch: b, seq: n, seconds: t,
    median_seconds: median(t), peak_rss_mib: rssMib(), threads }));
} else if (mode === "text") {
  const [dir, idsFile, T] = args;
  const threads = +T;
  const { ort, s } = await session(dir, threads);
  const rows = fs.readFileSync(idsFile, "utf8").split("\n").filter((l) => l).map((l) => JSON.parse(l));
  let tokens = 0, padded = 0;
  const cls = [];
  const t0 = now();
  for (let i = 0; i < rows.length; i += 32) {
    const batch = rows.slice(i, i + 32);
    const n = Math.max(...batch.map((r) => r.length));
    const out = (await s.run(feeds(ort, batch, n))).last_hidden_state;
    const d = out.dims[2];
    for (let j = 0; j < batch.length; j++) cls.push(out.data.slice(j * n * d, j * n * d + d));
    tokens += batch.reduce((a, r) => a + r.length, 0);
    padded += batch.length * n;
  }
  const sec = now() - t0;
  console.log(JSON.stringify({ impl: "ort", mode, model: path.basename(dir), data: idsFile, texts: cls.length,
    tokens, padded_tokens: padded, seconds: sec, peak_rss_mib: rssMib(), threads }));
} else if (mode === "tokenize") {
  const [tok, R, textsFile] = args;
  const { Tokenizer } = requireFrom("tokenizers")("tokenizers");
  const t = Tokenizer.fromFile(tok);
  const texts = fs.readFileSync(textsFile, "utf8").split("\n").filter((l) => l).map((l) => JSON.parse(l));
  let tokens = 0;
  const run = async () => { tokens = (await t.encodeBatch(texts)).reduce((a, e) => a + e.getIds().length, 0); };
  await run();
  const times = [];
  for (let i = 0; i < +R; i++) {
    const t0 = now();
    await run();
    times.push(now() - t0);
  }
  const m = median(times);
  console.log(JSON.stringify({ impl: "npm-tokenizers", mode, texts: texts.length, tokens, median_seconds: m,
    texts_per_second: texts.length / m, rayon_threads: process.env.RAYON_NUM_THREADS || "default" }));
} else {
  console.error("usage: encoder_ort.mjs fixed|text|tokenize ...");
  process.exit(2);
}
