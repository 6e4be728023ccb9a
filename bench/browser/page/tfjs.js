// TF.js peer: pytorch/examples' TransformerNet written with TF.js ops, NHWC as TF.js
// prefers, with the weights Easel's page builds (served as /build/weights.bin): reflect
// padding by tf.mirrorPad, convolution and bias by tf.fused.conv2d, instance norm by
// tf.moments folded into one scale and shift, nearest ×2 upsampling by
// tf.image.resizeNearestNeighbor. ?backend=webgpu|webgl picks the backend.
"use strict";
(async () => {
  const backend = new URLSearchParams(location.search).get("backend") || "webgpu";
  const rep = bench.report("tfjs-" + backend, tf.version.tfjs);
  try {
    rep.adapter = await bench.adapterName();
    if (!(await tf.setBackend(backend))) throw new Error(`tf.setBackend("${backend}") failed`);
    await tf.ready();
    if (backend === "webgl") {
      const gl = tf.backend().gpgpu.gl;
      const dbg = gl.getExtension("WEBGL_debug_renderer_info");
      rep.adapter = `WebGL ${tf.env().getNumber("WEBGL_VERSION")}: ` +
        (dbg ? gl.getParameter(dbg.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER));
    }
    const manifest = await (await fetch("/build/weights.json")).json();
    const data = new Float32Array(await (await fetch("/build/weights.bin")).arrayBuffer());
    const p = {};
    for (const t of manifest.tensors) {
      const v = tf.tensor(data.subarray(t.offset, t.offset + t.shape.reduce((a, b) => a * b, 1)), t.shape);
      // Conv2d weights [out, in, kh, kw] → TF.js filters [kh, kw, in, out].
      p[t.name] = t.shape.length === 4 ? tf.tidy(() => v.transpose([2, 3, 1, 0])) : v;
      if (t.shape.length === 4) v.dispose();
    }

    const conv = (x, name, stride) => {
      const w = p[name + ".conv2d.weight"];
      const pad = w.shape[0] >> 1;
      const xp = tf.mirrorPad(x, [[0, 0], [pad, pad], [pad, pad], [0, 0]], "reflect");
      return tf.fused.conv2d({ x: xp, filter: w, bias: p[name + ".conv2d.bias"], strides: stride, pad: "valid" });
    };
    const norm = (x, name) => {
      const { mean, variance } = tf.moments(x, [1, 2], true);
      const scale = tf.mul(p[name + ".weight"], tf.rsqrt(tf.add(variance, 1e-5)));
      const shift = tf.sub(p[name + ".bias"], tf.mul(mean, scale));
      return tf.add(tf.mul(x, scale), shift);
    };
    const up = (x) => tf.image.resizeNearestNeighbor(x, [x.shape[1] * 2, x.shape[2] * 2]);
    const net = (x) => {
      let y = tf.relu(norm(conv(x, "conv1", 1), "in1"));
      y = tf.relu(norm(conv(y, "conv2", 2), "in2"));
      y = tf.relu(norm(conv(y, "conv3", 2), "in3"));
      for (let i = 1; i <= 5; i++) {
        const h = tf.relu(norm(conv(y, `res${i}.conv1`, 1), `res${i}.in1`));
        y = tf.add(norm(conv(h, `res${i}.conv2`, 1), `res${i}.in2`), y);
      }
      y = tf.relu(norm(conv(up(y), "deconv1", 1), "in4"));
      y = tf.relu(norm(conv(up(y), "deconv2", 1), "in5"));
      return conv(y, "deconv3", 1);
    };

    for (const [i, sf] of bench.sizes.entries()) {
      const s = sf.size;
      const t0 = performance.now();
      const x = tf.tidy(() => tf.tensor(bench.input(s), [1, 3, s, s]).transpose([0, 2, 3, 1]));
      await x.data(); // on the GPU before the first frame
      const setupMs = performance.now() - t0;
      let y = null;
      const frame = async () => {
        if (y) y.dispose();
        y = tf.tidy(() => net(x));
        const one = y.slice([0, 0, 0, 0], [1, 1, 1, 1]);
        await one.data(); // waits for the whole frame: it reads the frame's last output
        one.dispose();
      };
      await bench.timeSize(rep, sf, setupMs, frame);
      if (i === 0) {
        const nchw = tf.tidy(() => y.transpose([0, 3, 1, 2]));
        rep.check = { size: s, b64: bench.f32base64(await nchw.data()) };
        nchw.dispose();
      }
      y.dispose();
      x.dispose();
    }
  } catch (e) {
    rep.error = String(e && e.stack ? e.stack : e);
  }
  rep.done = true;
  bench.publish(rep, rep.error ? "failed: " + rep.error : "done");
})();
