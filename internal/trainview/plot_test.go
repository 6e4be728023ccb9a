package trainview

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
)

// writeLog writes a DCGAN-like log of n steps to dir/log.jsonl: loss_d falling, loss_g
// rising, d_x around 0.7, with noise.
func writeLog(t testing.TB, dir string, n int) string {
	t.Helper()
	var b strings.Builder
	for s := 1; s <= n; s++ {
		noise := math.Sin(float64(s) * 12.9898)
		fmt.Fprintf(&b, `{"d_x":%.4f,"loss_d":%.4f,"loss_g":%.4f,"ms":%.1f,"step":%d}`+"\n",
			0.7+0.1*noise, 1.5*math.Exp(-float64(s)/float64(n))+0.2*noise, 1+2*float64(s)/float64(n)+0.3*noise, 40+noise, s)
	}
	path := filepath.Join(dir, "log.jsonl")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// PlotLog writes a PNG of PlotWidth×PlotHeight with each series' colour drawn, and no
// temporary file beside it.
func TestPlotLog(t *testing.T) {
	dir := t.TempDir()
	log := writeLog(t, dir, 5000)
	out := filepath.Join(dir, "loss.png")
	if err := PlotLog(log, out, nil); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	im, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if im.Bounds() != image.Rect(0, 0, PlotWidth, PlotHeight) {
		t.Fatalf("bounds %v, want %d×%d", im.Bounds(), PlotWidth, PlotHeight)
	}
	// The moving averages are drawn opaque in the palette's first three colours.
	count := map[color.NRGBA]int{}
	for y := range PlotHeight {
		for x := range PlotWidth {
			count[color.NRGBAModel.Convert(im.At(x, y)).(color.NRGBA)]++
		}
	}
	for i, name := range []string{"d_x", "loss_d", "loss_g"} {
		c := color.NRGBAModel.Convert(plotutil.Color(i)).(color.NRGBA)
		if count[c] < 100 {
			t.Errorf("%s: %d pixels of its colour %v, want a drawn line (100 or more)", name, count[c], c)
		}
	}
	if c := color.NRGBAModel.Convert(plotutil.Color(3)).(color.NRGBA); count[c] > 0 {
		t.Errorf("a fourth series is drawn (%d pixels of %v): ms should be left out", count[c], c)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("files in the run folder: %v, want log.jsonl and loss.png", entries)
	}
	if err := PlotLog(log, out, []string{"loss_g", "loss_d"}); err != nil {
		t.Error(err)
	}
}

// readLog keeps the fields' first-seen order, skips non-numbers, ms, blank lines and a cut
// last line, and sorts each series by step.
func TestReadLog(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "log.jsonl")
	text := `{"step":2,"b":2.5,"a":"text","c":{"d":1},"ms":5,"n":null}` + "\n\n" +
		`{"step":1,"b":1.5,"z":[1,2],"e":-3e2}` + "\n" +
		`{"step":3,"b":3.5,"e":1}` + "\n" +
		`{"step":4,"b":` // cut short: the run was writing it
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	ss, err := readLog(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(ss)
	want := "[{b [{1 1.5} {2 2.5} {3 3.5}]} {e [{1 -300} {3 1}]}]"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	ss, err = readLog(path, []string{"e"})
	if err != nil || len(ss) != 1 || ss[0].name != "e" {
		t.Errorf("keys [e]: %v, %v", ss, err)
	}
	_, err = readLog(path, []string{"e", "nope"})
	if err == nil || !strings.Contains(err.Error(), `no numeric field "nope"; it has "e"`) {
		t.Errorf("missing key: %v", err)
	}
	if _, err = readLog(path, []string{"b", "b"}); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("key twice: %v", err)
	}
}

