#!/usr/bin/python3
"""Writes the PyTorch fixtures for Easel's perceptual-loss parity test
(models/style_parity_test.go).

Run with Debian's python3-torch:  /usr/bin/python3 models/testdata/make_style.py

The loss is the one of models.PerceptualLoss, on a VGG16 feature stack laid out as
torchvision's (`features.N.weight`), cut after relu3_1:
  content  ContentWeight · mse(relu_c(y), relu_c(x))
  style    Σ_l w_l · mse(gram(relu_l(y)), gram(relu_l(style)) repeated over the batch),
           gram as fast_neural_style's utils.gram_matrix (F Fᵀ / (C·H·W)); with
           normalize, w_l = StyleWeight / mean(gram(relu_l(style))²), else StyleWeight
  tv       TVWeight · Σ (horizontal and vertical squared differences) / N, as gpu.TotalVariation
The loss network's input is RGB in 0..255, normalised as torchvision's transforms do:
x/255 − mean, / std per channel.

Three runs:
  train    three steps of models.StyleTrainer: fast_neural_style's TransformerNet (copied in
           make_golden.py; tiny widths 4, 8, 8 and one residual block; its instance norms'
           affine parameters moved off 1 and 0, its last convolution's weights ×60 and bias
           +128 so that its output spans the image range as a trained one does) stylises a
           batch of two 20×20 crops; the loss (content, style, TV, style normalised);
           backward; Adam(lr, 0.9, 0.999, 1e-8).
  gatys    three Adam steps of models.ImageOptimizer on an 18×22 image (content, style, TV,
           style normalised), started from the content image plus noise.
  evaluate the loss and its gradient with respect to the image of ImageOptimizer.Evaluate,
           for texture synthesis (style only, not normalised) and for feature inversion
           (content and TV only).

The loss network's weights are not in the fixture (they would be megabytes): both sides
draw them from the same 64-bit LCG (vgg_weights below; models/style_parity_test.go repeats
it), uniform with kaiming fan_out's std √(2/(out·9)) for the weights and ±0.05 for the
biases. Every step is exact integer arithmetic and one float64 multiplication, so both
sides get the same float32 values (config.json's vgg.probe lets the test check it).

Conditioning. Two things make float32 implementations part ways where float64 would not,
and the fixture is built to avoid both:
  - Where a gradient is much larger than Adam's eps, Adam's first steps are lr·sign(g)
    whatever its size: an element whose gradient is near zero moves a whole lr one way or
    the other as rounding decides (the biases of the convolutions an instance norm follows
    have gradient exactly zero), and a gradient wrong by a factor would not show. So the
    loss weights are small enough (train: max|g| about Adam's eps 1e-8) or Adam's eps
    large enough (gatys: 0.1, against max|g| 0.017) that each update is close to
    proportional to its gradient.
  - A ReLU whose input is near zero, or a max-pool window whose two largest values are
    nearly equal, passes the gradient or not as rounding decides. The network's float32
    output differs from float64's by about 5e-4 (on 0..255), in PyTorch as in Easel, and at
    these tiny sizes one such decision in the loss network moves a gradient by 1e-3 of its
    largest value. Through relu2_1 and deeper layers that happens in most draws, so the
    training run uses relu1_1 and relu1_2 only; the deeper layers and both max pools are
    compared by gatys and evaluate, whose image is the input itself. The network's output
    is also kept in the image range: the near-constant output of an untrained TransformerNet
    puts VGG features at such boundaries everywhere.
The script refuses a fixture that float64 training cannot reproduce within MAX_AMPLIFIED
(relative to each tensor's max|value|) when every gradient is off by GRAD_NOISE of its
tensor's max|g| (about the float32 error of PyTorch's own gradients here), or, for train,
when the network's output is off by OUT_NOISE (absolute, on 0..255; NOISE_DRAWS draws)
where the loss network reads it.

Outputs (in style/):
  config.json           the networks, losses and hyperparameters
  x.npy                 float32 [4,3,20,20] in 0..255, content crops (step i takes batch i mod 2)
  style.npy             float32 [1,3,22,26] in 0..255, the style image
  net_init.pth          the TransformerNet before training (torch.save(state_dict()))
  net_trained.pth       after three steps
  train_losses.npy      float64 [3,4]: content, style, tv, total per step (before its update)
  train_output.npy      float32 [2,3,20,20]: the third step's stylised crops
  gatys_content.npy     float32 [1,3,18,22], the content image
  gatys_init.npy        float32 [1,3,18,22], the starting image
  gatys_losses.npy      float64 [3,4]
  gatys_image.npy       float32 [1,3,18,22], the image after three steps
  eval_image.npy        float32 [1,3,18,22], the image Evaluate is given
  texture_loss.npy, inversion_loss.npy   float64 [4]: content, style, tv, total
  texture_grad.npy, inversion_grad.npy   float32 [1,3,18,22]: the gradient there
"""
import functools
import importlib.util
import json
import math
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("golden", os.path.join(here, "make_golden.py"))
golden = importlib.util.module_from_spec(spec)
spec.loader.exec_module(golden)  # its fixtures are written only under __main__
TransformerNet = golden.TransformerNet

