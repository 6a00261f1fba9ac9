// Second, independent check of the encoder fixtures: ONNX Runtime.
//
//   cd scripts/oracles/encoders && npm install --ignore-scripts --no-save onnxruntime-node
//   /usr/bin/python3 export_onnx.py            # (re)writes onnx/<name>.onnx from the reference
//   node run_ort.mjs [name ...]                # default: bert roberta xlmr distilbert
//
// Runs onnx/<name>.onnx (the python3-torch reference forward traced in float32) with ONNX
// Runtime on tests/fixtures/model/<name>/inputs.json and compares every output with
// expected.safetensors (the float64 reference stored as float32). Exits non-zero if any
// element differs by more than 1e-5 absolute. Prints the max difference per output, and
// writes ORT's outputs to tests/fixtures/model/<name>/onnxruntime.safetensors.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import ort from "onnxruntime-node";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const FIX = path.join(HERE, "..", "..", "..", "tests", "fixtures", "model");
const TOL = 1e-5;

function readSafetensors(file) {
  const buf = fs.readFileSync(file);
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString("utf8"));
  const out = {};
  for (const [name, info] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    if (info.dtype !== "F32") throw new Error(`${file}: ${name} has dtype ${info.dtype}, expected F32`);
    const [s, e] = info.data_offsets;
    const bytes = buf.subarray(8 + n + s, 8 + n + e);
    const data = new Float32Array(bytes.length / 4);
    for (let i = 0; i < data.length; i++) data[i] = bytes.readFloatLE(4 * i);
    out[name] = { shape: info.shape, data };
  }
  return out;
}

// Writes float32 tensors as safetensors (header padded with spaces to a multiple of 8).
function writeSafetensors(file, tensors) {
  const header = {};
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    header[name] = { dtype: "F32", shape: t.dims, data_offsets: [offset, offset + 4 * t.data.length] };
    offset += 4 * t.data.length;
  }
  let json = JSON.stringify(header);
  json += " ".repeat((8 - (json.length % 8)) % 8);
  const out = Buffer.alloc(8 + json.length + offset);
  out.writeBigUInt64LE(BigInt(json.length), 0);
  out.write(json, 8, "utf8");
  let at = 8 + json.length;
  for (const t of Object.values(tensors)) for (const v of t.data) at = out.writeFloatLE(v, at);
  fs.writeFileSync(file, out);
}

function int64Tensor(rows) {
  const b = rows.length, s = rows[0].length;
  return new ort.Tensor("int64", BigInt64Array.from(rows.flat().map((v) => BigInt(v))), [b, s]);
}

async function check(name) {
  const dir = path.join(FIX, name);
  const inputs = JSON.parse(fs.readFileSync(path.join(dir, "inputs.json"), "utf8"));
  const expected = readSafetensors(path.join(dir, "expected.safetensors"));
  const session = await ort.InferenceSession.create(path.join(HERE, "onnx", `${name}.onnx`), {
    intraOpNumThreads: 1,
    graphOptimizationLevel: "all",
  });
  const feeds = {};
  for (const k of ["input_ids", "attention_mask", "token_type_ids"]) feeds[k] = int64Tensor(inputs[k]);
  const res = await session.run(feeds);
  let worst = 0;
  const parts = [];
  for (const [k, exp] of Object.entries(expected)) {
    const got = res[k];
    if (!got) throw new Error(`${name}: ONNX graph has no output ${k}`);
    if (JSON.stringify(got.dims) !== JSON.stringify(exp.shape))
      throw new Error(`${name}: ${k} shape ${got.dims} vs expected ${exp.shape}`);
    let m = 0;
    for (let i = 0; i < exp.data.length; i++) m = Math.max(m, Math.abs(got.data[i] - exp.data[i]));
    if (!(m <= TOL)) m = Number.isNaN(m) ? Infinity : m;
    parts.push(`${k} ${m.toExponential(2)}`);
    worst = Math.max(worst, m);
  }
  for (const k of session.outputNames)
    if (!(k in expected)) throw new Error(`${name}: output ${k} missing from expected.safetensors`);
  // ORT's own outputs, so the C++ tests compare against ONNX Runtime directly as well.
  const outputs = {};
  for (const k of Object.keys(expected)) outputs[k] = res[k];
  writeSafetensors(path.join(dir, "onnxruntime.safetensors"), outputs);
  const ok = worst <= TOL;
  console.log(`${ok ? "ok  " : "FAIL"} ${name}: max |ORT - reference| = ${worst.toExponential(2)} (${parts.join(", ")})`);
  return ok;
}

const names = process.argv.slice(2).length ? process.argv.slice(2) : ["bert", "roberta", "xlmr", "distilbert"];
let allOk = true;
for (const n of names) allOk = (await check(n)) && allOk;
console.log(allOk ? `all agree to ${TOL} absolute` : `disagreement above ${TOL}`);
process.exit(allOk ? 0 : 1);
