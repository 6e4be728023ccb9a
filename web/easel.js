// The page: loads the Go WebAssembly build (which opens the GPU and fills in
// window.easel), the model index, and wires the controls. All GPU work happens in the Go
// engine; this file only asks for it and reports what happens in #status.
(async () => {
  const $ = (id) => document.getElementById(id);
  const status = $("status");
  const say = (msg, kind = "") => {
    status.textContent = msg;
    status.className = kind;
  };
  const noWebGPU = (why) => say("WebGPU is not available in this browser" + why + ". Use Chrome or " +
    "Edge 113+, Safari 26+, or Firefox 141+ on Windows.", "error");
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
    say("Could not load Easel's WebAssembly build: " + err, "error");
    return;
  }
  const easel = window.easel;
  try {
    await easel.ready; // the Go side has said what went wrong in #status
  } catch (err) {
    return;
  }
  $("selftest").disabled = false;

  let index;
  try {
    const resp = await fetch("models/index.json");
    if (!resp.ok) throw new Error(`HTTP ${resp.status} ${resp.statusText}`);
    index = await resp.json();
  } catch (err) {
    say("The list of models failed to load: " + err.message, "error");
    return;
  }

  // Models: the index's entries by name, each loaded into the engine once.
  const byName = new Map(index.map((m) => [m.name, m]));
  const loading = new Map();
  const load = (name) => {
    if (!loading.has(name)) {
      const p = easel.loadModel(byName.get(name));
      loading.set(name, p);
      p.catch(() => loading.delete(name)); // a later try fetches again
    }
    return loading.get(name);
  };
  const label = (m) => m.trained ? m.name : `${m.name} (UNTRAINED)`;
  const fill = (select, models, preferred) => {
    for (const m of models) select.add(new Option(label(m), m.name));
    const pick = models.find((m) => m.trained && m.arch === preferred) ||
      models.find((m) => m.arch === preferred) || models[0];
    if (pick) select.value = pick.name;
    select.disabled = models.length === 0;
  };
  // Untrained models say so, in their description or here.
  const untrainedNote = (m, what) => {
    const desc = m.description || "";
    if (m.trained || desc.includes("UNTRAINED")) return desc;
    return `${m.name} is UNTRAINED: its weights are random, so ${what}. ${desc}`;
  };

  // ---- Webcam ----
  const style = $("style"), strength = $("strength"), resolution = $("resolution");
  const video = $("camera-video"), output = $("output"), cameraButton = $("camera");
  const styles = index.filter((m) => m.arch.startsWith("transformer-net"));
  fill(style, styles, "transformer-net-light");
  const styleModel = () => byName.get(style.value);
  const showStyleNote = () => {
    const m = styleModel();
    $("style-note").textContent = m ? untrainedNote(m, "its output is not a real style") : "No style models are served.";
  };
  showStyleNote();
  const strengthValue = () => Number(strength.value) / 100;
  strength.addEventListener("input", () => { $("strength-value").value = strength.value + "%"; });

  let stream = null;
  const cameraError = (err) => {
    switch (err.name) {
      case "NotAllowedError":
      case "SecurityError":
        return "Camera access was denied. Allow the camera for this page in the browser's site settings, " +
          "then press Start camera again, or stylize an image below.";
      case "NotFoundError":
      case "OverconstrainedError":
        return "No camera was found. Connect one and press Start camera again, or stylize an image below.";
      case "NotReadableError":
      case "AbortError":
        return `The camera could not be started; another application may be using it (${err.message}).`;
    }
    return `The camera could not be started: ${err.name}: ${err.message}`;
  };
  const stopCamera = () => {
    if (stream) for (const t of stream.getTracks()) t.stop();
    stream = null;
    video.srcObject = null;
    video.classList.remove("on");
    cameraButton.textContent = "Start camera";
    $("snapshot").disabled = true;
    $("frame-stats").textContent = "Camera off.";
  };
  const startCamera = async () => {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      say("This browser offers no camera to this page: cameras need a page served over https or from localhost.", "error");
      return;
    }
    const m = styleModel();
    if (!m) {
      say("No style model is served: start easel serve with one.", "error");
      return;
    }
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 640 }, height: { ideal: 480 } }, audio: false });
    } catch (err) {
      stream = null;
      say(cameraError(err), "error");
      return;
    }
    video.srcObject = stream;
    video.classList.add("on");
    try {
      await video.play();
    } catch (err) {
      stopCamera();
      say(`The camera video could not be played: ${err.message}`, "error");
      return;
    }
    cameraButton.textContent = "Stop camera";
    $("snapshot").disabled = false;
    say(`Camera on: loading ${m.name}…`);
    liveLoop(stream);
  };
  cameraButton.addEventListener("click", () => stream ? stopCamera() : startCamera());

  // One frame at a time: the next is asked for once the GPU has finished the last and the
  // camera has a new picture (at the next animation frame where requestVideoFrameCallback
  // is missing).
  const nextVideoFrame = () => new Promise((r) => {
    if ("requestVideoFrameCallback" in video) video.requestVideoFrameCallback(() => r());
    else requestAnimationFrame(() => r());
  });
  const liveLoop = async (s) => {
    let announced = "";
    while (stream === s) {
      await nextVideoFrame();
      if (stream !== s) return;
      if (video.readyState < 2) continue; // no frame yet
      const m = styleModel();
      let info;
      try {
        info = await load(m.name);
        const r = await easel.stylize(info.id, video, output, { width: Number(resolution.value), strength: strengthValue(), live: true });
        const key = `${m.name} ${r.width}×${r.height}`;
        // Said once per model and size, so that a note of the engine's (a recovered
        // device) stays until the user changes something.
        if (announced !== key) say(`Camera on: stylizing with ${label(m)} at ${r.width}×${r.height}.`);
        announced = key;
      } catch (err) {
        if (stream !== s) return;
        stopCamera();
        say(err.message, "error");
        return;
      }
      const st = easel.stats();
      $("frame-stats").textContent = `${st.fps.toFixed(1)} fps · ${st.lastFrameMs.toFixed(0)} ms per frame · ${st.size}`;
    }
  };

  // A WebGPU canvas cannot be read once shown, so a snapshot is the engine's copy of the
  // last picture, drawn onto a 2D canvas and saved from there.
  const download = async (canvas, name) => {
    let shot;
    try {
      shot = await easel.snapshot(canvas);
    } catch (err) {
      say(err.message, "error");
      return;
    }
    const c = document.createElement("canvas");
    c.width = shot.width;
    c.height = shot.height;
    c.getContext("2d").putImageData(new ImageData(shot.data, shot.width, shot.height), 0, 0);
    c.toBlob((blob) => {
      const a = document.createElement("a");
      a.href = URL.createObjectURL(blob);
      a.download = name;
      a.click();
      setTimeout(() => URL.revokeObjectURL(a.href), 10000);
    }, "image/png");
  };
  const stamp = () => new Date().toISOString().replace(/[:.]/g, "-");
  $("snapshot").addEventListener("click", () => download(output, `easel-${style.value}-${stamp()}.png`));

  // ---- Image ----
  const pictureCanvas = $("image-output");
  let picture = null, pictureName = "";
  const renderPicture = async () => {
    if (!picture) return;
    const m = styleModel();
    try {
      const info = await load(m.name);
      const r = await easel.stylize(info.id, picture, pictureCanvas, { width: Number($("image-size").value), strength: strengthValue() });
      pictureCanvas.hidden = false;
      $("image-save").disabled = false;
      say(`Stylized ${pictureName} with ${label(m)} at ${r.width}×${r.height} in ${r.ms.toFixed(0)} ms.`);
    } catch (err) {
      say(err.message, "error");
    }
  };
  const openPicture = async (file) => {
    if (!file) return;
    if (!file.type.startsWith("image/")) {
      say(`${file.name} is not an image.`, "error");
      return;
    }
    try {
      picture = await createImageBitmap(file);
      pictureName = file.name;
    } catch (err) {
      say(`The image ${file.name} could not be read: ${err.message}`, "error");
      return;
    }
    await renderPicture();
  };
  $("image-file").addEventListener("change", (ev) => openPicture(ev.target.files[0]));
  const drop = $("drop");
  drop.addEventListener("dragover", (ev) => {
    ev.preventDefault();
    drop.classList.add("over");
  });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (ev) => {
    ev.preventDefault();
    drop.classList.remove("over");
    openPicture(ev.dataTransfer.files[0]);
  });
  $("image-size").addEventListener("change", renderPicture);
  $("image-save").addEventListener("click", () => download(pictureCanvas, `easel-${style.value}-${stamp()}.png`));
  style.addEventListener("change", () => {
    showStyleNote();
    renderPicture();
  });
  strength.addEventListener("change", renderPicture);

  // ---- Faces ----
  const FACES = 12, STEPS = 8;
  const faceModel = $("face-model"), grid = $("face-grid");
  const generators = index.filter((m) => m.arch === "dcgan-g");
  fill(faceModel, generators, "dcgan-g");
  const genModel = () => byName.get(faceModel.value);
  let seed = 1, zs = [], ends = [], target = -1;
  const withAttr = new Set(), withoutAttr = new Set();
  const tiles = [];
  for (let i = 0; i < FACES; i++) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "tile";
    b.setAttribute("aria-pressed", "false");
    const c = document.createElement("canvas");
    c.className = "face";
    c.width = c.height = 64;
    const badge = document.createElement("span");
    badge.className = "badge";
    b.append(c, badge);
    b.addEventListener("click", () => mark(i));
    grid.append(b);
    tiles.push({ button: b, canvas: c, badge });
  }
  const interpCanvases = [];
  for (let i = 0; i < STEPS; i++) {
    const c = document.createElement("canvas");
    c.className = "face";
    c.width = c.height = 64;
    c.setAttribute("aria-label", `Step ${i + 1} of ${STEPS}`);
    $("interp-row").append(c);
    interpCanvases.push(c);
  }
  const concat = (vs) => {
    const out = new Float32Array(vs.reduce((n, v) => n + v.length, 0));
    let at = 0;
    for (const v of vs) {
      out.set(v, at);
      at += v.length;
    }
    return out;
  };
  const check = (v) => {
    if (v instanceof Error) throw v;
    return v;
  };
  const showMarks = () => {
    tiles.forEach((t, i) => {
      const marks = [];
      if (ends.includes(i)) marks.push(ends.indexOf(i) === 0 ? "A" : "B");
      if (withAttr.has(i)) marks.push("+");
      if (withoutAttr.has(i)) marks.push("−");
      if (target === i) marks.push("→");
      t.badge.textContent = marks.join(" ");
      t.button.setAttribute("aria-pressed", marks.length ? "true" : "false");
      const words = { A: "interpolation start", B: "interpolation end", "+": "has the attribute", "−": "lacks the attribute", "→": "face to change" };
      t.button.setAttribute("aria-label", `Face ${i + 1}` + (marks.length ? ": " + marks.map((m) => words[m]).join(", ") : ""));
    });
    $("interpolate").disabled = ends.length !== 2;
    $("arithmetic").disabled = target < 0 || withAttr.size === 0 || withoutAttr.size === 0;
  };
  const mark = (i) => {
    const mode = document.querySelector('input[name="face-mode"]:checked').value;
    if (mode === "ends") {
      ends = ends.includes(i) ? ends.filter((j) => j !== i) : [...ends, i].slice(-2);
    } else if (mode === "target") {
      target = target === i ? -1 : i;
    } else {
      const [set, other] = mode === "with" ? [withAttr, withoutAttr] : [withoutAttr, withAttr];
      other.delete(i);
      if (set.has(i)) set.delete(i); else set.add(i);
    }
    showMarks();
  };
  const sample = async (z, canvases) => {
    const m = genModel();
    const info = await load(m.name);
    return easel.sample(info.id, concat(z), canvases);
  };
  let facesShown = false;
  const newFaces = async () => {
    facesShown = true;
    const m = genModel();
    if (!m) {
      $("face-note").textContent = "No generator is served.";
      return;
    }
    $("face-note").textContent = untrainedNote(m, "it draws meaningless patterns, not faces");
    grid.dataset.ready = "";
    try {
      const info = await load(m.name);
      zs = check(easel.randomLatents(FACES, info.nz, seed));
      ends = [];
      target = -1;
      withAttr.clear();
      withoutAttr.clear();
      showMarks();
      await sample(zs, tiles.map((t) => t.canvas));
      grid.dataset.seed = String(seed);
      grid.dataset.model = m.name;
      grid.dataset.ready = "true";
      $("faces-new").disabled = false;
    } catch (err) {
      say(err.message, "error");
    }
  };
  $("faces-new").addEventListener("click", () => {
    seed++;
    newFaces();
  });
  faceModel.addEventListener("change", newFaces);
  $("interpolate").addEventListener("click", async () => {
    try {
      const path = [];
      for (let k = 0; k < STEPS; k++) path.push(check(easel.slerp(zs[ends[0]], zs[ends[1]], k / (STEPS - 1))));
      await sample(path, interpCanvases);
      $("interp-row").dataset.ready = "true";
    } catch (err) {
      say(err.message, "error");
    }
  });
  $("arithmetic").addEventListener("click", async () => {
    try {
      const z = check(easel.latentArithmetic(zs[target], [...withAttr].map((i) => zs[i]), [...withoutAttr].map((i) => zs[i])));
      await sample([z], [$("arith-output")]);
      $("arith-output").dataset.ready = "true";
    } catch (err) {
      say(err.message, "error");
    }
  });
  // The first grid is drawn once the section comes into view, unless it was already.
  new IntersectionObserver((entries, observer) => {
    if (entries.some((e) => e.isIntersecting)) {
      observer.disconnect();
      if (!facesShown) newFaces();
    }
  }).observe($("faces"));

  cameraButton.disabled = false;
})();
