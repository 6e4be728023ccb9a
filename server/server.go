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
	"io/fs"
	"mime"
	"net"
	"net/http"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// asset is one file held in memory, with its gzip form when that saves at least 5%. Each
// form has its own strong ETag: the first 16 bytes of its SHA-256, in hex.
type asset struct {
	body, gz     []byte
	contentType  string
	etag, gzEtag string
	immutable    bool // content-addressed URL: cache for a year
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
	ct := mime.TypeByExtension(path.Ext(url))
	switch path.Ext(url) {
	case ".wasm":
		ct = "application/wasm"
	case ".msgpack":
		ct = "application/msgpack"
	case "":
		ct = "application/octet-stream"
	}
	a := &asset{body: body, contentType: ct, etag: etag(body), immutable: immutable}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(body)
	zw.Close()
	if buf.Len() < len(body)-len(body)/20 {
		a.gz, a.gzEtag = buf.Bytes(), etag(buf.Bytes())
	}
	s.assets[url] = a
}

func etag(b []byte) string {
	sum := sha256.Sum256(b)
	return `"` + hex.EncodeToString(sum[:16]) + `"`
}

// ContentSecurityPolicy allows what the page needs and nothing else: its own scripts and
// the WebAssembly they compile, fetches of its own files (the .wasm, the model index and
// weights), its own stylesheet, images of its own, blob: (snapshots) and data: (the empty
// favicon); no plugins, no <base>, no form posts, no framing by other pages.
const ContentSecurityPolicy = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'; " +
	"img-src 'self' blob: data:; style-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// securityHeaders go on every response.
var securityHeaders = map[string]string{
	"Content-Security-Policy":    ContentSecurityPolicy,
	"X-Frame-Options":            "DENY", // frame-ancestors for browsers without CSP 2
	"Referrer-Policy":            "no-referrer",
	"Permissions-Policy":         "camera=(self), microphone=(), geolocation=()",
	"Cross-Origin-Opener-Policy": "same-origin",
	"X-Content-Type-Options":     "nosniff",
}

// ServeHTTP answers GET and HEAD of known files only; the table holds no "..", so no
// request can reach outside it. The standard library's http.ServeContent answers the
// conditional (If-None-Match, If-Match, If-Range) and Range requests. A Range request gets
// ranges of the identity bytes, so that an interrupted download resumes whatever the
// coding of its first part.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	for k, v := range securityHeaders {
		h.Set(k, v)
	}
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
	h.Set("Content-Type", a.contentType)
	if a.immutable {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	body, tag := a.body, a.etag
	if a.gz != nil {
		h.Set("Vary", "Accept-Encoding")
		if r.Header.Get("Range") == "" && acceptsGzip(r.Header.Values("Accept-Encoding")) {
			body, tag = a.gz, a.gzEtag
			h.Set("Content-Encoding", "gzip")
		}
	}
	h.Set("ETag", tag)
	sw := &stallWriter{ResponseWriter: w, rc: http.NewResponseController(w)}
	if h.Get("Content-Encoding") != "" {
		// ServeContent leaves Content-Length out for a coded body; it is known here.
		sw.length = strconv.Itoa(len(body))
	}
	http.ServeContent(sw, r, "", time.Time{}, bytes.NewReader(body))
}

// acceptsGzip reports whether Accept-Encoding (the header's values) accepts gzip and does
// not prefer no coding, by RFC 9110 §12.5.3: gzip (or x-gzip, or else "*") has a q-value
// above 0 and not below that of identity (or else "*"), when either names it. A malformed
// q-value counts as 0.
func acceptsGzip(values []string) bool {
	gz, id, star := -1.0, -1.0, -1.0 // -1: not named
	for _, v := range values {
		for _, elem := range strings.Split(v, ",") {
			coding, params, _ := strings.Cut(elem, ";")
			coding = strings.ToLower(strings.TrimSpace(coding))
			q := 1.0
			for _, p := range strings.Split(params, ";") {
				if k, v, ok := strings.Cut(p, "="); ok && strings.EqualFold(strings.TrimSpace(k), "q") {
					q = qvalue(strings.TrimSpace(v))
				}
			}
			switch coding {
			case "gzip", "x-gzip":
				gz = max(gz, q)
			case "identity":
				id = max(id, q)
			case "*":
				star = max(star, q)
			}
		}
	}
	if gz < 0 {
		gz = max(star, 0)
	}
	if id < 0 {
		id = max(star, 0)
	}
	return gz > 0 && gz >= id
}

// qvalue parses a q-value ("0", "0.5", "1.000"; RFC 9110 §12.4.2); anything else is 0.
func qvalue(s string) float64 {
	if !qvalueSyntax.MatchString(s) {
		return 0
	}
	q, _ := strconv.ParseFloat(s, 64)
	return q
}

var qvalueSyntax = regexp.MustCompile(`^(0(\.[0-9]{0,3})?|1(\.0{0,3})?)$`)

// stallWriter writes a body in chunks, each with its own write deadline of writeStall, so
// that a large body reaches any client that keeps reading, however slowly, while one that
// stops reading is dropped.
type stallWriter struct {
	http.ResponseWriter
	rc     *http.ResponseController
	length string // Content-Length of a 200 response, if ServeContent does not set it
}

func (s *stallWriter) WriteHeader(code int) {
	if code == http.StatusOK && s.length != "" {
		s.Header().Set("Content-Length", s.length)
	}
	s.ResponseWriter.WriteHeader(code)
}

// stallChunk is how much a client must take within writeStall: 32 KiB in 30 s is about
// 1 kB/s.
const stallChunk = 32 << 10

func (s *stallWriter) Write(p []byte) (n int, err error) {
	for len(p) > 0 {
		k := min(len(p), stallChunk)
		// Not every ResponseWriter has deadlines (httptest.ResponseRecorder): fine.
		_ = s.rc.SetWriteDeadline(time.Now().Add(writeStall))
		m, err := s.ResponseWriter.Write(p[:k])
		n += m
		if err != nil {
			return n, err
		}
		p = p[k:]
	}
	return n, nil
}

// Unwrap gives http.ResponseController the underlying ResponseWriter.
func (s *stallWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

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

// BrowserURL is the URL a browser on this machine opens for a server listening on addr,
// and whether addr is reachable from other machines. Browsers give the camera and WebGPU
// only to a secure context, which plain HTTP is on loopback addresses and localhost only:
// so all interfaces (0.0.0.0, ::) are given as localhost, not as an address the browser
// cannot use (http://[::]:8080/).
func BrowserURL(addr net.Addr) (url string, exposed bool) {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok {
		return "http://" + addr.String() + "/", true
	}
	port := strconv.Itoa(tcp.Port)
	switch {
	case tcp.IP == nil || tcp.IP.IsUnspecified():
		return "http://" + net.JoinHostPort("localhost", port) + "/", true
	case tcp.IP.IsLoopback():
		return "http://" + net.JoinHostPort(tcp.IP.String(), port) + "/", false
	}
	return "http://" + net.JoinHostPort(tcp.IP.String(), port) + "/", true
}

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
// not nil, gets the listener's URL (BrowserURL) once it is open, and whether it is
// reachable from other machines.
func ListenAndServe(ctx context.Context, addr string, h http.Handler, ready func(url string, exposed bool)) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("server: listen on %s: %w", addr, err)
	}
	srv := newHTTPServer(h)
	if ready != nil {
		ready(BrowserURL(ln.Addr()))
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
