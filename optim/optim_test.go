package optim_test

import (
	"context"
	"math"
	"strings"
	"testing"

	"easel/gpu"
	"easel/optim"
)

// Hyperparameters out of PyTorch's ranges are refused with an error naming them.
func TestOptimValidation(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want string
	}{
		{"Adam lr", optim.Adam{LR: -1, Beta1: 0.9, Beta2: 0.999}.Validate(), "optim: Adam: invalid learning rate (want ≥ 0): -1"},
		{"AdamW beta1", optim.Adam{LR: 1e-3, Beta1: 1, Beta2: 0.999, Decoupled: true}.Validate(), "optim: AdamW: invalid beta1 (want in [0, 1)): 1"},
		{"Adam beta2", optim.Adam{LR: 1e-3, Beta1: 0.9, Beta2: -0.1}.Validate(), "invalid beta2"},
		{"Adam eps", optim.Adam{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: -1e-8}.Validate(), "invalid eps"},
		{"Adam weight decay", optim.Adam{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, WeightDecay: -1}.Validate(), "invalid weight decay"},
		{"Adam NaN lr", optim.Adam{LR: math.NaN()}.Validate(), "optim: Adam: learning rate (want ≥ 0) NaN is not finite"},
		{"SGD momentum", optim.SGD{LR: 0.1, Momentum: -0.5}.Validate(), "optim: SGD: invalid momentum"},
		{"SGD nesterov without momentum", optim.SGD{LR: 0.1, Nesterov: true}.Validate(), "Nesterov momentum requires a momentum > 0 and zero dampening"},
		{"SGD nesterov with dampening", optim.SGD{LR: 0.1, Momentum: 0.9, Dampening: 0.1, Nesterov: true}.Validate(), "zero dampening"},
		{"SGD inf dampening", optim.SGD{LR: 0.1, Dampening: math.Inf(1)}.Validate(), "dampening +Inf is not finite"},
		{"RMSprop alpha", optim.RMSprop{LR: 0.01, Alpha: -0.1}.Validate(), "optim: RMSprop: invalid alpha"},
		{"RMSprop momentum", optim.RMSprop{LR: 0.01, Alpha: 0.99, Momentum: -1}.Validate(), "invalid momentum"},
	}
	for _, c := range cases {
		if c.err == nil || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, c.err, c.want)
		}
	}
	for _, err := range []error{optim.DefaultAdam().Validate(), optim.DefaultAdamW().Validate(), optim.DefaultRMSprop().Validate(),
		optim.SGD{LR: 0.1, Momentum: 0.9, Nesterov: true}.Validate(), optim.Adam{}.Validate()} {
		if err != nil {
			t.Errorf("valid configuration refused: %v", err)
		}
	}
}

// Misuse of an optimizer gives errors, never a panic or a silent wrong update.
func TestOptimErrors(t *testing.T) {
	dev := testDevice(t)
	ctx := context.Background()
	mk := func(n int) *gpu.Tensor {
		x, err := dev.FromData(make([]float32, n), n)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(x.Release)
		return x
	}
	p, g := mk(37), mk(37)
	if _, err := optim.NewAdam(dev, optim.DefaultAdam(), p, mk(36)); err == nil || !strings.Contains(err.Error(), "differ in size") {
		t.Errorf("size mismatch: %v", err)
	}
	if _, err := optim.NewSGD(dev, optim.SGD{LR: -1}, p, g); err == nil {
		t.Error("negative lr accepted")
	}
	if _, err := optim.NewRMSprop(dev, optim.DefaultRMSprop(), nil, g); err == nil {
		t.Error("nil parameters accepted")
	}

	// Parameters and gradients in one buffer: refused when recorded.
	whole, parts, err := dev.NewArena([]int{37}, []int{37})
	if err != nil {
		t.Fatal(err)
	}
	defer whole.Release()
	shared, err := optim.NewSGD(dev, optim.SGD{LR: 0.1}, parts[0], parts[1])
	if err != nil {
		t.Fatal(err)
	}
	b := dev.NewBatch()
	shared.Record(b)
	if err := b.Err(); err == nil || !strings.Contains(err.Error(), "share a buffer") {
		t.Errorf("parameters and gradients in one buffer: %v", err)
	}
	b.Release()
	shared.Release()

	adam, err := optim.NewAdam(dev, optim.DefaultAdam(), p, g)
	if err != nil {
		t.Fatal(err)
	}
	if err := adam.SetLR(-0.1); err == nil {
		t.Error("SetLR(-0.1) accepted")
	}
	if err := adam.SetLR(math.NaN()); err == nil {
		t.Error("SetLR(NaN) accepted")
	}
	st, err := adam.State(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Kind != "Adam" || st.Step != 0 || len(st.ExpAvg) != 37 || len(st.ExpAvgSq) != 37 || st.MomentumBuffer != nil {
		t.Errorf("fresh Adam state: kind %s step %d, %d/%d moments, momentum buffer %v", st.Kind, st.Step, len(st.ExpAvg), len(st.ExpAvgSq), st.MomentumBuffer)
	}
	bad := []struct {
		edit func(s *optim.OptimizerState)
		want string
	}{
		{func(s *optim.OptimizerState) { s.Kind = "AdamW" }, `state is of a "AdamW" optimizer`},
		{func(s *optim.OptimizerState) { s.Step = -1 }, "step -1"},
		{func(s *optim.OptimizerState) { s.ExpAvg = s.ExpAvg[:36] }, "exp_avg has 36 values, want 37"},
		{func(s *optim.OptimizerState) { s.MomentumBuffer = make([]float32, 37) }, "momentum_buffer, which this configuration does not use"},
		{func(s *optim.OptimizerState) { s.LR = math.Inf(1) }, "invalid learning rate"},
	}
	for _, c := range bad {
		s := st
		c.edit(&s)
		if err := adam.LoadState(s); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("LoadState: error %v, want one containing %q", err, c.want)
		}
	}
	if err := adam.LoadState(st); err != nil {
		t.Errorf("LoadState of its own state: %v", err)
	}
	adam.Release()
	if err := adam.BeginStep(); err == nil {
		t.Error("BeginStep after Release accepted")
	}
	b = dev.NewBatch()
	defer b.Release()
	adam.Record(b)
	if b.Err() == nil {
		t.Error("Record after Release accepted")
	}
}
