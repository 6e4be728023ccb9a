package models_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"codeberg.org/sbinet/npyio"

	"easel/gpu"
	"easel/models"
)

// The golden fixtures come from models/testdata/make_golden.py (real PyTorch).
const goldenDir = "testdata/golden"

// parityTolerance bounds max|got - want| relative to max|want|.
const parityTolerance = 1e-3

var (
	deviceOnce sync.Once
	device     *gpu.Device
	deviceErr  error
)

// testKernels is the test devices' kernel family: the CPU family, whose kernel choices
// the tests check, unless EASEL_KERNELS names one (TestParityGPUFamily opens a device of
// the GPU family on any adapter).
func testKernels() gpu.KernelFamily {
	if os.Getenv(gpu.KernelsEnv) != "" {
		return gpu.KernelsAuto // Open reads it
	}
	return gpu.KernelsCPU
}

// testDevice opens the Vulkan device once for the package's tests and prints its adapter.
func testDevice(t testing.TB) *gpu.Device {
	t.Helper()
	deviceOnce.Do(func() {
		device, deviceErr = gpu.OpenWith(context.Background(), gpu.OpenOptions{Kernels: testKernels()})
		if deviceErr == nil {
			fmt.Fprintf(os.Stderr, "models tests run on adapter: %s\n", device.Adapter())
		}
	})
	if deviceErr != nil {
		t.Fatalf("models GPU tests need a Vulkan adapter: %v", deviceErr)
	}
	return device
}

// npy is a float32 .npy array.
type npy struct {
	shape []int
	data  []float32
}

func readNpy(t *testing.T, name string) npy {
	t.Helper()
	var data []float32 // Read refuses any dtype but float32
	shape := readNpyInto(t, filepath.Join(goldenDir, name), &data)
	return npy{shape: shape, data: data}
}

// readNpyInto reads the C-order .npy file at path into data (a pointer to a slice of the
// file's dtype) and returns its shape.
func readNpyInto(t *testing.T, path string, data any) []int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := npyio.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if r.Header.Descr.Fortran {
		t.Fatalf("%s: Fortran order, want C order", path)
	}
	if err := r.Read(data); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return slices.Clone(r.Header.Descr.Shape)
}

// importPth reads a torch.save(state_dict) fixture and imports it as arch.
func importPth(t *testing.T, name, arch string) *models.Weights {
	t.Helper()
	return importPthFile(t, filepath.Join(goldenDir, name), arch)
}

func importPthFile(t *testing.T, path, arch string) *models.Weights {
	t.Helper()
	sd, err := models.ReadStateDict(path)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	w, err := models.ImportStateDict(arch, sd)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return w
}

// roundTrip encodes w in the weights format and decodes it again.
func roundTrip(t *testing.T, w *models.Weights) *models.Weights {
	t.Helper()
	var buf bytes.Buffer
	if err := models.Encode(&buf, w); err != nil {
		t.Fatal(err)
	}
	back, err := models.Decode(&buf, models.DefaultLimit)
	if err != nil {
		t.Fatal(err)
	}
	return back
}

// runPlan writes in into the plan's input, runs it twice (the second run must allocate no
// buffer) and returns the output.
func runPlan(t *testing.T, dev *gpu.Device, p *models.Plan, in []float32) ([]float32, time.Duration) {
	t.Helper()
	ctx := context.Background()
	if err := p.Input.Write(in); err != nil {
		t.Fatal(err)
	}
	if err := p.Run(); err != nil {
		t.Fatal(err)
	}
	first, err := p.Output.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	live := dev.LiveBuffers()
	start := time.Now()
	if err := p.Run(); err != nil {
		t.Fatal(err)
	}
	got, err := p.Output.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	if n := dev.LiveBuffers(); n != live {
		t.Errorf("second run changed live buffers %d → %d", live, n)
	}
	if !slices.Equal(first, got) {
		t.Errorf("second run of the same input gave a different output")
	}
	return got, elapsed
}

