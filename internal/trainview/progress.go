package trainview

import (
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// Value is a named number shown with the progress, such as a loss.
type Value struct {
	Name string
	V    float64
}

// DefaultInterval is how often, at most, a Progress prints a line to a writer that is not
// a terminal.
const DefaultInterval = 10 * time.Second

// redrawInterval is the shortest time between two redraws of the bar on a terminal.
const redrawInterval = 100 * time.Millisecond

// Progress shows how far a training run is: step/total, the rate, the time elapsed and
// the time left, and the latest losses. On a terminal it is a bar redrawn in place; on
// anything else (a log file, CI) it prints one plain line at most every Interval, and one
// at the end. The rate and the time left count only the steps done since NewProgress, so
// a resumed run is not credited with the steps of an earlier process.
type Progress struct {
	// Interval is how often, at most, a plain line is printed when the writer is not a
	// terminal: DefaultInterval unless changed before the first Update.
	Interval time.Duration

	w           io.Writer
	desc        string
	total, done int                      // done: the steps done before this process
	bar         *progressbar.ProgressBar // nil when w is not a terminal
	now         func() time.Time
	start       time.Time

	step     int
	losses   []Value
	shown    time.Time // when the last line or redraw was written
	printed  bool      // a plain line was printed
	lastStep int       // the step of the last plain line
	finished bool
}

// NewProgress starts the progress of a run of total steps, done of which an earlier
// process did (0 unless resuming), described as desc (such as "train dcgan"). Make it
// right before the training loop: the rate counts from here.
func NewProgress(w io.Writer, total, done int, desc string) *Progress {
	return newProgress(w, total, done, desc, isTerminal(w), time.Now)
}

// newProgress is NewProgress with the terminal test and the clock given.
func newProgress(w io.Writer, total, done int, desc string, tty bool, now func() time.Time) *Progress {
	total = max(total, 0)
	done = min(max(done, 0), total)
	p := &Progress{Interval: DefaultInterval, w: w, desc: desc, total: total, done: done, now: now, start: now(), step: done}
	if tty {
		p.bar = progressbar.NewOptions(max(total, 1),
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetWidth(20),
			progressbar.OptionSetPredictTime(false),
			progressbar.OptionSetElapsedTime(false),
			progressbar.OptionShowDescriptionAtLineEnd(),
		)
		p.draw()
	}
	return p
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(interface{ Fd() uintptr })
	return ok && term.IsTerminal(int(f.Fd()))
}

// Update records that step (counted from 1 over the whole run, resumed or not) is done
// with the given losses, shown in their order, and shows it when it is time to.
func (p *Progress) Update(step int, losses []Value) {
	if p.finished {
		return
	}
	p.step = step
	p.losses = append(p.losses[:0], losses...)
	t := p.now()
	switch {
	case p.bar != nil:
		if t.Sub(p.shown) >= redrawInterval {
			p.draw()
		}
	case !p.printed || t.Sub(p.shown) >= p.Interval:
		p.print()
	}
}

// Finish shows the last state, as the final line; later Updates are ignored.
func (p *Progress) Finish() {
	if p.finished {
		return
	}
	p.finished = true
	if p.bar != nil {
		p.draw()
		fmt.Fprintln(p.w)
		return
	}
	if !p.printed || p.lastStep != p.step {
		p.print()
	}
}

// Printf prints a message line (a newline is added if it has none) without breaking
// the bar: on a terminal the bar is cleared, the line printed and the bar drawn again
// below it.
func (p *Progress) Printf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if !strings.HasSuffix(msg, "\n") {
		msg += "\n"
	}
	if p.bar == nil || p.finished {
		io.WriteString(p.w, msg)
		return
	}
	p.bar.Clear()
	io.WriteString(p.w, msg)
	p.draw()
}

// draw redraws the bar.
func (p *Progress) draw() {
	p.shown = p.now()
	p.bar.Set(min(max(p.step, 0), max(p.total, 1)))
	rate, eta := p.rate(p.shown)
	p.bar.Describe(fmt.Sprintf("%s %d/%d [%s<%s, %s]%s", p.desc, p.step, p.total,
		clock(p.shown.Sub(p.start)), eta, rate, p.lossText(" ", " ")))
}

// print writes one plain line.
func (p *Progress) print() {
	p.shown, p.printed, p.lastStep = p.now(), true, p.step
	rate, eta := p.rate(p.shown)
	pct := 100.0
	if p.total > 0 {
		pct = 100 * float64(p.step) / float64(p.total)
	}
	fmt.Fprintf(p.w, "%s: step %d/%d (%.0f%%), %s, elapsed %s, ETA %s%s\n", p.desc, p.step, p.total, pct, rate,
		clock(p.shown.Sub(p.start)), eta, p.lossText(", ", " "))
}

// rate gives the speed of this process's steps at time t, as "2.31 it/s" or
// "4.20 s/it", and the time left at that speed; "?" for each while no step is done.
func (p *Progress) rate(t time.Time) (rate, eta string) {
	n, secs := p.step-p.done, t.Sub(p.start).Seconds()
	if n <= 0 || secs <= 0 {
		return "? it/s", "?"
	}
	r := float64(n) / secs
	switch {
	case r >= 100:
		rate = fmt.Sprintf("%.0f it/s", r)
	case r >= 1:
		rate = fmt.Sprintf("%.2f it/s", r)
	default:
		rate = fmt.Sprintf("%.2f s/it", 1/r)
	}
	left := float64(max(p.total-p.step, 0)) / r
	if left > 1e7 { // over 16 weeks: no estimate worth showing
		return rate, "?"
	}
	return rate, clock(time.Duration(left * float64(time.Second)))
}

// lossText is the losses as name value pairs, each after sep, name and value apart by eq.
func (p *Progress) lossText(sep, eq string) string {
	var b strings.Builder
	for _, v := range p.losses {
		b.WriteString(sep + v.Name + eq + number(v.V))
	}
	return b.String()
}

// number formats a loss with four significant digits.
func number(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Sprint(v)
	}
	return fmt.Sprintf("%.4g", v)
}

// clock formats a duration as mm:ss, or h:mm:ss from an hour on.
func clock(d time.Duration) string {
	s := int64(max(d, 0).Round(time.Second) / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%02d:%02d", s/60, s%60)
}
