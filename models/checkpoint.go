//go:build !(js && wasm)

package models

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"

	"github.com/vmihailenco/msgpack/v5"

	"easel/optim"
)

// Checkpoint is a training run's whole state: the networks (weights and batch-norm
// running statistics), the optimizers' state, the step and what the command needs to go
// on exactly where it stopped (the random generator's state, the data order).
type Checkpoint struct {
	Format  string                          `msgpack:"format"`
	Version int                             `msgpack:"version"`
	Kind    string                          `msgpack:"kind"` // the training command, e.g. "dcgan"
	Step    int                             `msgpack:"step"`
	Nets    map[string][]byte               `msgpack:"nets"` // weights files (Encode), by role: "g", "d"
	Optims  map[string]optim.OptimizerState `msgpack:"optims"`
	RNG     []byte                          `msgpack:"rng"`   // math/rand/v2 PCG state (MarshalBinary)
	Order   []int                           `msgpack:"order"` // this epoch's order of the data
	Pos     int                             `msgpack:"pos"`   // next position in Order
	// Settings are the run's flags that a resumed run must keep (batch, lr, seed, data...).
	Settings map[string]string `msgpack:"settings"`
}

const checkpointFormat = "easel-checkpoint"

// maxCheckpointBytes bounds a checkpoint file read back.
const maxCheckpointBytes = 4 << 30

// WriteCheckpoint writes c to path atomically: a crash leaves the previous file intact.
func WriteCheckpoint(path string, c *Checkpoint) error {
	c.Format, c.Version = checkpointFormat, 1
	return writeAtomic(path, func(w io.Writer) error {
		bw := bufio.NewWriter(w)
		if err := msgpack.NewEncoder(bw).Encode(c); err != nil {
			return err
		}
		return bw.Flush()
	})
}

// ReadCheckpoint reads a checkpoint written by WriteCheckpoint.
func ReadCheckpoint(path string) (*Checkpoint, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	if !fi.Mode().IsRegular() || fi.Size() > maxCheckpointBytes {
		return nil, fmt.Errorf("checkpoint %s: not a regular file of at most %d bytes", path, int64(maxCheckpointBytes))
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	var c Checkpoint
	if err := msgpack.NewDecoder(bytes.NewReader(raw)).Decode(&c); err != nil {
		return nil, fmt.Errorf("checkpoint %s: corrupt or truncated: %v", path, err)
	}
	if c.Format != checkpointFormat || c.Version != 1 {
		return nil, fmt.Errorf("checkpoint %s: format %q version %d, want %s version 1", path, c.Format, c.Version, checkpointFormat)
	}
	if c.Step < 0 || c.Pos < 0 {
		return nil, fmt.Errorf("checkpoint %s: negative step %d or position %d", path, c.Step, c.Pos)
	}
	return &c, nil
}

// Net decodes the network stored under role.
func (c *Checkpoint) Net(role string) (*Weights, error) {
	raw, ok := c.Nets[role]
	if !ok {
		return nil, fmt.Errorf("checkpoint: no network %q", role)
	}
	w, err := Decode(bytes.NewReader(raw), DefaultLimit)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: network %q: %w", role, err)
	}
	return w, nil
}

// encodeNet encodes w for a checkpoint.
func encodeNet(w *Weights) ([]byte, error) {
	var buf bytes.Buffer
	if err := Encode(&buf, w); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Checkpoint captures the trainer's networks, optimizers and step count; the caller adds
// its own state (random generator, data order, settings) before writing it.
func (t *GANTrainer) Checkpoint(ctx context.Context) (*Checkpoint, error) {
	if t.pending > 0 {
		return nil, fmt.Errorf("checkpoint: %d submitted iterations are not collected yet", t.pending)
	}
	c := &Checkpoint{Kind: t.TC.Kind, Step: t.steps, Nets: map[string][]byte{}, Optims: map[string]optim.OptimizerState{}}
	for role, read := range map[string]func(context.Context) (*Weights, error){"g": t.Generator, "d": t.Discriminator} {
		w, err := read(ctx)
		if err != nil {
			return nil, err
		}
		if c.Nets[role], err = encodeNet(w); err != nil {
			return nil, fmt.Errorf("checkpoint: network %q: %w", role, err)
		}
	}
	var err error
	if c.Optims["g"], err = t.optG.State(ctx); err != nil {
		return nil, err
	}
	if c.Optims["d"], err = t.optD.State(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// Restore loads a checkpoint's optimizer states and step count into a trainer made from
// the checkpoint's networks (NewGANTrainer with c.Net("g"), c.Net("d")).
func (t *GANTrainer) Restore(c *Checkpoint) error {
	if c.Kind != t.TC.Kind {
		return fmt.Errorf("checkpoint of a %q run, want %s", c.Kind, t.TC.Kind)
	}
	for role, o := range map[string]*optim.Optimizer{"g": t.optG, "d": t.optD} {
		st, ok := c.Optims[role]
		if !ok {
			return fmt.Errorf("checkpoint: no optimizer state %q", role)
		}
		if err := o.LoadState(st); err != nil {
			return fmt.Errorf("checkpoint: optimizer %q: %w", role, err)
		}
	}
	t.steps = c.Step
	return nil
}

// StyleCheckpointKind is the kind of a style-training checkpoint.
const StyleCheckpointKind = "style"

// Checkpoint captures the network, Adam's state and the step count; the caller adds its
// own state (random generator, settings) before writing it.
func (t *StyleTrainer) Checkpoint(ctx context.Context) (*Checkpoint, error) {
	w, err := t.Weights(ctx)
	if err != nil {
		return nil, err
	}
	c := &Checkpoint{Kind: StyleCheckpointKind, Step: t.steps, Nets: map[string][]byte{}, Optims: map[string]optim.OptimizerState{}}
	if c.Nets["net"], err = encodeNet(w); err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	if c.Optims["net"], err = t.opt.State(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// Restore loads a checkpoint's optimizer state and step count into a trainer made from the
// checkpoint's network (c.Net("net")).
func (t *StyleTrainer) Restore(c *Checkpoint) error {
	if c.Kind != StyleCheckpointKind {
		return fmt.Errorf("checkpoint of a %q run, want %s", c.Kind, StyleCheckpointKind)
	}
	st, ok := c.Optims["net"]
	if !ok {
		return fmt.Errorf("checkpoint: no optimizer state %q", "net")
	}
	if err := t.opt.LoadState(st); err != nil {
		return fmt.Errorf("checkpoint: optimizer: %w", err)
	}
	t.steps = c.Step
	return nil
}
