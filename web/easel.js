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
  // The page offers trained models only: an untrained one (such as transformer-net, the
  // workload of easel bench) draws nothing worth showing.
  index = index.filter((m) => m.trained);

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
  // The model chosen first: the one named preferredName, else one of arch preferred, else
  // the first.
  const fill = (select, models, preferred, preferredName) => {
    for (const m of models) select.add(new Option(m.name, m.name));
    const pick = models.find((m) => m.name === preferredName) || models.find((m) => m.arch === preferred) || models[0];
    if (pick) select.value = pick.name;
    select.disabled = models.length === 0;
  };

  // ---- Webcam ----
  const style = $("style"), strength = $("strength"), resolution = $("resolution");
  const video = $("camera-video"), output = $("output"), cameraButton = $("camera");
  const styles = index.filter((m) => m.arch.startsWith("transformer-net"));
  fill(style, styles, "transformer-net-light", "starry-night");
  const styleModel = () => byName.get(style.value);
  const showStyleNote = () => {
    const m = styleModel();
    $("style-note").textContent = m ? m.description || "" : "No trained style models are served.";
  };
  showStyleNote();
  // The chosen style is loaded, and its pipelines compiled, while the page waits for the
  // user: the camera's first frame then waits for neither. A failure here is reported
  // when the style is used.
  const preload = () => {
    if (styleModel()) load(style.value).catch(() => {});
  };
  preload();
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
      say("No trained style model is served: start easel serve with one.", "error");
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

  // Frames in flight: the engine returns a live frame once it is submitted, with at most
  // one frame before it still on the GPU, so the page waits for the camera's next picture
  // while the GPU works. requestVideoFrameCallback tells of each new picture, with the
  // time the camera took it where the browser knows (for the latency); without it the
  // page stylizes at each animation frame.
  const nextVideoFrame = () => new Promise((r) => {
    if ("requestVideoFrameCallback" in video) video.requestVideoFrameCallback((now, meta) => r(meta.captureTime));
    else requestAnimationFrame(() => r(undefined));
  });
  const liveLoop = async (s) => {
    let announced = "";
    while (stream === s) {
      const captureTime = await nextVideoFrame();
      if (stream !== s) return;
      if (video.readyState < 2) continue; // no frame yet
      const m = styleModel();
      let info;
      try {
        info = await load(m.name);
        const r = await easel.stylize(info.id, video, output,
          { width: Number(resolution.value), strength: strengthValue(), live: true, captureTime });
        const key = `${m.name} ${r.width}×${r.height}`;
        // Said once per model and size, so that a note of the engine's (a recovered
        // device) stays until the user changes something.
        if (announced !== key) say(`Camera on: stylizing with ${m.name} at ${r.width}×${r.height}.`);
        announced = key;
      } catch (err) {
        if (stream !== s) return;
        stopCamera();
        say(err.message, "error");
        return;
      }
      const st = easel.stats();
      $("frame-stats").textContent =
        `${st.fps.toFixed(1)} fps · ${st.latencyMs.toFixed(0)} ms latency · ${st.inFlight} in flight · ${st.size}`;
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
    savePNG(c, name);
  };
  // savePNG saves a 2D canvas as a PNG file called name.
  const savePNG = (c, name) => c.toBlob((blob) => {
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = name;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 10000);
  }, "image/png");
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
      say(`Stylized ${pictureName} with ${m.name} at ${r.width}×${r.height} in ${r.ms.toFixed(0)} ms.`);
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
    preload();
    renderPicture();
  });
  strength.addEventListener("change", renderPicture);

  // ---- Faces ----
  const FACES = 12, STEPS = 8;
  const faceModel = $("face-model"), grid = $("face-grid");
  const generators = index.filter((m) => m.arch === "dcgan-g");
  fill(faceModel, generators, "dcgan-g", "dcgan-faces");
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
      resetAttributes();
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

  // Attribute directions: a latent-directions model made for the chosen generator gives
  // one button per direction (a + and − pair; one for a turn). Each press moves the
  // current face along it and shows the face before → after; presses add up until the
  // face to change is picked again or "Start again".
  const attrStrength = $("attr-strength"), attrButtons = $("attr-buttons");
  const attrBefore = $("attr-before"), attrAfter = $("attr-after");
  const directionSets = index.filter((m) => m.arch === "latent-directions");
  let attr = null; // {z, text}: the current face and how it came about
  let attrVectors = new Map(); // direction name → Float32Array, for the generator shown
  const words = (name) => name.replaceAll("_", " ");
  const resetAttributes = () => {
    attr = null;
    $("attr-sum").textContent = "";
    $("attr-reset").disabled = true;
  };
  const attrStrengthValue = () => Number(attrStrength.value);
  attrStrength.addEventListener("input", () => { $("attr-strength-value").value = attrStrengthValue().toFixed(1); });
  const pressDirection = async (name, sign) => {
    if (zs.length === 0) return;
    const base = attr || { z: zs[Math.max(target, 0)], text: `face ${Math.max(target, 0) + 1}` };
    const k = attrStrengthValue();
    try {
      const z = check(easel.addDirection(base.z, attrVectors.get(name), sign * k));
      const step = `${sign > 0 ? "+" : "−"} ${k === 1 ? "" : k.toFixed(1) + " × "}${words(name)}`;
      await sample([base.z, z], [attrBefore, attrAfter]);
      attr = { z, text: `${base.text} ${step}` };
      $("attr-sum").textContent = attr.text;
      $("attr-reset").disabled = false;
    } catch (err) {
      say(err.message, "error");
    }
  };
  $("attr-reset").addEventListener("click", resetAttributes);
  // showDirections offers the directions made for generator m (nz values each), or says
  // why there are none.
  const showDirections = async (m, nz) => {
    attrButtons.replaceChildren();
    attrVectors = new Map();
    resetAttributes();
    attrStrength.disabled = true;
    const set = directionSets.find((d) => d.config && d.config.model === m.name);
    if (!set) {
      $("attr-note").textContent = `No latent directions are served for ${m.name}: these buttons need a ` +
        "latent-directions model made for it.";
      return;
    }
    let info;
    try {
      info = await load(set.name);
    } catch (err) {
      $("attr-note").textContent = err.message;
      return;
    }
    if (genModel() !== m) return; // another generator was chosen meanwhile
    if (info.nz !== nz) {
      $("attr-note").textContent = `${set.name} holds directions of ${info.nz} values, but ${m.name} takes latents of ${nz}.`;
      return;
    }
    for (const d of info.directions) {
      attrVectors.set(d.name, d.vector);
      const signs = d.name.startsWith("turn_") ? [1] : [1, -1];
      for (const sign of signs) {
        const b = document.createElement("button");
        b.type = "button";
        b.textContent = signs.length === 1 ? words(d.name) : `${sign > 0 ? "+" : "−"} ${words(d.name)}`;
        b.dataset.direction = d.name;
        b.dataset.sign = String(sign);
        b.addEventListener("click", () => pressDirection(d.name, sign));
        attrButtons.append(b);
      }
    }
    attrStrength.disabled = false;
    $("attr-note").textContent = `Directions of ${set.name}: ${info.directions.map((d) => words(d.name)).join(", ")}.`;
    attrButtons.dataset.model = set.name;
  };
  let facesShown = false;
  const newFaces = async () => {
    facesShown = true;
    const m = genModel();
    if (!m) {
      $("face-note").textContent = "No trained face generator (dcgan-g) is served: start easel serve with one.";
      $("attr-note").textContent = "";
      return;
    }
    $("face-note").textContent = m.description || "";
    grid.dataset.ready = "";
    try {
      const info = await load(m.name);
      const directions = grid.dataset.model === m.name ? null : showDirections(m, info.nz);
      zs = check(easel.randomLatents(FACES, info.nz, seed));
      ends = [];
      target = -1;
      withAttr.clear();
      withoutAttr.clear();
      showMarks();
      resetAttributes();
      const r = await sample(zs, tiles.map((t) => t.canvas));
      $("face-stats").textContent = `${m.name}: ${FACES} faces of ${info.side}×${info.side} in ${r.ms.toFixed(0)} ms.`;
      grid.dataset.seed = String(seed);
      grid.dataset.model = m.name;
      grid.dataset.ready = "true";
      $("faces-new").disabled = false;
      await directions;
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
  const onFirstView = (section, draw) => new IntersectionObserver((entries, observer) => {
    if (entries.some((e) => e.isIntersecting)) {
      observer.disconnect();
      draw();
    }
  }).observe(section);
  onFirstView($("faces"), () => { if (!facesShown) newFaces(); });

  // ---- Digits ----
  // A conditional GAN (cgan-g) draws the digit picked; an InfoGAN (infogan-g) draws the
  // categorical code picked, with its continuous codes from the sliders. Both draw a row
  // from the same fixed latents, so that only the class or codes change between draws.
  const DIGITS = 8;
  const digitModel = $("digit-model"), digitGrid = $("digit-grid"), digitClasses = $("digit-classes");
  const digitConts = $("digit-conts");
  const digitGenerators = index.filter((m) => m.arch === "cgan-g" || m.arch === "infogan-g");
  fill(digitModel, digitGenerators, "cgan-g", "cgan-mnist");
  const digitCanvases = [];
  for (let i = 0; i < DIGITS; i++) {
    const c = document.createElement("canvas");
    c.className = "face";
    c.width = c.height = 32;
    c.setAttribute("aria-label", `Sample ${i + 1} of ${DIGITS}`);
    digitGrid.append(c);
    digitCanvases.push(c);
  }
  let digitSeed = 1, digitInfo = null, digitLatents = [], digitClass = 0, digitsShown = false;
  const contValues = () => [...digitConts.querySelectorAll("input")].map((el) => Number(el.value));
  const drawDigits = async () => {
    const m = byName.get(digitModel.value), info = digitInfo;
    if (!m || !info || info.name !== m.name) return;
    const cont = contValues();
    const codes = { classes: [], cont: new Float32Array(DIGITS * cont.length) };
    for (let i = 0; i < DIGITS; i++) {
      if (info.classes + info.cat > 0) codes.classes.push(digitClass);
      codes.cont.set(cont, i * cont.length);
    }
    try {
      const r = await easel.sample(info.id, concat(digitLatents), digitCanvases, codes);
      const what = info.classes > 0 ? `digit ${digitClass}` :
        [info.cat > 0 ? `code ${digitClass}` : "", ...cont.map((v, j) => `c${j + 1} = ${v.toFixed(1)}`)].filter(Boolean).join(", ");
      $("digit-stats").textContent = `${m.name}: ${what}; ${DIGITS} samples of ${info.side}×${info.side} in ${r.ms.toFixed(0)} ms.`;
      digitGrid.dataset.model = m.name;
      digitGrid.dataset.draws = String(Number(digitGrid.dataset.draws || 0) + 1);
    } catch (err) {
      say(err.message, "error");
    }
  };
  // Draws run one at a time: what the controls ask for while one runs is drawn once it
  // ends, however often they changed meanwhile.
  let digitsDrawing = null, digitsAgain = false;
  const redrawDigits = () => {
    if (digitsDrawing) {
      digitsAgain = true;
      return digitsDrawing;
    }
    digitsDrawing = (async () => {
      do {
        digitsAgain = false;
        await drawDigits();
      } while (digitsAgain);
      digitsDrawing = null;
    })();
    return digitsDrawing;
  };
  const pickDigitClass = (k) => {
    digitClass = k;
    for (const b of digitClasses.children) b.setAttribute("aria-pressed", String(Number(b.dataset.class) === k));
    redrawDigits();
  };
  const newDigitLatents = () => {
    digitLatents = check(easel.randomLatents(DIGITS, digitInfo.nz, digitSeed));
    digitGrid.dataset.seed = String(digitSeed);
  };
  // showDigits loads the chosen generator and sets up its class or code buttons and sliders.
  const showDigits = async () => {
    digitsShown = true;
    const m = byName.get(digitModel.value);
    digitClasses.replaceChildren();
    digitConts.replaceChildren();
    digitInfo = null;
    if (!m) {
      $("digit-note").textContent = "No trained digit generator (cgan-g or infogan-g) is served: start easel serve with one.";
      $("digit-class-label").hidden = true;
      return;
    }
    $("digit-note").textContent = m.description || "";
    let info;
    try {
      info = await load(m.name);
    } catch (err) {
      say(err.message, "error");
      return;
    }
    if (byName.get(digitModel.value) !== m) return; // another was chosen meanwhile
    digitInfo = info;
    const k = info.classes || info.cat;
    $("digit-class-label").textContent = info.classes > 0 ? "Digit" : "Code";
    $("digit-class-label").hidden = k === 0;
    digitClass = 0;
    for (let i = 0; i < k; i++) {
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = String(i);
      b.dataset.class = String(i);
      b.setAttribute("aria-pressed", String(i === 0));
      b.addEventListener("click", () => pickDigitClass(i));
      digitClasses.append(b);
    }
    for (let j = 0; j < info.cont; j++) {
      const lab = document.createElement("label");
      const input = document.createElement("input");
      input.type = "range";
      input.min = "-2";
      input.max = "2";
      input.step = "0.1";
      input.value = "0";
      input.id = `digit-cont-${j}`;
      const out = document.createElement("output");
      out.htmlFor = input.id;
      out.value = "0.0";
      input.addEventListener("input", () => {
        out.value = Number(input.value).toFixed(1);
        redrawDigits();
      });
      lab.append(`Code c${j + 1}`, input, out);
      digitConts.append(lab);
    }
    newDigitLatents();
    $("digits-new").disabled = false;
    await redrawDigits();
  };
  $("digits-new").addEventListener("click", () => {
    if (!digitInfo) return;
    digitSeed++;
    newDigitLatents();
    redrawDigits();
  });
  digitModel.addEventListener("change", showDigits);
  onFirstView($("digits"), () => { if (!digitsShown) showDigits(); });

  // ---- Texture & Gatys ----
  // An image optimised step by step against a style image's Gram matrices (a texture), and
  // a content image's features (Gatys et al.'s transfer), on a random VGG16 the engine
  // makes: no model of the index is needed. The engine reports every step; the picture
  // comes every few steps and is drawn on a 2D canvas.
  const synthMode = $("synth-mode"), synthStyle = $("synth-style"), synthContent = $("synth-content");
  const synthAlpha = $("synth-alpha"), synthBeta = $("synth-beta"), synthOut = $("synth-output");
  const synthStats = $("synth-stats"), synthStart = $("synth-start"), synthStop = $("synth-stop");
  const synthFiles = { style: null, content: null }; // the pictures picked, as ImageBitmaps
  let synthSeed = 0, synthRunning = false, synthStopAsked = false;
  const optionText = (select) => select.options[select.selectedIndex].textContent;
  const showSynthMode = () => {
    const gatys = synthMode.value === "gatys";
    for (const el of [synthContent, $("synth-content-file"), synthAlpha, synthBeta]) el.disabled = !gatys;
    $("synth-note").textContent = gatys ?
      "Starts from the content image and moves it towards the style: α keeps the content, β brings the style; " +
      "only their ratio matters." :
      "Starts from gray noise and gives it the style image's textures, everywhere alike. The weights matter only " +
      "for style transfer.";
  };
  showSynthMode();
  synthMode.addEventListener("change", showSynthMode);
  for (const [input, out] of [[synthAlpha, "synth-alpha-value"], [synthBeta, "synth-beta-value"]]) {
    input.addEventListener("input", () => { $(out).value = Number(input.value).toFixed(1); });
  }
  // A picked file becomes the choice "Your image" of its select.
  const pickSynthFile = async (which, select, file) => {
    if (!file) return;
    if (!file.type.startsWith("image/")) {
      say(`${file.name} is not an image.`, "error");
      return;
    }
    try {
      synthFiles[which] = await createImageBitmap(file);
    } catch (err) {
      say(`The image ${file.name} could not be read: ${err.message}`, "error");
      return;
    }
    const opt = select.querySelector('option[value="file"]');
    opt.disabled = false;
    opt.textContent = `Your image: ${file.name}`;
    select.value = "file";
  };
  $("synth-style-file").addEventListener("change", (ev) => pickSynthFile("style", synthStyle, ev.target.files[0]));
  $("synth-content-file").addEventListener("change", (ev) => pickSynthFile("content", synthContent, ev.target.files[0]));
  // synthPicture is the picture a select chooses: a painting served with the page, the
  // picked file or the camera's current frame.
  const synthPicture = async (which, select) => {
    const v = select.value;
    if (v === "file") return synthFiles[which];
    if (v === "camera") {
      if (!stream || video.readyState < 2) {
        throw new Error("The camera is off: start it in the Webcam section above, or choose another content image.");
      }
      return video;
    }
    const resp = await fetch(v);
    if (!resp.ok) throw new Error(`${optionText(select)} failed to load: HTTP ${resp.status} ${resp.statusText}`);
    return createImageBitmap(await resp.blob());
  };
  // pixels draws a picture at w×h (on white, for transparent pictures) and returns its RGBA.
  const pixels = (src, w, h) => {
    const c = document.createElement("canvas");
    c.width = w;
    c.height = h;
    const g = c.getContext("2d", { willReadFrequently: true });
    g.fillStyle = "#fff";
    g.fillRect(0, 0, w, h);
    g.drawImage(src, 0, 0, w, h);
    return g.getImageData(0, 0, w, h);
  };
  // fit is a picture's size with its longer side size, aspect kept.
  const fit = (src, size) => {
    const sw = src.videoWidth || src.width, sh = src.videoHeight || src.height;
    const short = (a, b) => Math.max(8, Math.round(size * a / b));
    return sw >= sh ? [size, short(sh, sw)] : [short(sw, sh), size];
  };
  const showSynthRunning = (on) => {
    synthRunning = on;
    synthStart.disabled = on;
    synthStop.disabled = !on;
  };
  const num = (x) => x.toPrecision(3);
  const startSynth = async () => {
    const mode = synthMode.value, size = Number($("synth-size").value);
    const what = mode === "gatys" ? "Style transfer" : "Texture";
    let style, content = null, w = size, h = size;
    showSynthRunning(true);
    synthStopAsked = false;
    synthStats.dataset.state = "loading";
    for (const k of ["step", "firstLoss", "loss"]) delete synthStats.dataset[k];
    try {
      const s = await synthPicture("style", synthStyle);
      style = pixels(s, ...fit(s, size));
      if (mode === "gatys") {
        const c = await synthPicture("content", synthContent);
        [w, h] = fit(c, size);
        content = pixels(c, w, h);
      }
    } catch (err) {
      synthFailed(err);
      return;
    }
    if (synthStopAsked) { // Stop while the pictures loaded
      showSynthRunning(false);
      synthStats.dataset.state = "stopped";
      return;
    }
    const g = synthOut.getContext("2d");
    let first = null, last = null;
    const started = performance.now();
    synthStats.dataset.state = "running";
    synthStats.textContent = `${what}, ${w}×${h}: preparing the loss network. The first run compiles its GPU kernels, ` +
      "which can take a while.";
    const onProgress = (p) => {
      if (p.image) {
        if (synthOut.width !== p.image.width || synthOut.height !== p.image.height) {
          synthOut.width = p.image.width; // the last run's picture stays until now
          synthOut.height = p.image.height;
        }
        g.putImageData(new ImageData(p.image.data, p.image.width, p.image.height), 0, 0);
        synthOut.dataset.step = String(p.step);
        $("synth-save").disabled = false;
      }
      synthStats.dataset.step = String(p.step);
      if (!p.loss) {
        synthStats.textContent = `${what}, ${w}×${h}: step 0 of ${p.steps}, the ${mode === "gatys" ? "content image" : "noise"} it starts from.`;
        return;
      }
      last = p.loss.total;
      if (first === null) first = last;
      synthStats.dataset.firstLoss = String(first);
      synthStats.dataset.loss = String(last);
      const terms = mode === "gatys" ? ` (content ${num(p.loss.content)}, style ${num(p.loss.style)})` : "";
      synthStats.textContent = `${what}, ${w}×${h}: step ${p.step} of ${p.steps} · loss ${num(last)}${terms} · ${p.ms.toFixed(0)} ms per step`;
    };
    try {
      const r = await easel.synthesize({
        mode, style, content, width: w, height: h, steps: Number($("synth-steps").value), every: Number($("synth-every").value),
        alpha: Number(synthAlpha.value), beta: Number(synthBeta.value), seed: ++synthSeed, onProgress,
      });
      const secs = ((performance.now() - started) / 1000).toFixed(1);
      synthStats.dataset.state = r.stopped ? "stopped" : "done";
      say(`${what} with ${optionText(synthStyle)}: ${r.stopped ? "stopped after" : "done in"} ${r.steps} steps at ${w}×${h}, ${secs} s` +
        (r.steps > 0 ? `; loss ${num(first)} → ${num(r.loss)}.` : "."));
    } catch (err) {
      synthFailed(err);
      return;
    }
    showSynthRunning(false);
  };
  // synthFailed says why a run could not start or go on, in #status and under the picture.
  const synthFailed = (err) => {
    showSynthRunning(false);
    synthStats.dataset.state = "error";
    synthStats.textContent = err.message;
    say(err.message, "error");
  };
  synthStart.addEventListener("click", () => { if (!synthRunning) startSynth(); });
  synthStop.addEventListener("click", () => {
    synthStopAsked = true;
    easel.stopSynthesis();
  });
  $("synth-save").addEventListener("click", () => savePNG(synthOut, `easel-${synthMode.value}-${stamp()}.png`));
  synthStart.disabled = false;

  cameraButton.disabled = false;
})();