STEPS = 3
NET = {"c1": 4, "c2": 8, "c3": 8, "blocks": 1}
VGG = {"depth": 16, "convs": 5, "seed": 12345}  # relu1_1 .. relu3_1
LAYERS = ["relu1_1", "relu1_2", "relu2_1", "relu2_2", "relu3_1"]
BATCH, SIZE = 2, 20
STYLE_H, STYLE_W = 22, 26
IMG_H, IMG_W = 18, 22
TRAIN = {"lr": 1e-3, "content_layer": "relu1_2", "style_layers": ["relu1_1", "relu1_2"],
         "content_weight": 2e-7, "style_weight": 2e-8, "tv_weight": 4e-15, "normalize": True}
GATYS = {"lr": 2.0, "eps": 0.1, "content_layer": "relu2_1", "style_layers": ["relu1_1", "relu2_2", "relu3_1"],
         "content_weight": 2000.0, "style_weight": 5.0, "tv_weight": 5e-6, "normalize": True}
TEXTURE = {"content_layer": "", "style_layers": ["relu1_2", "relu3_1"],
           "content_weight": 0.0, "style_weight": 2e7, "tv_weight": 0.0, "normalize": False}
INVERSION = {"content_layer": "relu3_1", "style_layers": [],
             "content_weight": 400.0, "style_weight": 0.0, "tv_weight": 4e-6, "normalize": False}
MEAN, STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
GRAD_NOISE, MAX_AMPLIFIED = 1e-4, 2e-5
OUT_NOISE, NOISE_DRAWS = 1e-3, 5

# The LCG of the loss network's weights (Knuth's MMIX constants).
LCG_A, LCG_C, MASK = 6364136223846793005, 1442695040888963407, (1 << 64) - 1


def lcg_uniform(n, state, bound):
    """n float32 values uniform in (−bound, bound) and the generator's state after them:
    state ← A·state + C (mod 2⁶⁴); v = (state >> 40) − 2²³ + 0.5; value = float32(v · bound/2²³)."""
    scale = bound / float(1 << 23)
    out = np.empty(n, dtype=np.float32)
    for i in range(n):
        state = (LCG_A * state + LCG_C) & MASK
        out[i] = np.float32((float((state >> 40) - (1 << 23)) + 0.5) * scale)
    return out, state


def vgg_convs():
    """(index in features, in channels, out channels, whether a max pool precedes it) of
    each of VGG16's convolutions, input first (torchvision's vgg16().features layout)."""
    convs, idx, cin = [], 0, 3
    for b, (n, width) in enumerate(zip([2, 2, 3, 3, 3], [64, 128, 256, 512, 512])):
        for i in range(n):
            convs.append((idx, cin, width, b > 0 and i == 0))
            idx += 2
            cin = width
        idx += 1
    return convs


@functools.lru_cache(maxsize=None)
def vgg_weights():
    """The loss network's state_dict: features.N.weight then features.N.bias, conv by conv,
    from one LCG stream seeded with VGG["seed"]."""
    state, sd = VGG["seed"], {}
    for idx, cin, cout, _ in vgg_convs()[:VGG["convs"]]:
        w, state = lcg_uniform(cout * cin * 9, state, math.sqrt(3.0) * math.sqrt(2.0 / (cout * 9)))
        b, state = lcg_uniform(cout, state, 0.05)
        sd["features.%d.weight" % idx] = torch.from_numpy(w).view(cout, cin, 3, 3)
        sd["features.%d.bias" % idx] = torch.from_numpy(b)
    return sd


