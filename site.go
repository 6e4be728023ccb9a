// Package easel embeds the web page and its assets, so that the server binary carries them,
// and, in a build with the tag embedwasm (make build), the WebAssembly app too.
package easel

import (
	"embed"
	"io/fs"
)

// Site holds index.html and web/.
//
//go:embed index.html web
var Site embed.FS

// WebAppFiles are the files of WebApp: the WebAssembly build of ./wasm and the Go
// toolchain's JavaScript glue for it, as the page loads them.
var WebAppFiles = []string{"easel.wasm", "wasm_exec.js"}

// WebApp holds WebAppFiles when the binary was built with -tags embedwasm after make wasm
// (make build does both), so that one file serves the whole app; otherwise it is nil and
// easel serve reads them from build/.
var WebApp fs.FS = webApp()
