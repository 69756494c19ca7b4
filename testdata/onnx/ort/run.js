// run.js runs an ONNX model on ONNX Runtime (CPU) for chainrule's tests.
//
//	node run.js MODEL.onnx < request.json > response.json
//
// The request is {"inputs": {NAME: {"dtype": "float32"|"float64",
// "shape": [...], "data": BASE64}}, "threads": N, "repeat": R,
// "providers": ["cuda", "cpu"]}: the data raw little-endian; the execution
// providers default to ["cpu"]. The response is {"outputs": {NAME: {"dtype", "shape",
// "data"}}} in the same form, and with repeat > 0, "seconds": the time of
// each of R further runs. Errors go to stderr with exit status 1.
'use strict';
const fs = require('fs');
const ort = require('onnxruntime-node');

const types = { float32: Float32Array, float64: Float64Array, int64: BigInt64Array, bool: Uint8Array };

function decode(v) {
  const buf = Buffer.from(v.data, 'base64');
  const T = types[v.dtype];
  if (!T) throw new Error('unknown dtype ' + v.dtype);
  const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  return new ort.Tensor(v.dtype, new T(ab), v.shape);
}

function encode(t) {
  const d = t.data;
  return { dtype: t.type, shape: t.dims, data: Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString('base64') };
}

async function main() {
  const req = JSON.parse(fs.readFileSync(0, 'utf8'));
  const opts = { intraOpNumThreads: req.threads || 1, interOpNumThreads: 1, executionProviders: req.providers || ['cpu'] };
  const session = await ort.InferenceSession.create(process.argv[2], opts);
  const feeds = {};
  for (const [name, v] of Object.entries(req.inputs)) feeds[name] = decode(v);
  const res = await session.run(feeds);
  const out = { outputs: {} };
  for (const [name, t] of Object.entries(res)) out.outputs[name] = encode(t);
  if (req.repeat > 0) {
    out.seconds = [];
    for (let i = 0; i < req.repeat; i++) {
      const t0 = process.hrtime.bigint();
      await session.run(feeds);
      out.seconds.push(Number(process.hrtime.bigint() - t0) / 1e9);
    }
  }
  process.stdout.write(JSON.stringify(out));
}

main().catch((e) => { process.stderr.write(String(e && e.stack || e) + '\n'); process.exit(1); });
