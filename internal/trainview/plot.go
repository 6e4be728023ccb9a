package trainview

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/go-json-experiment/json/jsontext"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// PlotWidth and PlotHeight are the size in pixels of the PNG that PlotLog writes.
const PlotWidth, PlotHeight = 960, 540

// plotDPI is the resolution the plot is drawn at: 96 pixels an inch.
const plotDPI = 96

// drawBuckets is how many buckets a long series is reduced to for drawing: the raw
// series keeps each bucket's lowest and highest point, so spikes stay visible, and the
// moving average one point a bucket. About one bucket a pixel column.
const drawBuckets = 1000

// maxLogLine is the longest log line read, in bytes.
const maxLogLine = 1 << 20

// series is one numeric field of the log over the steps.
type series struct {
	name string
	xy   plotter.XYs
}

// PlotLog draws the numeric fields keys of the JSON-lines log at logPath (one object a
// step, with a "step" and numeric fields, as `easel train` writes) against the step,
// and writes the plot to outPNG atomically, PlotWidth×PlotHeight pixels. Each field is
// drawn raw, thin and translucent, and as a moving average over a window of a fiftieth
// of its points. With keys nil it draws every numeric field but "step" and "ms", in the
// order they first appear. Blank lines and fields that are not numbers are skipped; a
// last line without its newline that does not parse (a run writing it, or killed while
// it did) is skipped too; any other line that is not such an object is an error naming
// the line.
func PlotLog(logPath, outPNG string, keys []string) error {
	ss, err := readLog(logPath, keys)
	if err != nil {
		return err
	}
	p := plot.New()
	p.Title.Text = filepath.ToSlash(filepath.Clean(logPath))
	p.X.Label.Text = "step"
	p.Y.Label.Text = "value"
	p.Legend.Top = true
	p.Add(plotter.NewGrid())
	for i, s := range ss {
		c := plotutil.Color(i)
		raw, err := plotter.NewLine(minMax(s.xy, drawBuckets))
		if err != nil {
			return fmt.Errorf("%s: %s: %w", logPath, s.name, err)
		}
		raw.Color, raw.Width = translucent(c, 0x50), vg.Points(0.5)
		avg, err := plotter.NewLine(everyBucket(movingAverage(s.xy, max(1, len(s.xy)/50)), drawBuckets))
		if err != nil {
			return fmt.Errorf("%s: %s: %w", logPath, s.name, err)
		}
		avg.Color, avg.Width = c, vg.Points(1.5)
		p.Add(raw, avg)
		p.Legend.Add(s.name, avg)
	}
	px := func(n int) vg.Length { return vg.Length(n) * vg.Inch / plotDPI }
	c := vgimg.NewWith(vgimg.UseWH(px(PlotWidth), px(PlotHeight)), vgimg.UseDPI(plotDPI),
		vgimg.UseBackgroundColor(color.White))
	p.Draw(draw.New(c))
	return writeAtomic(outPNG, func(w io.Writer) error {
		_, err := vgimg.PngCanvas{Canvas: c}.WriteTo(w)
		return err
	})
}

// readLog reads the series keys (every numeric field but step and ms when nil) from the
// JSON-lines log at path, each sorted by step.
func readLog(path string, keys []string) ([]series, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var ss []*series
	index := map[string]int{}
	for _, k := range keys {
		if _, dup := index[k]; dup {
			return nil, fmt.Errorf("plot: key %q given twice", k)
		}
		index[k] = len(ss)
		ss = append(ss, &series{name: k})
	}
	r := bufio.NewReaderSize(f, maxLogLine)
	var br bytes.Reader
	dec := jsontext.NewDecoder(&br)
	type field struct {
		i int
		v float64
	}
	var fields []field
	steps := 0
	for n := 1; ; n++ {
		line, err := r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			return nil, fmt.Errorf("%s line %d: longer than %d bytes", path, n, maxLogLine)
		}
		if err != nil && err != io.EOF {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		last := err == io.EOF
		if len(bytes.TrimSpace(line)) == 0 {
			if last {
				break
			}
			continue
		}
		fields = fields[:0]
		step, hasStep := 0.0, false
		br.Reset(line)
		dec.Reset(&br)
		perr := readObject(dec, func(name string, v float64) {
			if name == "step" {
				step, hasStep = v, true
				return
			}
			i, ok := index[name]
			if !ok {
				if keys != nil || name == "ms" {
					return
				}
				i = len(ss)
				index[name] = i
				ss = append(ss, &series{name: name})
			}
			fields = append(fields, field{i, v})
		})
		if perr == nil && !hasStep {
			perr = errors.New(`no numeric "step"`)
		}
		if perr != nil {
			if last {
				break // a line still being written, or cut short
			}
			return nil, fmt.Errorf("%s line %d: %w", path, n, perr)
		}
		for _, fv := range fields {
			ss[fv.i].xy = append(ss[fv.i].xy, plotter.XY{X: step, Y: fv.v})
		}
		steps++
		if last {
			break
		}
	}
	if steps == 0 {
		return nil, fmt.Errorf("%s: no steps logged", path)
	}
	out := make([]series, 0, len(ss))
	var missing []string
	for _, s := range ss {
		if len(s.xy) == 0 {
			missing = append(missing, s.name)
			continue
		}
		if !sort.SliceIsSorted(s.xy, func(i, j int) bool { return s.xy[i].X < s.xy[j].X }) {
			sort.SliceStable(s.xy, func(i, j int) bool { return s.xy[i].X < s.xy[j].X })
		}
		out = append(out, *s)
	}
	if len(missing) > 0 || len(out) == 0 {
		var have []string
		for _, s := range out {
			have = append(have, s.name)
		}
		if keys != nil {
			return nil, fmt.Errorf("%s: no numeric field %s; it has %s", path, strings.Join(quoted(missing), ", "),
				strings.Join(quoted(have), ", "))
		}
		return nil, fmt.Errorf("%s: no numeric field to plot besides step and ms", path)
	}
	return out, nil
}

