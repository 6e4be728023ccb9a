// Package xdisplay checks that an X display can be reached (Check) and words the message
// of a program that cannot open its window (Message). Its subpackage must makes the
// check when a program starts, before a window library does.
package xdisplay

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/jezek/xgb"
)

// connectTimeout bounds the wait for the X server's answer.
const connectTimeout = 5 * time.Second

// Check connects to the X display named display (the form of $DISPLAY) and closes the
// connection; it fails as Connect does.
func Check(display string) error {
	c, err := Connect(display)
	if err == nil {
		c.Close()
	}
	return err
}

// Connect connects to the X display named display (the form of $DISPLAY); it fails when
// display is empty, the server does not answer within a few seconds, or it refuses the
// connection. A server's last client leaving makes it reset (Xvfb, unless started with
// -noreset), during which it refuses connections: a program that checks the display
// before its window library connects keeps this connection open meanwhile.
func Connect(display string) (*xgb.Conn, error) {
	if display == "" {
		return nil, fmt.Errorf("$DISPLAY is not set")
	}
	type result struct {
		c   *xgb.Conn
		err error
	}
	done := make(chan result, 1)
	go func() {
		c, err := xgb.NewConnDisplay(display)
		done <- result{c, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			return nil, fmt.Errorf("cannot open $DISPLAY %s: %v", display, r.err)
		}
		return r.c, nil
	case <-time.After(connectTimeout):
		go func() { // close it should it still come
			if r := <-done; r.err == nil {
				r.c.Close()
			}
		}()
		return nil, fmt.Errorf("$DISPLAY %s does not answer (%v)", display, connectTimeout)
	}
}

// Message is the line printed for a failed Check of program prog run with args: that it
// needs X11, why it has none, and where the run's files are (the last argument that is a
// folder).
func Message(prog string, err error, args []string) string {
	where := "the run's files are in its run folder"
	for i := len(args) - 1; i >= 0; i-- {
		if strings.HasPrefix(args[i], "-") {
			continue
		}
		if fi, serr := os.Stat(args[i]); serr == nil && fi.IsDir() {
			where = "the run's files are in " + args[i]
			break
		}
	}
	return fmt.Sprintf("no display: %s needs X11 (%v); %s", prog, err, where)
}