class VGGFeatures(nn.Module):
    """torchvision's vgg16().features cut after VGG["convs"] convolutions."""

    def __init__(self):
        super().__init__()
        mods = []
        for idx, cin, cout, pool in vgg_convs()[:VGG["convs"]]:
            if pool:
                mods.append(nn.MaxPool2d(2, 2))
            assert len(mods) == idx
            mods += [nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU(inplace=False)]
        self.features = nn.Sequential(*mods)
        self.load_state_dict(vgg_weights())
        for p in self.parameters():
            p.requires_grad_(False)

    def forward(self, x, want):
        """The ReLU outputs at the named layers of x (RGB 0..255), in want's order."""
        dtype = x.dtype
        mean = torch.tensor(MEAN, dtype=dtype).view(1, 3, 1, 1)
        std = torch.tensor(STD, dtype=dtype).view(1, 3, 1, 1)
        y = (x / 255.0 - mean) / std
        deepest = max(LAYERS.index(l) for l in want)
        out, conv = {}, 0
        for m in self.features:
            y = m(y)
            if isinstance(m, nn.ReLU):
                out[LAYERS[conv]] = y
                if conv == deepest:
                    break
                conv += 1
        return [out[l] for l in want]


def gram(y):
    """fast_neural_style's utils.gram_matrix."""
    b, ch, h, w = y.size()
    features = y.view(b, ch, w * h)
    return features.bmm(features.transpose(1, 2)) / (ch * h * w)


def total_variation(y):
    """gpu.TotalVariation: the squared differences of horizontally and vertically adjacent
    elements, summed over each image and averaged over the batch."""
    return (((y[:, :, :, 1:] - y[:, :, :, :-1]) ** 2).sum() + ((y[:, :, 1:, :] - y[:, :, :-1, :]) ** 2).sum()) / y.shape[0]


class Loss:
    """models.PerceptualLoss with its style targets: for n copies of style."""

    def __init__(self, cfg, vgg, style, n):
        self.cfg, self.vgg = cfg, vgg
        self.grams, self.weights = [], []
        if cfg["style_layers"]:
            with torch.no_grad():
                for f in vgg(style.repeat(n, 1, 1, 1), cfg["style_layers"]):
                    g = gram(f)
                    self.grams.append(g)
                    w = cfg["style_weight"]
                    if cfg["normalize"]:
                        w /= (g.double() ** 2).mean().item()
                    self.weights.append(w)

    def __call__(self, y, content):
        """The weighted terms [content, style, tv] and the total, for image y; content is the
        content layer's features to match (None without a content layer)."""
        cfg = self.cfg
        want = list(cfg["style_layers"]) + ([cfg["content_layer"]] if cfg["content_layer"] else [])
        feats = self.vgg(y, want)
        zero = y.new_zeros(())
        c = cfg["content_weight"] * F.mse_loss(feats[-1], content) if cfg["content_layer"] else zero
        s = zero
        for i, (g, w) in enumerate(zip(self.grams, self.weights)):
            s = s + w * F.mse_loss(gram(feats[i]), g)
        tv = cfg["tv_weight"] * total_variation(y)
        return [c, s, tv], c + s + tv


def images():
    """Content crops, the style image and the optimised images' content, start and evaluation
    points: smooth colour patterns with noise, in 0..255."""
    g = torch.Generator().manual_seed(3)

    def pattern(n, h, w):
        yy, xx = torch.meshgrid(torch.linspace(-1, 1, h), torch.linspace(-1, 1, w), indexing="ij")
        out = []
        for _ in range(n):
            f = 1 + 4 * torch.rand(3, 1, 1, generator=g)
            ph = 6.28 * torch.rand(3, 1, 1, generator=g)
            tilt = torch.rand(3, 1, 1, generator=g) * 2 - 1
            img = 128 + 90 * torch.sin(f * (xx + tilt * yy) + ph) + 20 * torch.randn(3, h, w, generator=g)
            out.append(img.clamp(0, 255))
        return torch.stack(out).float()

    x = pattern(2 * BATCH, SIZE, SIZE)
    style = pattern(1, STYLE_H, STYLE_W)
    content = pattern(1, IMG_H, IMG_W)
    init = (content + 30 * torch.randn(content.shape, generator=g)).float()
    ev = pattern(1, IMG_H, IMG_W)
    return {"x": x, "style": style, "gatys_content": content, "gatys_init": init, "eval_image": ev}


