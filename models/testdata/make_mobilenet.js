// Makes models/testdata/mobilenet/: the first blocks of the nsfwjs package's TF.js
// MobileNetV2 (its Keras topology cut after block_3, with those layers' weights as the
// package stores them: uint8-quantized) as a TF.js layers model (model.json and one .bin
// shard), and TF.js's own features of a 37×45 test image at the layers the Go test checks,
// as .npy in NCHW.
//
// Run once, with Node.js, the npm packages @tensorflow/tfjs@4.22.0 and nsfwjs@4.4.0:
//   NODE_PATH=DIR/node_modules node models/testdata/make_mobilenet.js NSFWJS_DIR
// where NSFWJS_DIR is the unpacked nsfwjs package (its dist/models/mobilenet_v2 is read).
const fs = require("fs");
const path = require("path");
const tf = require("@tensorflow/tfjs");

const src = path.join(process.argv[2], "dist/models/mobilenet_v2");
const out = path.join(__dirname, "mobilenet");
const model = require(path.join(src, "model.min.js"));
const shard = Buffer.from(require(path.join(src, "group1-shard1of1.min.js")), "base64");

// Keep the layers through the last one of block 3 (its projection's batch norm).
const layers = model.modelTopology.model_config.config.layers;
const last = layers.findIndex((l) => l.name === "block_3_project_BN");
const kept = layers.slice(0, last + 1);
const H = 37, W = 45;
kept[0].config.batch_input_shape = [null, H, W, 3];
const names = new Set(kept.map((l) => l.name));
const topology = JSON.parse(JSON.stringify(model.modelTopology));
topology.model_config.config.layers = kept;
topology.model_config.config.output_layers = [["block_3_project_BN", 0, 0]];

// The manifest's weights in order, each with its bytes in the shard.
const specs = [];
const parts = [];
let off = 0;
for (const w of model.weightsManifest[0].weights) {
  const n = w.shape.reduce((a, b) => a * b, 1);
  const size = w.quantization ? { uint8: 1, uint16: 2, float16: 2 }[w.quantization.dtype] : 4;
  if (names.has(w.name.split("/")[0])) {
    specs.push(w);
    parts.push(shard.subarray(off, off + n * size));
  }
  off += n * size;
}
if (off !== shard.length) throw new Error(`manifest covers ${off} of ${shard.length} bytes`);
const data = Buffer.concat(parts);
fs.mkdirSync(out, { recursive: true });
fs.writeFileSync(path.join(out, "group1-shard1of1.bin"), data);
fs.writeFileSync(path.join(out, "model.json"), JSON.stringify({
  format: "layers-model",
  modelTopology: topology,
  weightsManifest: [{ paths: ["group1-shard1of1.bin"], weights: specs }],
}));

// The test image: a smooth pattern in 0..1, NHWC.
const img = new Float32Array(H * W * 3);
for (let y = 0; y < H; y++)
  for (let x = 0; x < W; x++)
    for (let c = 0; c < 3; c++)
      img[(y * W + x) * 3 + c] = 0.5 + 0.5 * Math.sin(0.31 * x + 0.17 * y * (c + 1) + c);

function npy(file, shape, values) {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(", ")}${shape.length === 1 ? "," : ""}), }`;
  while ((10 + header.length + 1) % 64 !== 0) header += " ";
  header += "\n";
  const head = Buffer.alloc(10);
  head.write("\x93NUMPY", 0, "latin1");
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  fs.writeFileSync(file, Buffer.concat([head, Buffer.from(header, "latin1"), Buffer.from(values.buffer)]));
}

// NHWC → NCHW.
function nchw(t) {
  const [n, h, w, c] = t.shape;
  const v = t.dataSync();
  const o = new Float32Array(v.length);
  for (let i = 0; i < h; i++)
    for (let j = 0; j < w; j++)
      for (let k = 0; k < c; k++) o[(k * h + i) * w + j] = v[(i * w + j) * c + k];
  return { shape: [n, c, h, w], values: o };
}

(async () => {
  await tf.setBackend("cpu");
  const m = await tf.loadLayersModel(tf.io.fromMemory({
    modelTopology: topology,
    weightSpecs: specs,
    weightData: data.buffer.slice(data.byteOffset, data.byteOffset + data.length),
  }));
  // 8-bit image values (the Go side feeds 0..255 and scales by 1/255).
  const img255 = img.map((v) => Math.round(v * 255));
  const x = tf.tensor4d(img255.map((v) => v / 255), [1, H, W, 3]);
  const want = ["Conv1_relu", "block_1_expand_relu", "block_1_project_BN", "block_2_add", "block_3_expand_relu", "block_3_depthwise_relu", "block_3_project_BN"];
  const sub = tf.model({ inputs: m.inputs, outputs: want.map((n) => m.getLayer(n).output) });
  const ys = sub.predict(x);
  const ximg = nchw(tf.tensor4d(img255, [1, H, W, 3]));
  npy(path.join(out, "image.npy"), ximg.shape, ximg.values);
  want.forEach((n, i) => {
    const r = nchw(ys[i]);
    npy(path.join(out, n + ".npy"), r.shape, r.values);
    console.log(n, r.shape.join("x"));
  });
})();
