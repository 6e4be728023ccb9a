package optim_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"easel/gpu"
	"easel/gpu/ref"
	"easel/internal/npy"
	"easel/optim"
)

var (
	deviceOnce sync.Once
	device     *gpu.Device
	deviceErr  error
)

// testDevice opens the Vulkan device once for the package's tests and prints its adapter.
func testDevice(t testing.TB) *gpu.Device {
	t.Helper()
	deviceOnce.Do(func() {
		device, deviceErr = gpu.Open(context.Background())
		if deviceErr == nil {
			fmt.Fprintf(os.Stderr, "optim tests run on adapter: %s\n", device.Adapter())
		}
	})
	if deviceErr != nil {
		t.Fatalf("optim GPU tests need a Vulkan adapter: %v", deviceErr)
	}
	return device
}

// fixtureTol is the largest relative error allowed against PyTorch (see relErr).
const fixtureTol = 1e-5

// fixtures is testdata/meta.json, written by testdata/make_fixtures.py.
type fixtures struct {
	Torch   string
	Shapes  [][]int
	Steps   int
	Configs []struct {
		Name, Kind string
		Hyper      hyper
		LR         []float64
		State      []string
	}
}

// hyper is a configuration's torch.optim defaults as meta.json records them.
type hyper struct {
	LR, Eps, Momentum, Dampening, Alpha float64
	Betas                               []float64
	WeightDecay                         float64 `json:"weight_decay"`
	Nesterov, Centered                  bool
}

func readNpy(t *testing.T, name string) ([]int, []float32) {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	shape, data, err := npy.ReadFloat32(f, 1<<20)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return shape, data
}

// relErr is the largest |got-want| / max(|want|, 0.01·max|want|): relative for every
// element but those far below the tensor's scale (opcheck.RelErr's measure).
func relErr[T float32 | float64](got []T, want []float64) float64 {
	scale := 0.0
	for _, w := range want {
		scale = math.Max(scale, math.Abs(w))
	}
	floor := math.Max(0.01*scale, 1e-30)
	worst := 0.0
	for i, g := range got {
		if math.IsNaN(float64(g)) || math.IsInf(float64(g), 0) {
			return math.Inf(1)
		}
		worst = math.Max(worst, math.Abs(float64(g)-want[i])/math.Max(math.Abs(want[i]), floor))
	}
	return worst
}