// A line that is not a JSON object with a numeric step is an error naming the line.
func TestReadLogBadLine(t *testing.T) {
	good := `{"step":1,"loss":0.5}` + "\n"
	for _, c := range []struct {
		bad, want string
	}{
		{`{"step":3,"loss":}`, "line 3: "},
		{`[1,2]`, "line 3: a JSON array, not an object"},
		{`{"loss":1}`, `line 3: no numeric "step"`},
		{`{"step":"3","loss":1}`, `line 3: no numeric "step"`},
		{`{"step":3} {"step":4}`, "line 3: more after the object"},
		{`{"step":3,"loss":1,"loss":2}`, "line 3: "}, // a name twice
		{strings.Repeat(" ", maxLogLine+1), "line 3: longer than"},
	} {
		path := filepath.Join(t.TempDir(), "log.jsonl")
		if err := os.WriteFile(path, []byte(good+good+c.bad+"\n"+good), 0o644); err != nil {
			t.Fatal(err)
		}
		err := PlotLog(path, filepath.Join(filepath.Dir(path), "loss.png"), nil)
		if err == nil || !strings.Contains(err.Error(), path+" "+c.want) {
			t.Errorf("%.40q: error %v, want one with %q", c.bad, err, c.want)
		}
	}
	path := filepath.Join(t.TempDir(), "log.jsonl")
	for text, want := range map[string]string{
		"":                         "no steps logged",
		`{"step":1,"ms":3}` + "\n": "no numeric field to plot besides step and ms",
	} {
		os.WriteFile(path, []byte(text), 0o644)
		if err := PlotLog(path, path+".png", nil); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("log %q: error %v, want one with %q", text, err, want)
		}
	}
	if err := PlotLog(filepath.Join(t.TempDir(), "none.jsonl"), path+".png", nil); err == nil {
		t.Error("a missing log: no error")
	}
}

func TestMovingAverage(t *testing.T) {
	xy := plotter.XYs{{X: 1, Y: 1}, {X: 2, Y: 2}, {X: 3, Y: 3}, {X: 4, Y: 4}, {X: 5, Y: 9}}
	got := fmt.Sprint(movingAverage(xy, 3))
	if want := "[{1 1.5} {2 2} {3 3} {4 5.333333333333333} {5 6.5}]"; got != want {
		t.Errorf("window 3: got %s, want %s", got, want)
	}
	if got := fmt.Sprint(movingAverage(xy, 1)); got != fmt.Sprint(xy) {
		t.Errorf("window 1 changed the series: %s", got)
	}
}

// Reducing a long series for drawing keeps its spikes, its order and its ends.
func TestDownsample(t *testing.T) {
	xy := make(plotter.XYs, 100_003)
	for i := range xy {
		xy[i] = plotter.XY{X: float64(i), Y: math.Sin(float64(i) / 100)}
	}
	xy[54_321].Y, xy[7].Y = 50, -50
	r := minMax(xy, drawBuckets)
	if len(r) > 2*drawBuckets {
		t.Errorf("%d points, want at most %d", len(r), 2*drawBuckets)
	}
	var hi, lo bool
	for i, p := range r {
		hi, lo = hi || p.Y == 50, lo || p.Y == -50
		if i > 0 && p.X <= r[i-1].X {
			t.Fatalf("point %d at x %v after %v", i, p.X, r[i-1].X)
		}
	}
	if !hi || !lo {
		t.Errorf("spikes lost: high %v, low %v", hi, lo)
	}
	e := everyBucket(xy, drawBuckets)
	if len(e) != drawBuckets+1 || e[0] != xy[0] || e[len(e)-1] != xy[len(xy)-1] {
		t.Errorf("everyBucket: %d points, ends %v %v", len(e), e[0], e[len(e)-1])
	}
	if short := xy[:50]; len(minMax(short, drawBuckets)) != 50 || len(everyBucket(short, drawBuckets)) != 50 {
		t.Error("a short series was reduced")
	}
}

// BenchmarkPlotLog plots a log of a million steps.
func BenchmarkPlotLog(b *testing.B) {
	dir := b.TempDir()
	log := writeLog(b, dir, 1_000_000)
	b.ResetTimer()
	for range b.N {
		if err := PlotLog(log, filepath.Join(dir, "loss.png"), nil); err != nil {
			b.Fatal(err)
		}
	}
}
