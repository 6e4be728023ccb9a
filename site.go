// Package easel embeds the web page and its assets, so that the server binary carries them.
package easel

import "embed"

// Site holds index.html and web/.
//
//go:embed index.html web
var Site embed.FS
