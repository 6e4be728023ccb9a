package autograd

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"easel/gpu"
	"easel/gpu/ref"
)

// smallNet is a network that uses most differentiable ops at once, on odd, non-square,
// batched shapes: strided conv with bias, train-mode batch norm, LeakyReLU, transposed
// conv, tanh, reflect-padded conv, instance norm with a residual add, ReLU, a fused
// upsample+conv, max pooling, Concat, Linear, sigmoid and BCE, plus an MSE term through
// Mul and Scale.
type smallNet struct {
	x, target, img []float64 // input [2,3,11,13], labels [2], image target of the tanh output
	names          []string
	shapes         [][]int
}

const netEps = 1e-5

func newSmallNet(rng *rand.Rand) *smallNet {
	n := &smallNet{
		names: []string{"c1.w", "c1.b", "bn.g", "bn.b", "ct.w", "c2.w", "in.g", "in.b", "up.w", "fc.w", "fc.b"},
		shapes: [][]int{
			{4, 3, 3, 3}, {4}, {4}, {4}, // conv 3→4, 3×3 s2 p1 (11×13 → 6×7), bn
			{4, 3, 4, 4},           // conv_transpose 4→3, 4×4 s2 p1 (6×7 → 12×14)
			{3, 3, 3, 3}, {3}, {3}, // reflect conv 3→3 p1, instance norm
			{2, 3, 3, 3},              // upsample ×2 then conv 3→2 p1 on the 6×7 pooled map: 12×14
			{1, 2*12*14 + 3*6*7}, {1}, // linear on concat(flatten(up), flatten(pool))
		},
	}
	n.x = randn(rng, 2*3*11*13, 1)
	n.target = []float64{1, 0}
	n.img = randn(rng, 2*3*12*14, 0.5)
	return n
}

func randn(rng *rand.Rand, n int, std float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = float64(float32(std * rng.NormFloat64()))
	}
	return v
}

func f32(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

// loss is the float64 reference of the network's loss for parameters p (by name).
func (n *smallNet) loss(p map[string][]float64) float64 {
	h, hs := ref.Conv2D(n.x, []int{2, 3, 11, 13}, p["c1.w"], []int{4, 3, 3, 3}, p["c1.b"], 2, 1, false)
	h, _, _ = ref.BatchNormTrain(h, hs, p["bn.g"], p["bn.b"], make([]float64, 4), ones(4), 0.1, netEps)
	h = ref.Unary(h, ref.LeakyReLU(0.2))
	t, ts := ref.ConvTranspose2D(h, hs, p["ct.w"], []int{4, 3, 4, 4}, nil, 2, 1, 0)
	t = ref.Unary(t, ref.Tanh)
	// MSE of tanh output against the image, through Mul by itself and a Scale.
	sq := ref.Binary(t, t, func(a, b float64) float64 { return a * b })
	mse := ref.MSE(ref.Unary(sq, func(v float64) float64 { return 0.5*v + 0.1 }), n.img)
	c, cs := ref.Conv2D(t, ts, p["c2.w"], []int{3, 3, 3, 3}, nil, 1, 1, true)
	c = ref.InstanceNorm(c, cs, p["in.g"], p["in.b"], netEps)
	c = ref.Binary(c, t, func(a, b float64) float64 { return a + b })
	c = ref.Unary(c, ref.ReLU)
	pool, ps := ref.MaxPool2D(c, cs, 2, 2, 0)
	u, us := ref.UpsampleNearest(pool, ps, 2)
	u, _ = ref.Conv2D(u, us, p["up.w"], []int{2, 3, 3, 3}, nil, 1, 1, false)
	// Concat along dim 1 of the flattened [2, 336] and [2, 126].
	cat := ref.Concat(1, [][]float64{u, pool}, [][]int{{2, 2 * 12 * 14}, {2, 3 * 6 * 7}})
	logit := ref.Linear(cat, p["fc.w"], p["fc.b"], 2, 2*12*14+3*6*7, 1)
	prob := ref.Unary(logit, ref.Sigmoid)
	return ref.BCE(prob, n.target) + mse
}

func ones(n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = 1
	}
	return v
}

