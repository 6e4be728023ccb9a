// onnxruntime-web peer: the ONNX export of pytorch/examples' TransformerNet (export_onnx.py,
// the weights Easel's page builds; one static-shape file per size) on the WebGPU execution
// provider, with its .wasm served from /npm. ?build=webgpu loads onnxruntime-web/webgpu
// (ORT's C++ WebGPU EP), ?build=jsep the default bundle (its older JavaScript WebGPU EP).
const build = new URLSearchParams(location.search).get("build") || "webgpu";
const dist = "/npm/onnxruntime-web/dist/";
const rep = bench.report("ort-" + build, "");
try {
  const ort = await import(dist + (build === "jsep" ? "ort.min.mjs" : "ort.webgpu.min.mjs"));
  rep.version = ort.env.versions.web;
  ort.env.wasm.wasmPaths = dist;
  ort.env.logLevel = "warning";
  rep.adapter = await bench.adapterName();
  for (const [i, sf] of bench.sizes.entries()) {
    const s = sf.size;
    const t0 = performance.now();
    const session = await ort.InferenceSession.create(`/build/transformer_${s}.onnx`, {
      executionProviders: ["webgpu"],
      graphOptimizationLevel: "all",
    });
    const setupMs = performance.now() - t0;
    const feeds = { [session.inputNames[0]]: new ort.Tensor("float32", bench.input(s), [1, 3, s, s]) };
    let out = null;
    // The output comes back to the CPU whole (0.2 MB at 128², 0.8 MB at 256²): milliseconds
    // next to a frame here, and what run() does unless the output stays a GPU buffer.
    const frame = async () => {
      out = (await session.run(feeds))[session.outputNames[0]];
    };
    await bench.timeSize(rep, sf, setupMs, frame);
    if (i === 0) rep.check = { size: s, b64: bench.f32base64(out.data) };
    await session.release();
  }
} catch (e) {
  rep.error = String(e && e.stack ? e.stack : e);
}
rep.done = true;
bench.publish(rep, rep.error ? "failed: " + rep.error : "done");