def transformer_init():
    """The tiny TransformerNet: PyTorch's initialisation, then its instance norms' weights
    1 + 0.3·N(0,1) and biases 0.2·N(0,1) so that they matter."""
    torch.manual_seed(21)
    net = TransformerNet(NET["c1"], NET["c2"], NET["c3"], NET["blocks"])
    with torch.no_grad():
        for name, p in net.named_parameters():
            if ".conv2d." in name:
                continue
            if name.endswith(".weight"):
                p.copy_(1 + 0.3 * torch.randn(p.shape))
            else:
                p.copy_(0.2 * torch.randn(p.shape))
        net.deconv3.conv2d.weight.mul_(60)
        net.deconv3.conv2d.bias.add_(128)
    return {k: v.clone() for k, v in net.state_dict().items()}


def add_noise(params, noise, step):
    """For the conditioning check: adds noise[0]·max|g|·N(0,1) to each parameter's gradient
    g, drawn with seed noise[1] (and the step and parameter)."""
    if not noise:
        return
    with torch.no_grad():
        for i, p in enumerate(params):
            rng = torch.Generator().manual_seed(noise[1] * 100000 + step * 1000 + i)
            p.grad.add_(noise[0] * p.grad.abs().max() * torch.randn(p.shape, generator=rng, dtype=p.dtype))


def train(imgs, init, vgg, dtype=torch.float32, noise=None, out_noise=None):
    """Three StyleTrainer steps: the losses, the last step's output and the trained weights.
    noise: see add_noise; out_noise (size, seed): for the conditioning check, noise of that
    size (absolute, on 0..255) added to the network's output where the loss network reads it."""
    net = TransformerNet(NET["c1"], NET["c2"], NET["c3"], NET["blocks"])
    net.load_state_dict(init)
    net.to(dtype)
    vgg = vgg.to(dtype)
    x = imgs["x"].to(dtype)
    loss = Loss(TRAIN, vgg, imgs["style"].to(dtype), BATCH)
    opt = torch.optim.Adam(net.parameters(), lr=TRAIN["lr"], betas=(0.9, 0.999), eps=1e-8)
    losses = []
    for i in range(STEPS):
        xb = x[(i % 2) * BATCH:(i % 2 + 1) * BATCH]
        opt.zero_grad()
        y = net(xb)
        with torch.no_grad():
            content = vgg(xb, [TRAIN["content_layer"]])[0]
        if out_noise:
            rng = torch.Generator().manual_seed(out_noise[1] * 1000 + i)
            y = y + out_noise[0] * torch.randn(y.shape, generator=rng, dtype=dtype)
        terms, total = loss(y, content)
        total.backward()
        if dtype == torch.float64 and not noise and not out_noise:
            print("train step %d: max|gradient| %.2e (Adam's eps 1e-8)" % (i + 1, max(p.grad.abs().max() for p in net.parameters())))
        add_noise(list(net.parameters()), noise, i)
        opt.step()
        losses.append([t.item() for t in terms] + [total.item()])
        out = y.detach()
    return losses, out, {k: v.detach().clone() for k, v in net.state_dict().items()}


def gatys(imgs, vgg, dtype=torch.float32, noise=None):
    """Three ImageOptimizer Adam steps: the losses and the image after them."""
    vgg = vgg.to(dtype)
    loss = Loss(GATYS, vgg, imgs["style"].to(dtype), 1)
    with torch.no_grad():
        content = vgg(imgs["gatys_content"].to(dtype), [GATYS["content_layer"]])[0]
    img = imgs["gatys_init"].to(dtype).clone().requires_grad_(True)
    opt = torch.optim.Adam([img], lr=GATYS["lr"], betas=(0.9, 0.999), eps=GATYS["eps"])
    losses = []
    for i in range(STEPS):
        opt.zero_grad()
        terms, total = loss(img, content)
        total.backward()
        if dtype == torch.float64 and not noise:
            print("gatys step %d: max|gradient| %.2e (Adam's eps %g)" % (i + 1, img.grad.abs().max(), GATYS["eps"]))
        add_noise([img], noise, i)
        opt.step()
        losses.append([t.item() for t in terms] + [total.item()])
    return losses, img.detach()


def evaluate(imgs, vgg, cfg):
    """ImageOptimizer.Evaluate at eval_image: the terms and total, and the gradient."""
    style = imgs["style"] if cfg["style_layers"] else None
    loss = Loss(cfg, vgg, style, 1)
    content = None
    if cfg["content_layer"]:
        with torch.no_grad():
            content = vgg(imgs["gatys_content"], [cfg["content_layer"]])[0]
    img = imgs["eval_image"].clone().requires_grad_(True)
    terms, total = loss(img, content)
    total.backward()
    return np.array([t.item() for t in terms] + [total.item()], dtype=np.float64), img.grad.numpy()