// compare checks shape and values against PyTorch and returns max|got-want|/max|want|.
func compare(t *testing.T, gotShape []int, got []float32, want npy) float64 {
	t.Helper()
	if !slices.Equal(gotShape, want.shape) {
		t.Fatalf("output shape %v, PyTorch's is %v", gotShape, want.shape)
	}
	if len(got) != len(want.data) {
		t.Fatalf("%d output values, want %d", len(got), len(want.data))
	}
	var maxErr, maxWant float64
	worst := 0
	for i, w := range want.data {
		d := math.Abs(float64(got[i]) - float64(w))
		if math.IsNaN(d) || d > maxErr {
			maxErr, worst = d, i
			if math.IsNaN(d) {
				maxErr = math.Inf(1)
				break
			}
		}
		maxWant = max(maxWant, math.Abs(float64(w)))
	}
	rel := maxErr / maxWant
	if rel > parityTolerance {
		t.Errorf("max |got - want| = %.3g (at %d: got %v, want %v) is %.3g of max|want| %.3g, tolerance %.0e",
			maxErr, worst, got[worst], want.data[worst], rel, maxWant, parityTolerance)
	}
	return rel
}

// network is what the parity cases need of a model.
type network struct {
	plan    func(in []int) (*models.Plan, error)
	release func()
}

type parityCase struct {
	name, pth, arch string
	wantArch        string
	wantConfig      models.Config
	open            func(dev *gpu.Device, w *models.Weights) (network, error)
	pairs           [][2]string // input .npy, output .npy
}

var parityCases = []parityCase{
	{
		name: "TransformerNetLight", pth: "transformer_light.pth", arch: models.ArchTransformerNet,
		wantArch:   models.ArchTransformerNetLight,
		wantConfig: models.Config{"c1": 8, "c2": 16, "c3": 32, "blocks": 2},
		open: func(dev *gpu.Device, w *models.Weights) (network, error) {
			m, err := models.NewTransformerNet(dev, w)
			if err != nil {
				return network{}, err
			}
			return network{plan: func(in []int) (*models.Plan, error) {
				if in[1] != 3 {
					return nil, fmt.Errorf("input %v is not RGB", in)
				}
				return m.Plan(in[0], in[2], in[3])
			}, release: m.Release}, nil
		},
		pairs: [][2]string{
			{"transformer_in_1x3x37x53.npy", "transformer_out_1x3x37x53.npy"},
			{"transformer_in_2x3x20x31.npy", "transformer_out_2x3x20x31.npy"},
			// Widths that are multiples of 4 at every layer: the tuned kernels.
			{"transformer_in_1x3x32x48.npy", "transformer_out_1x3x32x48.npy"},
		},
	},
	{
		name: "DCGANGenerator", pth: "dcgan_g.pth", arch: models.ArchDCGANGenerator,
		wantArch:   models.ArchDCGANGenerator,
		wantConfig: models.Config{"nz": 16, "ngf": 8, "nc": 3},
		open: func(dev *gpu.Device, w *models.Weights) (network, error) {
			m, err := models.NewGenerator(dev, w)
			if err != nil {
				return network{}, err
			}
			return network{plan: func(in []int) (*models.Plan, error) {
				if !slices.Equal(in[1:], []int{m.Config.NZ, 1, 1}) {
					return nil, fmt.Errorf("z %v, want [N,%d,1,1]", in, m.Config.NZ)
				}
				return m.Plan(in[0])
			}, release: m.Release}, nil
		},
		pairs: [][2]string{{"dcgan_g_z.npy", "dcgan_g_out.npy"}},
	},
	{
		name: "DCGANDiscriminator", pth: "dcgan_d.pth", arch: models.ArchDCGANDiscriminator,
		wantArch:   models.ArchDCGANDiscriminator,
		wantConfig: models.Config{"ndf": 8, "nc": 3},
		open: func(dev *gpu.Device, w *models.Weights) (network, error) {
			m, err := models.NewDiscriminator(dev, w)
			if err != nil {
				return network{}, err
			}
			return network{plan: func(in []int) (*models.Plan, error) {
				if !slices.Equal(in[1:], []int{m.Config.NC, models.DCGANSize, models.DCGANSize}) {
					return nil, fmt.Errorf("input %v, want [N,%d,64,64]", in, m.Config.NC)
				}
				return m.Plan(in[0])
			}, release: m.Release}, nil
		},
		pairs: [][2]string{{"dcgan_d_in.npy", "dcgan_d_out.npy"}},
	},
}

