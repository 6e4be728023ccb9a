package xdisplay

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

func TestCheckNoDisplay(t *testing.T) {
	if err := Check(""); err == nil || !strings.Contains(err.Error(), "$DISPLAY is not set") {
		t.Fatalf("Check(\"\") = %v, want $DISPLAY is not set", err)
	}
}

// A display number without a server behind it fails at once, naming the display.
func TestCheckDeadDisplay(t *testing.T) {
	n := 0
	for n = 731; n < 800; n++ {
		if _, err := os.Stat(fmt.Sprintf("/tmp/.X11-unix/X%d", n)); errors.Is(err, os.ErrNotExist) {
			break
		}
	}
	display := fmt.Sprintf(":%d", n)
	start := time.Now()
	err := Check(display)
	if err == nil || !strings.Contains(err.Error(), display) {
		t.Fatalf("Check(%q) = %v, want an error naming the display", display, err)
	}
	if d := time.Since(start); d > connectTimeout {
		t.Errorf("Check(%q) took %v", display, d)
	}
}

func TestMessage(t *testing.T) {
	dir := t.TempDir()
	err := errors.New("$DISPLAY is not set")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--model", "g.msgpack", dir}, "; the run's files are in " + dir},
		{[]string{dir, "--frames", "3"}, "; the run's files are in " + dir},
		{[]string{"--help"}, "; the run's files are in its run folder"},
		{[]string{dir + "/none"}, "; the run's files are in its run folder"},
	} {
		got := Message("easel-view", err, tc.args)
		if !strings.HasPrefix(got, "no display: easel-view needs X11 ($DISPLAY is not set)") || !strings.HasSuffix(got, tc.want) {
			t.Errorf("Message(%q) = %q, want ...%q", tc.args, got, tc.want)
		}
	}
}
