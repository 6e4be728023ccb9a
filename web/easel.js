// Loads the Go WebAssembly build; the Go side fills in window.easel and #status.
(async () => {
  const status = document.getElementById("status");
  const noWebGPU = (why) => {
    status.className = "error";
    status.textContent = "WebGPU is not available in this browser" + why + ". Use Chrome or " +
      "Edge 113+, Safari 26+, or Firefox 141+ on Windows.";
  };
  if (!("gpu" in navigator)) {
    noWebGPU("");
    return;
  }
  // A browser can have the API but no usable GPU (blocklisted, WebGPU turned off or not
  // supported on this system): then it gives no adapter, and the wasm build need not load.
  let adapter = null;
  try {
    adapter = await navigator.gpu.requestAdapter();
  } catch (err) {
    console.warn("navigator.gpu.requestAdapter:", err);
  }
  if (!adapter) {
    noWebGPU(": it offers no GPU adapter (the GPU may be blocklisted, or WebGPU turned off)");
    return;
  }
  try {
    const go = new Go();
    const { instance } = await WebAssembly.instantiateStreaming(fetch("easel.wasm"), go.importObject);
    go.run(instance);
  } catch (err) {
    status.className = "error";
    status.textContent = "Could not load Easel's WebAssembly build: " + err;
  }
})();
