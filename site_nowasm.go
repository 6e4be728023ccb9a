//go:build !embedwasm

package easel

import "io/fs"

func webApp() fs.FS { return nil }
