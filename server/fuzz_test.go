package server

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

// FuzzServeHTTP sends fuzzed requests (method, request target, header lines), parsed as
// the server parses them, to a Server: it must not panic, must answer every request with
// the security headers, only GET and HEAD of its files, and for those exactly the file's
// bytes (gzip-coded or not), a range of them, or an empty 304.
func FuzzServeHTTP(f *testing.F) {
	files := map[string][]byte{
		"/index.html":                        []byte("<!doctype html><title>Easel</title>" + strings.Repeat("<p>x</p>", 50)),
		"/web/app.css":                       []byte("body{}"),
		"/easel.wasm":                        append([]byte("\x00asm"), bytes.Repeat([]byte{1, 2, 3, 4}, 300)...),
		"/models/0123456789abcdef/m.msgpack": {0x81, 0xa6, 'f', 'o', 'r', 'm', 'a', 't', 0xa1, 'x'},
	}
	s, err := New(fstest.MapFS{"index.html": {Data: files["/index.html"]}, "web/app.css": {Data: files["/web/app.css"]}},
		File{URL: "/easel.wasm", Body: files["/easel.wasm"]},
		File{URL: "/models/0123456789abcdef/m.msgpack", Body: files["/models/0123456789abcdef/m.msgpack"], Immutable: true})
	if err != nil {
		f.Fatal(err)
	}
	files["/"] = files["/index.html"]
	for _, seed := range [][3]string{
		{"GET", "/", ""},
		{"HEAD", "/easel.wasm", "Accept-Encoding: gzip"},
		{"GET", "/easel.wasm", "Range: bytes=1-3,5-\r\nIf-Range: \"x\""},
		{"GET", "/easel.wasm", "Range: bytes=-10\r\nAccept-Encoding: gzip;q=0.5, identity;q=0"},
		{"GET", "/models/0123456789abcdef/m.msgpack", "If-None-Match: *"},
		{"GET", "/web/app.css", "If-Match: W/\"a\", \"b\"\r\nIf-Modified-Since: Mon, 02 Jan 2006 15:04:05 GMT"},
		{"POST", "/%2e%2e/x", "Content-Length: 3"},
		{"GET", "/web/../index.html?x=1", "Accept-Encoding: *;q=0, identity"},
		{"OPTIONS", "*", ""},
	} {
		f.Add(seed[0], seed[1], seed[2])
	}
	f.Fuzz(func(t *testing.T, method, target, header string) {
		raw := method + " " + target + " HTTP/1.1\r\nHost: easel\r\n" + header + "\r\n\r\n"
		req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
		if err != nil {
			return // net/http answers 400 itself
		}
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		resp := rec.Result()
		body, _ := io.ReadAll(resp.Body)
		h := resp.Header
		if h.Get("Content-Security-Policy") != ContentSecurityPolicy || h.Get("X-Frame-Options") != "DENY" {
			t.Fatalf("%q: status %d without the security headers: %v", raw, resp.StatusCode, h)
		}
		file, known := files[req.URL.Path]
		switch {
		case req.Method != "GET" && req.Method != "HEAD":
			if resp.StatusCode != http.StatusMethodNotAllowed {
				t.Fatalf("%q: status %d, want 405", raw, resp.StatusCode)
			}
			return
		case !known:
			if resp.StatusCode != http.StatusNotFound {
				t.Fatalf("%q: status %d for an unknown file, want 404", raw, resp.StatusCode)
			}
			return
		}
		if req.Method == "HEAD" && len(body) != 0 {
			t.Fatalf("%q: HEAD with a body of %d bytes", raw, len(body))
		}
		switch resp.StatusCode {
		case http.StatusOK:
			if req.Method == "HEAD" {
				return
			}
			if h.Get("Content-Length") != fmt.Sprint(len(body)) {
				t.Fatalf("%q: Content-Length %q for %d bytes", raw, h.Get("Content-Length"), len(body))
			}
			got := body
			if h.Get("Content-Encoding") == "gzip" {
				zr, err := gzip.NewReader(bytes.NewReader(body))
				if err != nil {
					t.Fatalf("%q: gzip: %v", raw, err)
				}
				if got, err = io.ReadAll(zr); err != nil {
					t.Fatalf("%q: gzip: %v", raw, err)
				}
			}
			if !bytes.Equal(got, file) {
				t.Fatalf("%q: 200 with %d bytes that are not the file's %d", raw, len(got), len(file))
			}
		case http.StatusPartialContent:
			if h.Get("Content-Encoding") != "" {
				t.Fatalf("%q: a range of a coded body", raw)
			}
			var first, last, size int
			if _, err := fmt.Sscanf(h.Get("Content-Range"), "bytes %d-%d/%d", &first, &last, &size); err == nil {
				if size != len(file) || first < 0 || last >= size || first > last || !bytes.Equal(body, file[first:last+1]) {
					t.Fatalf("%q: Content-Range %q with %d bytes", raw, h.Get("Content-Range"), len(body))
				}
			} else if !strings.HasPrefix(h.Get("Content-Type"), "multipart/byteranges") {
				t.Fatalf("%q: 206 with Content-Range %q, Content-Type %q", raw, h.Get("Content-Range"), h.Get("Content-Type"))
			}
		case http.StatusNotModified:
			if len(body) != 0 {
				t.Fatalf("%q: 304 with a body", raw)
			}
		case http.StatusPreconditionFailed, http.StatusRequestedRangeNotSatisfiable:
		default:
			t.Fatalf("%q: status %d", raw, resp.StatusCode)
		}
	})
}