def worst(a, b):
    """The largest |a − b| of any tensor relative to that tensor's max|b|, and its name."""
    w, name = 0.0, ""
    for k, v in b.items():
        e = ((a[k].double() - v.double()).abs().max() / v.double().abs().max()).item()
        if e > w:
            w, name = e, k
    return w, name


def main():
    out = os.path.join(here, "style")
    os.makedirs(out, exist_ok=True)
    imgs = images()
    vgg = VGGFeatures()
    init = transformer_init()

    losses, output, trained = train(imgs, init, vgg)
    ref_losses, _, ref = train(imgs, init, VGGFeatures(), torch.float64)
    for i, (l, r) in enumerate(zip(losses, ref_losses)):
        print("train step %d: content, style, tv, total %s (float64 %s)" % (i + 1, l, r))
    f32, f32n = worst(trained, ref)
    amp, ampn = max(worst(train(imgs, init, VGGFeatures(), torch.float64, (GRAD_NOISE, s))[2], ref) for s in range(3))
    oamp, oampn = max(worst(train(imgs, init, VGGFeatures(), torch.float64, None, (OUT_NOISE, s))[2], ref) for s in range(NOISE_DRAWS))
    print("train: float32 vs float64 worst tensor error %.1e (%s); gradients off by %.0e: %.1e (%s); "
          "output off by %g: %.1e (%s)" % (f32, f32n, GRAD_NOISE, amp, ampn, OUT_NOISE, oamp, oampn))
    amp = max(amp, oamp)
    if amp > MAX_AMPLIFIED:
        raise SystemExit("train: ill-conditioned fixture (%.1e > %.0e)" % (amp, MAX_AMPLIFIED))

    g_losses, g_img = gatys(imgs, vgg)
    g_ref_losses, g_ref = gatys(imgs, VGGFeatures(), torch.float64)
    for i, (l, r) in enumerate(zip(g_losses, g_ref_losses)):
        print("gatys step %d: %s (float64 %s)" % (i + 1, l, r))
    f32, _ = worst({"img": g_img}, {"img": g_ref})
    amp = max(worst({"img": gatys(imgs, VGGFeatures(), torch.float64, (GRAD_NOISE, s))[1]}, {"img": g_ref})[0] for s in range(3))
    print("gatys: float32 vs float64 image error %.1e; gradients off by %.0e: %.1e" % (f32, GRAD_NOISE, amp))
    if amp > MAX_AMPLIFIED:
        raise SystemExit("gatys: ill-conditioned fixture (%.1e > %.0e)" % (amp, MAX_AMPLIFIED))

    results = {}
    for name, cfg in (("texture", TEXTURE), ("inversion", INVERSION)):
        results[name] = evaluate(imgs, vgg, cfg)
        print("%s: loss %s, max|grad| %.3e" % (name, np.round(results[name][0], 6), np.abs(results[name][1]).max()))

    # The first and last value of every loss-network tensor, for the test to check that it
    # draws the same weights.
    probe = [[k, i, float(v.flatten()[i])] for k, v in vgg_weights().items() for i in (0, v.numel() - 1)]
    cfg = {"net": NET, "vgg": dict(VGG, probe=probe), "batch": BATCH, "size": SIZE, "steps": STEPS,
           "style_h": STYLE_H, "style_w": STYLE_W, "img_h": IMG_H, "img_w": IMG_W,
           "train": TRAIN, "gatys": GATYS, "texture": TEXTURE, "inversion": INVERSION}
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(cfg, f, indent=1, sort_keys=True)
        f.write("\n")
    for k, v in imgs.items():
        np.save(os.path.join(out, k + ".npy"), v.numpy().astype(np.float32))
    torch.save(init, os.path.join(out, "net_init.pth"))
    torch.save(trained, os.path.join(out, "net_trained.pth"))
    np.save(os.path.join(out, "train_losses.npy"), np.array(losses, dtype=np.float64))
    np.save(os.path.join(out, "train_output.npy"), output.numpy().astype(np.float32))
    np.save(os.path.join(out, "gatys_losses.npy"), np.array(g_losses, dtype=np.float64))
    np.save(os.path.join(out, "gatys_image.npy"), g_img.numpy().astype(np.float32))
    for name, (l, g) in results.items():
        np.save(os.path.join(out, name + "_loss.npy"), l)
        np.save(os.path.join(out, name + "_grad.npy"), g.astype(np.float32))


if __name__ == "__main__":
    main()
