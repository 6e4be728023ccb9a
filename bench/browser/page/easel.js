// Starts the Go program (easelbench), which does the timing and publishes window.benchResult.
"use strict";
(() => {
  const fail = (err) => {
    const rep = bench.report("easel", "this tree");
    rep.error = "page: " + err;
    rep.done = true;
    bench.publish(rep, "failed: " + err);
  };
  const go = new Go();
  WebAssembly.instantiateStreaming(fetch("/build/easelbench.wasm"), go.importObject)
    .then((r) => go.run(r.instance))
    .then(() => fail("the wasm program exited (see the console)"))
    .catch(fail);
})();
