// Package server serves Easel's page, its assets, the WebAssembly build and the models'
// weights with their index over HTTP: only GET and HEAD of a fixed set of known files,
// each with a content hash ETag.
package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net"
	"net/http"
	"path"
	"strings"
	"time"
)

// asset is one file held in memory, with its gzip form when that is smaller.
type asset struct {
	body, gz    []byte
	contentType string
	etag        string
	immutable   bool // content-addressed URL: cache for a year
}

// Server is an http.Handler over a fixed table of files built at start-up.
type Server struct {
	assets map[string]*asset
}

// File is one extra file to serve, e.g. the .wasm build.
type File struct {
	URL       string
	Body      []byte
	Immutable bool
}

// New serves every file of site (index.html at "/") plus extra.
func New(site fs.FS, extra ...File) (*Server, error) {
	s := &Server{assets: map[string]*asset{}}
	err := fs.WalkDir(site, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(site, p)
		if err != nil {
			return err
		}
		s.add("/"+p, body, false)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("server: read site files: %w", err)
	}
	if idx, ok := s.assets["/index.html"]; ok {
		s.assets["/"] = idx
	}
	for _, f := range extra {
		if !strings.HasPrefix(f.URL, "/") || path.Clean(f.URL) != f.URL {
			return nil, fmt.Errorf("server: bad URL %q for an extra file", f.URL)
		}
		s.add(f.URL, f.Body, f.Immutable)
	}
	return s, nil
}

func (s *Server) add(url string, body []byte, immutable bool) {
	sum := sha256.Sum256(body)
	ct := mime.TypeByExtension(path.Ext(url))
	switch path.Ext(url) {
	case ".wasm":
		ct = "application/wasm"
	case ".msgpack":
		ct = "application/msgpack"
	case "":
		ct = "application/octet-stream"
	}
	a := &asset{body: body, contentType: ct, etag: `"` + hex.EncodeToString(sum[:16]) + `"`, immutable: immutable}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(body)
	zw.Close()
	if buf.Len() < len(body) {
		a.gz = buf.Bytes()
	}
	s.assets[url] = a
}

// ServeHTTP answers GET and HEAD of known files only; the table holds no "..", so no
// request can reach outside it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	a, ok := s.assets[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", a.contentType)
	h.Set("ETag", a.etag)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Vary", "Accept-Encoding")
	if a.immutable {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	if match := r.Header.Get("If-None-Match"); match != "" && strings.Contains(match, a.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := a.body
	if a.gz != nil && strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		h.Set("Content-Encoding", "gzip")
		body = a.gz
	}
	h.Set("Content-Length", fmt.Sprint(len(body)))
	if r.Method == http.MethodHead {
		return
	}
	stallWriter{w, http.NewResponseController(w)}.Write(body)
}

// stallWriter writes a body in chunks, each with its own write deadline of writeStall, so
// that a large body reaches any client that keeps reading, however slowly, while one that
// stops reading is dropped.
type stallWriter struct {
	w  io.Writer
	rc *http.ResponseController
}

// stallChunk is how much a client must take within writeStall: 32 KiB in 30 s is about
// 1 kB/s.
const stallChunk = 32 << 10

func (s stallWriter) Write(p []byte) (n int, err error) {
	for len(p) > 0 {
		k := min(len(p), stallChunk)
		// Not every ResponseWriter has deadlines (httptest.ResponseRecorder): fine.
		_ = s.rc.SetWriteDeadline(time.Now().Add(writeStall))
		m, err := s.w.Write(p[:k])
		n += m
		if err != nil {
			return n, err
		}
		p = p[k:]
	}
	return n, nil
}

// Timeouts of the HTTP server. The headers must arrive within readHeaderTimeout and the
// request within readTimeout (slowloris protection); an idle keep-alive connection is
// closed after idleTimeout. A response must be written within writeTimeout, except that
// Server extends the deadline by writeStall before each chunk of a body (stallWriter): a
// large file reaches any client that keeps reading. Tests shorten them.
var (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = 60 * time.Second
	writeStall        = 30 * time.Second
	idleTimeout       = 120 * time.Second
)

// newHTTPServer is the http.Server that ListenAndServe runs h with.
func newHTTPServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    64 << 10,
	}
}

// ListenAndServe serves h on addr until ctx ends, then shuts down gracefully. ready, if
// not nil, gets the URL once the listener is open.
func ListenAndServe(ctx context.Context, addr string, h http.Handler, ready func(url string)) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("server: listen on %s: %w", addr, err)
	}
	srv := newHTTPServer(h)
	if ready != nil {
		ready("http://" + ln.Addr().String() + "/")
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		shut, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(shut); err != nil {
			return fmt.Errorf("server: shutdown: %w", err)
		}
		if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}
}
