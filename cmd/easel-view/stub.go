//go:build !viewer || !cgo

package main

import (
	"fmt"
	"os"
)

// main, without the window: the build lacked the viewer tag or cgo.
func main() {
	fmt.Fprintln(os.Stderr, stubMessage)
	os.Exit(1)
}
