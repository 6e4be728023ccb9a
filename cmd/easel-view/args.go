package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"
)

// stubMessage is what a build without the window says.
const stubMessage = "easel-view was built without its window (it needs the build tag viewer and cgo): " +
	"rebuild it with `CGO_ENABLED=1 go build -tags viewer ./cmd/easel-view`, which needs a C compiler " +
	"and the X11/GL headers (Debian: bash scripts/install-deps.sh)"

const usage = `usage: easel-view [flags] RUN_DIR

Watches or replays a GAN training run of easel train: the latest sample grid
(samples-STEP.png; a slider and the arrow keys step through the earlier ones), the loss
curves of log.jsonl and a latent explorer that runs the generator of checkpoint.msgpack
(or --model) on the GPU. The view follows the files as the run writes them.

Keys: ←/→ step through the sample grids, Home/End the first grid / follow the run;
drag the explorer to move through the latent space, the mouse wheel spreads its grid,
R draws a new random anchor, 0-9 pick the class (conditional and InfoGAN models);
Q or Esc quits.

flags:
`

// options are the command line's settings.
type options struct {
	dir   string        // the run folder
	model string        // generator: a weights file or embedded model; "" for dir/checkpoint.msgpack
	poll  time.Duration // how often the run folder is read
	seed  uint64        // the first latent anchor's seed; R takes the next
	// screenshot, with frames: write the frames-th frame drawn once everything is loaded
	// to this PNG file and exit (tests, documentation).
	screenshot string
	frames     int
}

// minPoll is the shortest interval between two reads of the run folder.
const minPoll = 100 * time.Millisecond

// errHelp is returned by parseArgs for -h and --help, after the usage is printed.
var errHelp = errors.New("help requested")

// parseArgs reads the command line (without the program name); usage goes to out for
// -h.
func parseArgs(args []string, out io.Writer) (options, error) {
	var o options
	fl := pflag.NewFlagSet("easel-view", pflag.ContinueOnError)
	fl.SetOutput(io.Discard)
	fl.StringVar(&o.model, "model", "", "generator weights file or embedded model for the explorer (default: RUN_DIR/checkpoint.msgpack, reloaded as the run writes it)")
	fl.DurationVar(&o.poll, "poll", time.Second, "how often to read the run folder")
	fl.Uint64Var(&o.seed, "seed", 1, "seed of the first latent anchor (R draws the next)")
	fl.StringVar(&o.screenshot, "screenshot", "", "write the screen to this PNG after --frames frames once everything is loaded, and exit")
	fl.IntVar(&o.frames, "frames", 0, "frames to draw before --screenshot")
	if err := fl.MarkHidden("screenshot"); err != nil {
		return o, err
	}
	if err := fl.MarkHidden("frames"); err != nil {
		return o, err
	}
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			fmt.Fprint(out, usage+fl.FlagUsages())
			return o, errHelp
		}
		return o, fmt.Errorf("%v (easel-view --help)", err)
	}
	switch fl.NArg() {
	case 0:
		return o, errors.New("no run folder: easel-view RUN_DIR (easel train --run RUN_DIR writes one)")
	case 1:
	default:
		return o, fmt.Errorf("one run folder, not %d arguments: %q", fl.NArg(), fl.Args())
	}
	o.dir = fl.Arg(0)
	if fi, err := os.Stat(o.dir); err != nil {
		return o, fmt.Errorf("run folder: %w", err)
	} else if !fi.IsDir() {
		return o, fmt.Errorf("run folder %s: not a folder", o.dir)
	}
	if o.poll < minPoll {
		return o, fmt.Errorf("--poll %v: want at least %v", o.poll, minPoll)
	}
	if (o.screenshot == "") != (o.frames == 0) {
		return o, errors.New("--screenshot FILE and --frames N go together")
	}
	if o.frames < 0 {
		return o, fmt.Errorf("--frames %d: want at least 1", o.frames)
	}
	return o, nil
}

// wrap breaks s into lines of at most n characters, at spaces where it can.
func wrap(s string, n int) []string {
	var lines []string
	for _, para := range strings.Split(s, "\n") {
		line := ""
		for _, word := range strings.Fields(para) {
			for len([]rune(word)) > n {
				if line != "" {
					lines = append(lines, line)
					line = ""
				}
				r := []rune(word)
				lines = append(lines, string(r[:n]))
				word = string(r[n:])
			}
			switch {
			case line == "":
				line = word
			case len([]rune(line))+1+len([]rune(word)) <= n:
				line += " " + word
			default:
				lines = append(lines, line)
				line = word
			}
		}
		if line != "" {
			lines = append(lines, line)
		}
	}
	return lines
}

// clip shortens s to n characters, keeping its end (the informative part of a path)
// after "...".
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	if n <= 3 {
		return string(r[len(r)-n:])
	}
	return "..." + string(r[len(r)-(n-3):])
}
