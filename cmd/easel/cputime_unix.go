//go:build unix

package main

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time the process has used so far, user and system, every thread
// included (on lavapipe the driver's worker threads do the GPU work); ok is false where it
// cannot be read.
func cpuTime() (d time.Duration, ok bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