// TestParityWithPyTorch imports each PyTorch fixture, runs it on the GPU and compares the
// outputs with PyTorch's; the same weights after a trip through the weights format must
// give bit-identical outputs.
func TestParityWithPyTorch(t *testing.T) {
	dev := testDevice(t)
	dev.SetPoison(true)
	defer dev.SetPoison(false)
	for _, c := range parityCases {
		t.Run(c.name, func(t *testing.T) {
			w := importPth(t, c.pth, c.arch)
			if w.Arch != c.wantArch {
				t.Errorf("imported arch %q, want %q", w.Arch, c.wantArch)
			}
			for k, v := range c.wantConfig {
				if got, err := w.Config.Int(k); err != nil || got != v {
					t.Errorf("config.%s = %v (%v), want %v", k, w.Config[k], err, v)
				}
			}
			live := dev.LiveBuffers()
			outputs := map[string][]float32{}
			for _, weights := range []struct {
				name string
				w    *models.Weights
			}{{"imported", w}, {"round trip", roundTrip(t, w)}} {
				net, err := c.open(dev, weights.w)
				if err != nil {
					t.Fatalf("%s: %v", weights.name, err)
				}
				for _, pair := range c.pairs {
					in, want := readNpy(t, pair[0]), readNpy(t, pair[1])
					p, err := net.plan(in.shape)
					if err != nil {
						t.Fatalf("%s: %s: %v", weights.name, pair[0], err)
					}
					if !slices.Equal(p.Input.Shape(), in.shape) {
						t.Fatalf("%s: plan input %v, fixture %v", weights.name, p.Input.Shape(), in.shape)
					}
					got, elapsed := runPlan(t, dev, p, in.data)
					rel := compare(t, p.Output.Shape(), got, want)
					p.Release()
					if weights.name == "imported" {
						t.Logf("%s → %v: max|got-want|/max|want| = %.2e, run %v", pair[0], want.shape, rel, elapsed.Round(time.Microsecond))
						outputs[pair[0]] = got
					} else if !slices.Equal(outputs[pair[0]], got) {
						t.Errorf("%s: output after the weights-format round trip differs from the imported weights'", pair[0])
					}
				}
				net.release()
			}
			if n := dev.LiveBuffers(); n != live {
				t.Errorf("live buffers %d after releasing models and plans, %d before", n, live)
			}
		})
	}
}