func f64(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

// worst tracks the largest error seen and where.
type worst struct {
	err   float64
	where string
}

func (w *worst) add(err float64, format string, args ...any) {
	if err > w.err || w.where == "" {
		w.err, w.where = err, fmt.Sprintf(format, args...)
	}
}

// TestFixtureAgainstPyTorch replays every configuration of testdata/meta.json on the GPU:
// parameters in one arena of odd-shaped tensors (zero gaps between them), gradients in
// another, one recorded batch replayed per step with BeginStep and the step's learning
// rate. After each step every parameter tensor must match PyTorch within fixtureTol, and
// after the last the optimizer state too. Each configuration runs twice: straight through,
// and checkpointed after step 3 (State) into a new optimizer (LoadState) that runs the
// rest. The float64 reference of gpu/ref replays the same steps and must match PyTorch too.
func TestFixtureAgainstPyTorch(t *testing.T) {
	dev := testDevice(t)
	ctx := context.Background()
	raw, err := os.ReadFile("testdata/meta.json")
	if err != nil {
		t.Fatal(err)
	}
	var fx fixtures
	if err := json.Unmarshal(raw, &fx); err != nil {
		t.Fatalf("meta.json: %v", err)
	}
	_, params0 := readNpy(t, "params0.npy")
	_, grads := readNpy(t, "grads.npy")
	n := len(params0)
	if len(grads) != fx.Steps*n {
		t.Fatalf("grads.npy has %d values, want %d steps × %d", len(grads), fx.Steps, n)
	}
	// Where each tensor starts in the flat fixture arrays.
	starts := []int{0}
	for _, s := range fx.Shapes {
		k := 1
		for _, d := range s {
			k *= d
		}
		starts = append(starts, starts[len(starts)-1]+k)
	}
	if starts[len(starts)-1] != n {
		t.Fatalf("shapes %v hold %d values, params0.npy %d", fx.Shapes, starts[len(starts)-1], n)
	}
	part := func(flat []float32, i int) []float32 { return flat[starts[i]:starts[i+1]] }

	var gpuWorst, stateWorst, refWorst worst
	for _, c := range fx.Configs {
		_, after := readNpy(t, c.Name+".npy")
		var state []float32
		if len(c.State) > 0 {
			_, state = readNpy(t, c.Name+"_state.npy")
		}
		for _, resumeAt := range []int{0, 3} {
			name := c.Name
			if resumeAt > 0 {
				name += fmt.Sprintf("/resumed after step %d", resumeAt)
			}
			t.Run(name, func(t *testing.T) {
				h := c.Hyper
				newOpt := func(p, g *gpu.Tensor) (*optim.Optimizer, error) {
					switch c.Kind {
					case "Adam", "AdamW":
						return optim.NewAdam(dev, optim.Adam{LR: h.LR, Beta1: h.Betas[0], Beta2: h.Betas[1], Eps: h.Eps,
							WeightDecay: h.WeightDecay, Decoupled: c.Kind == "AdamW"}, p, g)
					case "SGD":
						return optim.NewSGD(dev, optim.SGD{LR: h.LR, Momentum: h.Momentum, Dampening: h.Dampening,
							WeightDecay: h.WeightDecay, Nesterov: h.Nesterov}, p, g)
					case "RMSprop":
						return optim.NewRMSprop(dev, optim.RMSprop{LR: h.LR, Alpha: h.Alpha, Eps: h.Eps,
							WeightDecay: h.WeightDecay, Momentum: h.Momentum, Centered: h.Centered}, p, g)
					}
					return nil, fmt.Errorf("unknown kind %q", c.Kind)
				}
				// setup makes the arenas, writes the parameters and records the update.
				type run struct {
					pw, gw *gpu.Tensor
					ps, gs []*gpu.Tensor
					opt    *optim.Optimizer
					b      *gpu.Batch
				}
				setup := func(flatParams []float32) *run {
					r := &run{}
					var err error
					if r.pw, r.ps, err = dev.NewArena(fx.Shapes...); err != nil {
						t.Fatal(err)
					}
					if r.gw, r.gs, err = dev.NewArena(fx.Shapes...); err != nil {
						t.Fatal(err)
					}
					for i, p := range r.ps {
						if err := p.Write(part(flatParams, i)); err != nil {
							t.Fatal(err)
						}
					}
					if r.opt, err = newOpt(r.pw, r.gw); err != nil {
						t.Fatal(err)
					}
					r.b = dev.NewBatch()
					r.opt.Record(r.b)
					return r
				}
				release := func(r *run) {
					r.b.Release()
					r.opt.Release()
					r.pw.Release()
					r.gw.Release()
				}
				read := func(ts []*gpu.Tensor) []float32 {
					var flat []float32
					for _, x := range ts {
						v, err := x.Read(ctx)
						if err != nil {
							t.Fatal(err)
						}
						flat = append(flat, v...)
					}
					return flat
				}

				r := setup(params0)
				defer func() { release(r) }()
				for s := range fx.Steps {
					if resumeAt > 0 && s == resumeAt {
						// Checkpoint: parameters and optimizer state to host memory, then a
						// new arena and optimizer from them.
						st, err := r.opt.State(ctx)
						if err != nil {
							t.Fatal(err)
						}
						saved := read(r.ps)
						release(r)
						r = setup(saved)
						if err := r.opt.LoadState(st); err != nil {
							t.Fatal(err)
						}
					}
					for i, g := range r.gs {
						if err := g.Write(part(grads[s*n:(s+1)*n], i)); err != nil {
							t.Fatal(err)
						}
					}
					if err := r.opt.SetLR(c.LR[s]); err != nil {
						t.Fatal(err)
					}
					if err := r.opt.BeginStep(); err != nil {
						t.Fatal(err)
					}
					if r.opt.Step() != s+1 {
						t.Fatalf("Step() = %d during step %d", r.opt.Step(), s+1)
					}
					if err := r.b.Submit(); err != nil {
						t.Fatal(err)
					}
					got := read(r.ps)
					want := after[s*n : (s+1)*n]
					for i := range fx.Shapes {
						e := relErr(part(got, i), f64(part(want, i)))
						gpuWorst.add(e, "%s step %d tensor %v", name, s+1, fx.Shapes[i])
						if e > fixtureTol {
							t.Errorf("step %d, tensor %d %v: rel err %.2e vs PyTorch", s+1, i, fx.Shapes[i], e)
						}
					}
				}
				// The state after the last step, tensor by tensor: find each part's place in
				// the arena by marking it.
				st, err := r.opt.State(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if st.Step != fx.Steps || st.Kind != c.Kind {
					t.Errorf("state says %s step %d, want %s step %d", st.Kind, st.Step, c.Kind, fx.Steps)
				}
				offs := arenaOffsets(t, ctx, r.pw, r.ps, read(r.ps))
				fields := map[string][]float32{"exp_avg": st.ExpAvg, "exp_avg_sq": st.ExpAvgSq,
					"momentum_buffer": st.MomentumBuffer, "square_avg": st.SquareAvg, "grad_avg": st.GradAvg}
				for k, sname := range c.State {
					got := fields[sname]
					if got == nil {
						t.Errorf("state has no %s", sname)
						continue
					}
					for i := range fx.Shapes {
						want := part(state[k*n:(k+1)*n], i)
						e := relErr(got[offs[i]:offs[i]+len(want)], f64(want))
						stateWorst.add(e, "%s %s tensor %v", name, sname, fx.Shapes[i])
						if e > fixtureTol {
							t.Errorf("%s of tensor %d %v: rel err %.2e vs PyTorch", sname, i, fx.Shapes[i], e)
						}
					}
				}
				if resumeAt == 0 {
					for s, p := range refSteps(c.Kind, h, c.LR, params0, grads, fx.Steps) {
						want := after[s*n : (s+1)*n]
						for i := range fx.Shapes {
							e := relErr(p[starts[i]:starts[i+1]], f64(part(want, i)))
							refWorst.add(e, "%s step %d tensor %v", c.Name, s+1, fx.Shapes[i])
							if e > fixtureTol {
								t.Errorf("gpu/ref step %d, tensor %d %v: rel err %.2e vs PyTorch", s+1, i, fx.Shapes[i], e)
							}
						}
					}
				}
			})
		}
	}
	t.Logf("PyTorch %s, %d configurations × 2 runs × %d steps, %d tensors %v", fx.Torch, len(fx.Configs), fx.Steps, len(fx.Shapes), fx.Shapes)
	t.Logf("worst rel err GPU parameters vs PyTorch: %.2e (%s)", gpuWorst.err, gpuWorst.where)
	t.Logf("worst rel err GPU optimizer state vs PyTorch: %.2e (%s)", stateWorst.err, stateWorst.where)
	t.Logf("worst rel err float64 reference (gpu/ref) parameters vs PyTorch: %.2e (%s)", refWorst.err, refWorst.where)
}

// arenaOffsets finds where each part starts in whole (elements): it writes a marker into
// each part in turn and looks for it, then restores the part's values.
func arenaOffsets(t *testing.T, ctx context.Context, whole *gpu.Tensor, parts []*gpu.Tensor, values []float32) []int {
	t.Helper()
	offs := make([]int, len(parts))
	at := 0
	for i, p := range parts {
		mark := make([]float32, p.Len())
		for j := range mark {
			mark[j] = 12345
		}
		if err := p.Write(mark); err != nil {
			t.Fatal(err)
		}
		all, err := whole.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		offs[i] = -1
		for j, v := range all {
			if v == 12345 {
				offs[i] = j
				break
			}
		}
		if offs[i] < 0 {
			t.Fatalf("part %d not found in its arena", i)
		}
		if err := p.Write(values[at : at+p.Len()]); err != nil {
			t.Fatal(err)
		}
		at += p.Len()
	}
	return offs
}

// refSteps replays the steps with gpu/ref's float64 update rules and returns the
// parameters after each.
func refSteps(kind string, h hyper, lrs []float64, params0, grads []float32, steps int) [][]float64 {
	n := len(params0)
	p := f64(params0)
	a, b, c := make([]float64, n), make([]float64, n), make([]float64, n)
	var out [][]float64
	for s := range steps {
		g := f64(grads[s*n : (s+1)*n])
		switch kind {
		case "Adam", "AdamW":
			ref.AdamStep(p, g, a, b, ref.AdamParams{LR: lrs[s], Beta1: h.Betas[0], Beta2: h.Betas[1], Eps: h.Eps,
				WeightDecay: h.WeightDecay, Decoupled: kind == "AdamW"}, s+1)
		case "SGD":
			ref.SGDStep(p, g, a, ref.SGDParams{LR: lrs[s], Momentum: h.Momentum, Dampening: h.Dampening,
				WeightDecay: h.WeightDecay, Nesterov: h.Nesterov}, s == 0)
		case "RMSprop":
			ref.RMSpropStep(p, g, a, b, c, ref.RMSpropParams{LR: lrs[s], Alpha: h.Alpha, Eps: h.Eps,
				WeightDecay: h.WeightDecay, Momentum: h.Momentum, Centered: h.Centered})
		}
		out = append(out, append([]float64(nil), p...))
	}
	return out
}