// record records the same network on the tape.
func (n *smallNet) record(t *testing.T, tp *Tape, v map[string]*Var, x, target, img *gpu.Tensor) *Var {
	t.Helper()
	runMean, err := testDev.FromData(make([]float32, 4), 4)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(runMean.Release)
	runVar := upload(t, []float32{1, 1, 1, 1}, 4)
	h := tp.Conv2D(tp.Constant(x), v["c1.w"], v["c1.b"], gpu.Conv2DParams{Stride: 2, Padding: 1})
	h = tp.BatchNormTrain(h, v["bn.g"], v["bn.b"], runMean, runVar, 0.1, netEps)
	h = tp.LeakyReLU(h, 0.2)
	tt := tp.Tanh(tp.ConvTranspose2D(h, v["ct.w"], nil, gpu.ConvTranspose2DParams{Stride: 2, Padding: 1}))
	mse := tp.MSE(tp.Scale(tp.Mul(tt, tt), 0.5, 0.1), tp.Constant(img))
	c := tp.Conv2D(tt, v["c2.w"], nil, gpu.Conv2DParams{Stride: 1, Padding: 1, PadMode: gpu.PadReflect})
	c = tp.ReLU(tp.Add(tp.InstanceNorm(c, v["in.g"], v["in.b"], netEps), tt))
	pool := tp.MaxPool2D(c, gpu.Pool2DParams{Kernel: 2})
	u := tp.UpsampleConv2D(pool, v["up.w"], nil, 2, gpu.Conv2DParams{Stride: 1, Padding: 1})
	cat := tp.Concat(1, tp.Reshape(u, 2, 2*12*14), tp.Reshape(pool, 2, 3*6*7))
	prob := tp.Sigmoid(tp.Reshape(tp.Linear(cat, v["fc.w"], v["fc.b"]), 2))
	return tp.Add(tp.BCE(prob, tp.Constant(target)), mse)
}

// TestNetworkGradients checks every parameter gradient of smallNet, computed on the GPU
// through the tape, against central finite differences of the float64 reference loss.
func TestNetworkGradients(t *testing.T) {
	t.Logf("adapter: %s", testDev.Adapter())
	rng := rand.New(rand.NewPCG(5, 6))
	n := newSmallNet(rng)
	params := map[string][]float64{}
	whole, parts, err := testDev.NewArena(n.shapes...)
	if err != nil {
		t.Fatal(err)
	}
	defer whole.Release()
	gwhole, gparts, err := testDev.NewArena(n.shapes...)
	if err != nil {
		t.Fatal(err)
	}
	defer gwhole.Release()
	b := testDev.NewBatch()
	defer b.Release()
	tp := New(b)
	defer tp.Release()
	b.Fill(gwhole, 0)
	vars := map[string]*Var{}
	for i, name := range n.names {
		size := 1
		for _, d := range n.shapes[i] {
			size *= d
		}
		std := 0.4
		if name == "bn.g" || name == "in.g" {
			params[name] = ref.Unary(randn(rng, size, 0.2), func(v float64) float64 { return float64(float32(1 + v)) })
		} else {
			params[name] = randn(rng, size, std)
		}
		if err := parts[i].Write(f32(params[name])); err != nil {
			t.Fatal(err)
		}
		vars[name] = tp.Param(parts[i], gparts[i])
	}
	x := upload(t, f32(n.x), 2, 3, 11, 13)
	target := upload(t, f32(n.target), 2)
	img := upload(t, f32(n.img), 2, 3, 12, 14)
	loss := n.record(t, tp, vars, x, target, img)
	if err := tp.Backward(loss); err != nil {
		t.Fatal(err)
	}
	if err := b.Submit(); err != nil {
		t.Fatal(err)
	}
	got := read(t, loss.Tensor())[0]
	want := n.loss(params)
	if math.Abs(float64(got)-want) > 1e-4*math.Abs(want) {
		t.Fatalf("loss %v, reference %v", got, want)
	}
	ctx := context.Background()
	for i, name := range n.names {
		g, err := gparts[i].Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		p := params[name]
		// Every element of small tensors, a sample of the large ones.
		idx := rng.Perm(len(p))[:min(len(p), 24)]
		scale := 0.0
		for _, v := range g {
			scale = math.Max(scale, math.Abs(float64(v)))
		}
		worst := 0.0
		for _, j := range idx {
			orig := p[j]
			h := 1e-4 * math.Max(1, math.Abs(orig))
			p[j] = orig + h
			up := n.loss(params)
			p[j] = orig - h
			down := n.loss(params)
			p[j] = orig
			fd := (up - down) / (2 * h)
			// The floor: c1.b's gradient is zero (batch norm removes a bias), and float32 leaves ~1e-7.
			e := math.Abs(float64(g[j])-fd) / math.Max(scale, 1e-3)
			worst = math.Max(worst, e)
			if e > 2e-3 {
				t.Errorf("%s[%d]: gradient %.6g, finite differences %.6g (scale %.3g)", name, j, g[j], fd, scale)
			}
		}
		t.Logf("%s %v: worst |grad - fd| %.2e of max|grad| %.3g", name, n.shapes[i], worst, scale)
	}
}