// Every tensor problem of a weights file is named in the model's error.
func TestNewModelErrorsNameTensors(t *testing.T) {
	dev := testDevice(t)
	live := dev.LiveBuffers()
	g := importPth(t, "dcgan_g.pth", models.ArchDCGANGenerator)

	broken := *g
	broken.Tensors = slices.Clone(g.Tensors)
	broken.Tensors = slices.DeleteFunc(broken.Tensors, func(x models.Tensor) bool { return x.Name == "main.4.running_var" })
	broken.Tensors[0].Shape = []int{16, 64, 4, 3}
	broken.Tensors = append(broken.Tensors, models.Tensor{Name: "main.14.weight", Shape: []int{1}, Data: []float32{1}})
	_, err := models.NewGenerator(dev, &broken)
	if err == nil {
		t.Fatal("NewGenerator accepted broken weights")
	}
	for _, want := range []string{`"main.4.running_var"`, `"main.14.weight"`, `"main.0.weight"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not name %s: %v", want, err)
		}
	}
	for _, sentinel := range []error{models.ErrMissingTensor, models.ErrUnexpectedTensor, models.ErrShapeMismatch} {
		if !errors.Is(err, sentinel) {
			t.Errorf("error is not %v: %v", sentinel, err)
		}
	}

	if _, err := models.NewDiscriminator(dev, g); err == nil || !strings.Contains(err.Error(), models.ArchDCGANGenerator) {
		t.Errorf("NewDiscriminator on generator weights: %v", err)
	}
	odd := *g
	odd.Config = models.Config{"nz": 16, "ngf": 8, "nc": 3, "ndf": 8}
	if _, err := models.NewGenerator(dev, &odd); err == nil || !strings.Contains(err.Error(), "ndf") {
		t.Errorf("NewGenerator with an unknown config key: %v", err)
	}
	odd.Config = models.Config{"nz": 16, "ngf": 4, "nc": 3}
	if _, err := models.NewGenerator(dev, &odd); err == nil || !strings.Contains(err.Error(), `"main.0.weight"`) {
		t.Errorf("NewGenerator with a config that disagrees with the tensors: %v", err)
	}
	if n := dev.LiveBuffers(); n != live {
		t.Errorf("failed constructions left %d live buffers, %d before", n, live)
	}
}

// A plan too small for the reflection padding fails at recording, naming the layer, and
// leaves nothing allocated.
func TestTransformerPlanTooSmall(t *testing.T) {
	dev := testDevice(t)
	m, err := models.NewTransformerNet(dev, importPth(t, "transformer_light.pth", models.ArchTransformerNetLight))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Release()
	live := dev.LiveBuffers()
	_, err = m.Plan(1, 4, 40)
	if err == nil || !strings.Contains(err.Error(), "conv1") {
		t.Errorf("plan for a 4-pixel-high input: %v", err)
	}
	if n := dev.LiveBuffers(); n != live {
		t.Errorf("failed plan left %d live buffers, %d before", n, live)
	}
}

// Record puts the network into the caller's batch between pre- and postprocessing, so that
// a frame is one submit: here input/255 is scaled back to 0..255 on the GPU, and the output
// is turned into RGBA bytes.
func TestTransformerRecordsIntoCallerBatch(t *testing.T) {
	dev := testDevice(t)
	ctx := context.Background()
	m, err := models.NewTransformerNet(dev, importPth(t, "transformer_light.pth", models.ArchTransformerNet))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Release()
	in, want := readNpy(t, "transformer_in_2x3x20x31.npy"), readNpy(t, "transformer_out_2x3x20x31.npy")
	unit := make([]float32, len(in.data))
	for i, v := range in.data {
		unit[i] = v / 255
	}
	x, err := dev.FromData(unit, in.shape...)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Release()
	b := dev.NewBatch()
	defer b.Release()
	scaled := b.Scale(x, 255, 0)
	defer scaled.Release()
	p, err := m.Record(b, scaled)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Release()
	// Shift by 128 so that the bytes cover more than the clamp's edges.
	img := b.TensorToImage(p.Output, [3]float64{40, 40, 40}, [3]float64{128, 128, 128})
	if img == nil {
		t.Fatal(b.Err())
	}
	defer img.Release()
	if err := p.Run(); err != nil {
		t.Fatal(err)
	}
	got, err := p.Output.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("max|got-want|/max|want| = %.2e", compare(t, p.Output.Shape(), got, want))
	rgba, err := img.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n, h, w := want.shape[0], want.shape[2], want.shape[3]
	for i := range n * h * w {
		for c := range 3 {
			v := got[(i/(h*w)*3+c)*h*w+i%(h*w)]
			f := float64(v)*40 + 128
			wantByte := byte(min(max(math.Floor(f+0.5), 0), 255))
			// float32 arithmetic on the GPU may round the other way right at a half.
			nearHalf := math.Abs(f-math.Floor(f)-0.5) < 1e-3
			if d := int(rgba[4*i+c]) - int(wantByte); d != 0 && !(nearHalf && (d == 1 || d == -1)) {
				t.Fatalf("pixel %d channel %d: byte %d, want %d from %v", i, c, rgba[4*i+c], wantByte, v)
			}
		}
	}
}
