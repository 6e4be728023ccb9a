package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
)

// launchViewer starts easel-view on the run folder dir, from beside this executable or
// $PATH, and leaves it running; when it cannot, it says why on w and training goes on.
func launchViewer(w io.Writer, dir string) {
	if os.Getenv("DISPLAY") == "" {
		fmt.Fprintf(w, "--view: no display ($DISPLAY is not set); training on (watch later: easel-view %s)\n", dir)
		return
	}
	bin := ""
	if exe, err := os.Executable(); err == nil {
		if p, err := exec.LookPath(filepath.Join(filepath.Dir(exe), "easel-view")); err == nil {
			bin = p
		}
	}
	if bin == "" {
		if p, err := exec.LookPath("easel-view"); err == nil {
			bin = p
		}
	}
	if bin == "" {
		fmt.Fprintln(w, "--view: no easel-view beside easel or in $PATH (make viewer builds it); training on")
		return
	}
	cmd := exec.Command(bin, dir)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr // its own messages (no display, built without the window)
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(w, "--view: %v; training on\n", err)
		return
	}
	go cmd.Wait() // reap it; closing the window does not stop training
}
