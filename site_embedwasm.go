//go:build embedwasm

package easel

import (
	"embed"
	"io/fs"
)

//go:embed build/easel.wasm build/wasm_exec.js
var webAppBuild embed.FS

func webApp() fs.FS {
	sub, err := fs.Sub(webAppBuild, "build")
	if err != nil {
		panic(err) // "build" is a valid path: cannot happen
	}
	return sub
}
