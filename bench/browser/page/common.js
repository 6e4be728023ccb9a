// Shared by the benchmark's pages (bench/browser): what to run, the input, the counters of
// GPU work, and the report every page publishes as JSON in window.benchResult for
// bench_test.go to read. Loaded first, as a classic script, before any engine.
"use strict";

window.bench = (() => {
  // Counts the GPU commands the page issues, whoever issues them (Go's wasm through gogpu,
  // TF.js, onnxruntime-web): compute dispatches and queue submits on WebGPU, draw calls on
  // WebGL. Wrapping costs a JS call per command, nothing next to a dispatch on SwiftShader.
  const counts = { dispatches: 0, submits: 0, draws: 0 };
  const wrap = (proto, name, key) => {
    const orig = proto && proto[name];
    if (typeof orig !== "function") return;
    proto[name] = function (...args) {
      counts[key]++;
      return orig.apply(this, args);
    };
  };
  if (window.GPUComputePassEncoder) {
    wrap(GPUComputePassEncoder.prototype, "dispatchWorkgroups", "dispatches");
    wrap(GPUComputePassEncoder.prototype, "dispatchWorkgroupsIndirect", "dispatches");
    wrap(GPUQueue.prototype, "submit", "submits");
  }
  for (const gl of [window.WebGLRenderingContext, window.WebGL2RenderingContext]) {
    if (!gl) continue;
    for (const name of ["drawArrays", "drawElements", "drawArraysInstanced", "drawElementsInstanced"]) {
      wrap(gl.prototype, name, "draws");
    }
  }

  // ?sizes=128:5,256:3 — each input size (square) with the number of timed frames.
  const params = new URLSearchParams(location.search);
  const sizes = (params.get("sizes") || "128:3").split(",").map((s) => {
    const [size, frames] = s.split(":").map(Number);
    return { size, frames: frames || 3 };
  });

  // The input every engine gets: NCHW [1,3,s,s], RGB in 0..255, as Easel's benchmarks use.
  const input = (s) => {
    const x = new Float32Array(3 * s * s);
    for (let i = 0; i < x.length; i++) x[i] = (i * 37) % 256;
    return x;
  };

  const median = (a) => {
    const s = [...a].sort((x, y) => x - y);
    const m = s.length >> 1;
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
  };

  const adapterName = async () => {
    if (!navigator.gpu) return "no navigator.gpu";
    const a = await navigator.gpu.requestAdapter();
    if (!a) return "no adapter";
    const i = a.info || {};
    return [i.vendor, i.architecture, i.device, i.description].filter(Boolean).join(" / ") || "unknown";
  };

  const f32base64 = (f32) => {
    const bytes = new Uint8Array(f32.buffer, f32.byteOffset, f32.byteLength);
    let s = "";
    for (let i = 0; i < bytes.length; i += 0x8000) {
      s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    }
    return btoa(s);
  };

  // A report: {engine, version, adapter, error, sizes: [...], check, done}; publish after
  // every step so that a run cut short still says how far it got.
  const report = (engine, version) => ({ engine, version, adapter: "", error: "", sizes: [], done: false });
  const publish = (rep, status) => {
    window.benchResult = JSON.stringify(rep);
    document.getElementById("status").textContent = status;
    console.log(`bench ${rep.engine}: ${status}`);
  };

  // Runs frame() warm + frames times for one size and appends the size's entry to rep:
  // setupMs (building the network or session for the size), firstMs (the first frame, with
  // its pipeline compiles), the timed frames, their median, and GPU commands per timed frame.
  const timeSize = async (rep, { size, frames }, setupMs, frame) => {
    const entry = { size, setupMs, firstMs: 0, framesMs: [], medianMs: 0 };
    rep.sizes.push(entry);
    publish(rep, `${size}²: first frame…`);
    let t = performance.now();
    await frame();
    entry.firstMs = performance.now() - t;
    const before = { ...counts };
    for (let i = 0; i < frames; i++) {
      publish(rep, `${size}²: frame ${i + 1} of ${frames}…`);
      t = performance.now();
      await frame();
      entry.framesMs.push(performance.now() - t);
      entry.medianMs = median(entry.framesMs);
    }
    for (const k of Object.keys(counts)) entry[k + "PerFrame"] = (counts[k] - before[k]) / frames;
    publish(rep, `${size}²: median ${entry.medianMs.toFixed(0)} ms`);
    return entry;
  };

  return { counts, sizes, input, median, adapterName, f32base64, report, publish, timeSize };
})();
