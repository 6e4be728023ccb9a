//go:build viewer && cgo && linux

package main

// The window's cgo (Ebitengine's GLFW) makes Go link the program with the system's
// linker, which cannot resolve the dynamic imports that goffi (the FFI under the GPU
// package's WebGPU) jumps to from assembly: it reports "unhandled relocation for
// goffi_dlopen". Defining those symbols in C here, and naming them from Go so that cgo
// marks them as host-object symbols, lets the system linker resolve them; they forward
// to the C library's own functions.

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <errno.h>

void *goffi_dlopen(const char *path, int mode) { return dlopen(path, mode); }
void *goffi_dlsym(void *handle, const char *name) { return dlsym(handle, name); }
char *goffi_dlerror(void) { return dlerror(); }
int goffi_dlclose(void *handle) { return dlclose(handle); }
int *goffi_errno_location(void) { return &errno; }
*/
import "C"

import "unsafe"

// goffiSymbols names the functions above from Go, which makes cgo declare them as the
// host-object symbols goffi's assembly calls.
var goffiSymbols = [...]unsafe.Pointer{
	C.goffi_dlopen, C.goffi_dlsym, C.goffi_dlerror, C.goffi_dlclose, C.goffi_errno_location,
}