// readObject reads one JSON object from dec, calling number for each field whose value
// is a finite number, and checks that nothing follows it.
func readObject(dec *jsontext.Decoder, number func(name string, v float64)) error {
	if tok, err := dec.ReadToken(); err != nil {
		return err
	} else if tok.Kind() != '{' {
		return fmt.Errorf("a JSON %s, not an object", kindName(tok.Kind()))
	}
	for dec.PeekKind() != '}' {
		tok, err := dec.ReadToken()
		if err != nil {
			return err
		}
		name := tok.String() // before the next read voids tok
		if dec.PeekKind() != '0' {
			if err := dec.SkipValue(); err != nil {
				return err
			}
			continue
		}
		v, err := dec.ReadToken()
		if err != nil {
			return err
		}
		if f := v.Float(); !math.IsInf(f, 0) && !math.IsNaN(f) {
			number(name, f)
		}
	}
	if _, err := dec.ReadToken(); err != nil { // the closing brace
		return err
	}
	if _, err := dec.ReadToken(); err != io.EOF {
		return errors.New("more after the object")
	}
	return nil
}

// kindName names a JSON token kind.
func kindName(k jsontext.Kind) string {
	switch k {
	case '[':
		return "array"
	case '"':
		return "string"
	case '0':
		return "number"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "value"
}

// quoted quotes each name.
func quoted(names []string) []string {
	q := make([]string, len(names))
	for i, s := range names {
		q[i] = fmt.Sprintf("%q", s)
	}
	return q
}

// translucent is c with alpha a.
func translucent(c color.Color, a uint8) color.Color {
	n := color.NRGBAModel.Convert(c).(color.NRGBA)
	n.A = a
	return n
}

// movingAverage is the centred moving average of xy's Y over window points (fewer at the
// ends, where the window is cut).
func movingAverage(xy plotter.XYs, window int) plotter.XYs {
	sum := make([]float64, len(xy)+1)
	for i, p := range xy {
		sum[i+1] = sum[i] + p.Y
	}
	half := window / 2
	out := make(plotter.XYs, len(xy))
	for i, p := range xy {
		lo, hi := max(0, i-half), min(len(xy), i-half+window)
		out[i] = plotter.XY{X: p.X, Y: (sum[hi] - sum[lo]) / float64(hi-lo)}
	}
	return out
}

// minMax reduces xy to the lowest and highest point of each of about buckets buckets,
// in order, when it has more than twice as many points.
func minMax(xy plotter.XYs, buckets int) plotter.XYs {
	if len(xy) <= 2*buckets {
		return xy
	}
	out := make(plotter.XYs, 0, 2*buckets)
	for b := range buckets {
		lo, hi := b*len(xy)/buckets, (b+1)*len(xy)/buckets
		iMin, iMax := lo, lo
		for i := lo; i < hi; i++ {
			if xy[i].Y < xy[iMin].Y {
				iMin = i
			}
			if xy[i].Y > xy[iMax].Y {
				iMax = i
			}
		}
		first, second := min(iMin, iMax), max(iMin, iMax)
		out = append(out, xy[first])
		if second != first {
			out = append(out, xy[second])
		}
	}
	return out
}

// everyBucket reduces xy to the first point of each of about buckets buckets and its last
// point, when it has more points than buckets.
func everyBucket(xy plotter.XYs, buckets int) plotter.XYs {
	if len(xy) <= buckets {
		return xy
	}
	out := make(plotter.XYs, 0, buckets+1)
	for b := range buckets {
		out = append(out, xy[b*len(xy)/buckets])
	}
	return append(out, xy[len(xy)-1])
}
