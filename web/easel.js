// Loads the Go WebAssembly build; the Go side fills in window.easel and #status.
(async () => {
  const status = document.getElementById("status");
  if (!("gpu" in navigator)) {
    status.className = "error";
    status.textContent = "WebGPU is not available in this browser. Use Chrome or Edge 113+, " +
      "Safari 26+, or Firefox 141+ on Windows.";
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
