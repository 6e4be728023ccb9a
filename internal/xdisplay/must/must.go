// Package must ends the program with a clear message and status 1 when no X display
// can be reached (xdisplay.Check), before anything else starts. A program that opens a
// window with a library that fails at start-up without a display (Ebitengine panics in
// its package initialisation) imports it for this side effect:
//
//	import _ "easel/internal/xdisplay/must"
//
// Go initialises, among the packages whose imports are initialised, the one whose import
// path sorts first (the language spec, Package initialization). This package imports
// only what such a library imports too (the standard library and github.com/jezek/xgb,
// which Ebitengine needs on Linux) and its path sorts before github.com/..., so it runs
// first.
package must

import (
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"

	"github.com/jezek/xgb"

	"easel/internal/xdisplay"
)

// held is the connection of the check, kept open for the program's life: were it the X
// server's only client, closing it would make the server reset and refuse the window
// library's connection for a moment.
var held *xgb.Conn

func init() {
	// xgb logs each connection made without an ~/.Xauthority file, which is normal (Xvfb,
	// a local server without access control): quiet, for the check and for the window
	// library after it.
	xgb.Logger = log.New(io.Discard, "", 0)
	var err error
	if held, err = xdisplay.Connect(os.Getenv("DISPLAY")); err != nil {
		fmt.Fprintln(os.Stderr, xdisplay.Message(filepath.Base(os.Args[0]), err, os.Args[1:]))
		os.Exit(1)
	}
}
