package trainview

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
)

// fakeClock is a clock that moves only when told.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time      { return c.t }
func (c *fakeClock) add(d time.Duration) { c.t = c.t.Add(d) }
func newClock() *fakeClock               { return &fakeClock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)} }
func losses(step int) []Value            { return []Value{{"loss_g", 2 + 1/float64(step)}, {"loss_d", 0.5}} }
func lines(s string) []string            { return strings.Split(strings.TrimSuffix(s, "\n"), "\n") }
func contains(t *testing.T, s, want string) {
	t.Helper()
	if !strings.Contains(s, want) {
		t.Errorf("%q lacks %q", s, want)
	}
}

// A resumed run (200 of 1000 steps done before) writing to a non-terminal, one step a
// second for 60 s: a plain line at the first step, then at most one every 10 s, and one
// at the end; the rate counts only this process's steps.
func TestProgressPlainThrottled(t *testing.T) {
	var buf bytes.Buffer
	clk := newClock()
	p := newProgress(&buf, 1000, 200, "train dcgan", false, clk.now)
	for step := 201; step <= 260; step++ {
		clk.add(time.Second)
		p.Update(step, losses(step))
	}
	p.Finish()
	p.Update(261, losses(261)) // ignored after Finish
	p.Finish()
	out := buf.String()
	if strings.Contains(out, "\r") {
		t.Errorf("carriage return in plain output:\n%s", out)
	}
	got := lines(out)
	steps := []string{"201", "211", "221", "231", "241", "251", "260"}
	if len(got) != len(steps) {
		t.Fatalf("%d lines, want %d (first step, every 10 s, end):\n%s", len(got), len(steps), out)
	}
	for i, l := range got {
		contains(t, l, "train dcgan: step "+steps[i]+"/1000 ")
		contains(t, l, "1.00 it/s") // 1 step a second; 4.9 if the 200 earlier steps counted
		contains(t, l, ", ETA ")
		if g, d := strings.Index(l, "loss_g "), strings.Index(l, "loss_d 0.5"); g < 0 || d < g {
			t.Errorf("losses missing or out of order: %q", l)
		}
	}
	// Step 251 at 51 s: 749 steps left at 1 it/s.
	want := "train dcgan: step 251/1000 (25%), 1.00 it/s, elapsed 00:51, ETA 12:29, loss_g 2.004, loss_d 0.5"
	if got[5] != want {
		t.Errorf("line 6:\n got %q\nwant %q", got[5], want)
	}
	contains(t, got[6], "elapsed 01:00, ETA 12:20")
}

// Interval sets the plain lines' spacing; Finish after a printed step adds no line.
func TestProgressPlainInterval(t *testing.T) {
	var buf bytes.Buffer
	clk := newClock()
	p := newProgress(&buf, 100, 0, "x", false, clk.now)
	p.Interval = 30 * time.Second
	for step := 1; step <= 61; step++ {
		clk.add(time.Second)
		p.Update(step, nil)
	}
	p.Finish()
	got := lines(buf.String())
	if len(got) != 3 || !strings.Contains(got[0], "step 1/100") || !strings.Contains(got[1], "step 31/100") ||
		!strings.Contains(got[2], "step 61/100") {
		t.Errorf("want lines at steps 1, 31, 61:\n%s", buf.String())
	}
}

// A slow run shows seconds per step; a run with no step done shows no rate or ETA.
func TestProgressRateFormats(t *testing.T) {
	var buf bytes.Buffer
	clk := newClock()
	p := newProgress(&buf, 10, 0, "slow", false, clk.now)
	clk.add(4200 * time.Millisecond)
	p.Update(1, []Value{{"loss", 1.5e-5}})
	contains(t, buf.String(), "step 1/10 (10%), 4.20 s/it, elapsed 00:04, ETA 00:38, loss 1.5e-05")

	buf.Reset()
	p = newProgress(&buf, 10, 10, "done", false, clk.now)
	p.Finish()
	contains(t, buf.String(), "step 10/10 (100%), ? it/s, elapsed 00:00, ETA ?")
}

// On a terminal the bar is redrawn in place with step/total, elapsed<left, rate and
// losses, at most every redrawInterval; a run stopped early does not show 100%.
func TestProgressTerminal(t *testing.T) {
	var buf bytes.Buffer
	clk := newClock()
	p := newProgress(&buf, 1000, 100, "train", true, clk.now)
	for step := 101; step <= 120; step++ {
		clk.add(10 * time.Millisecond)
		p.Update(step, losses(step))
	}
	clk.add(time.Second)
	p.Update(121, losses(121))
	p.Finish()
	out := buf.String()
	if !strings.Contains(out, "\r") {
		t.Errorf("no carriage-return redraw on a terminal:\n%q", out)
	}
	if !strings.HasSuffix(out, "\n") || strings.Count(out, "\n") != 1 {
		t.Errorf("want exactly one newline, at the end:\n%q", out)
	}
	// Drawn at NewProgress (step 100), then when 100 ms have passed: steps 110, 120, 121.
	var drawn []string
	for _, m := range regexp.MustCompile(`train (\d+)/1000`).FindAllStringSubmatch(out, -1) {
		if len(drawn) == 0 || drawn[len(drawn)-1] != m[1] {
			drawn = append(drawn, m[1])
		}
	}
	if fmt.Sprint(drawn) != "[100 110 120 121]" {
		t.Errorf("drew steps %v, want [100 110 120 121]:\n%q", drawn, out)
	}
	final := out[strings.LastIndex(out, "\r")+1:]
	contains(t, final, " 12% ")
	contains(t, final, "train 121/1000 [00:01<")
	contains(t, final, "it/s] loss_g 2.008 loss_d 0.5")
	if strings.Contains(out, "100%") {
		t.Errorf("a run stopped at 121/1000 shows 100%%:\n%q", out)
	}
}

func TestClock(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want string
	}{{0, "00:00"}, {-time.Second, "00:00"}, {65 * time.Second, "01:05"}, {3725*time.Second + 400*time.Millisecond, "1:02:05"},
		{100 * time.Hour, "100:00:00"}} {
		if got := clock(c.d); got != c.want {
			t.Errorf("clock(%v) = %q, want %q", c.d, got, c.want)
		}
	}
}

// Printf puts a message on a line of its own: on a terminal, after clearing the bar,
// which is drawn again below it.
func TestProgressPrintf(t *testing.T) {
	var buf bytes.Buffer
	clk := newClock()
	p := newProgress(&buf, 10, 0, "train", true, clk.now)
	clk.add(time.Second)
	p.Update(1, nil)
	p.Printf("easel: wrote %s", "checkpoint.msgpack")
	out := buf.String()
	i := strings.Index(out, "easel: wrote checkpoint.msgpack\n")
	if i < 0 {
		t.Fatalf("no message line:\n%q", out)
	}
	before, after := out[:i], out[i:]
	if !strings.HasSuffix(before, "\r") {
		t.Errorf("the bar is not cleared before the message:\n%q", out)
	}
	contains(t, after, "train 1/10 [00:01<00:09, 1.00 it/s]")

	buf.Reset()
	p = newProgress(&buf, 10, 0, "train", false, clk.now)
	p.Printf("note\n")
	if buf.String() != "note\n" {
		t.Errorf("plain Printf wrote %q", buf.String())
	}
}
