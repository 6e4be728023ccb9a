package server

import (
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

func testServer(t *testing.T) *httptest.Server {
	t.Helper()
	site := fstest.MapFS{
		"index.html":   {Data: []byte("<!doctype html><title>Easel</title>" + strings.Repeat("<p>x</p>", 100))},
		"web/app.css":  {Data: []byte("body{}")},
		"web/easel.js": {Data: []byte("console.log(1)")},
	}
	s, err := New(site, File{URL: "/easel.wasm", Body: []byte("\x00asm" + strings.Repeat("\x00", 4096)), Immutable: true})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return ts
}

func TestServesKnownFilesOnly(t *testing.T) {
	ts := testServer(t)
	cases := []struct {
		method, path string
		status       int
		ctype        string
	}{
		{"GET", "/", 200, "text/html; charset=utf-8"},
		{"GET", "/index.html", 200, "text/html; charset=utf-8"},
		{"HEAD", "/web/app.css", 200, "text/css; charset=utf-8"},
		{"GET", "/easel.wasm", 200, "application/wasm"},
		{"GET", "/missing.js", 404, ""},
		{"GET", "/web/", 404, ""},
		{"GET", "/%2e%2e/server.go", 404, ""},
		{"GET", "/web/..%2f..%2fgo.mod", 404, ""},
		{"POST", "/", 405, ""},
		{"PUT", "/easel.wasm", 405, ""},
		{"DELETE", "/index.html", 405, ""},
	}
	for _, c := range cases {
		req, _ := http.NewRequest(c.method, ts.URL+c.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.status {
			t.Errorf("%s %s: status %d, want %d", c.method, c.path, resp.StatusCode, c.status)
		}
		if c.ctype != "" && resp.Header.Get("Content-Type") != c.ctype {
			t.Errorf("%s %s: Content-Type %q, want %q", c.method, c.path, resp.Header.Get("Content-Type"), c.ctype)
		}
	}
}

func TestETagCachingAndCompression(t *testing.T) {
	ts := testServer(t)
	req, _ := http.NewRequest("GET", ts.URL+"/easel.wasm", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	tr := &http.Transport{DisableCompression: true}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("wasm not gzip-compressed: %v", resp.Header)
	}
	if !strings.Contains(resp.Header.Get("Cache-Control"), "immutable") {
		t.Errorf("wasm Cache-Control %q, want immutable", resp.Header.Get("Cache-Control"))
	}
	zr, err := gzip.NewReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(zr)
	if len(body) != 4100 || string(body[:4]) != "\x00asm" {
		t.Fatalf("decompressed wasm has %d bytes", len(body))
	}
	etag := resp.Header.Get("ETag")
	req2, _ := http.NewRequest("GET", ts.URL+"/easel.wasm", nil)
	req2.Header.Set("If-None-Match", etag)
	resp2, err := http.DefaultClient.Do(req2)
	if err != nil {
		t.Fatal(err)
	}
	resp2.Body.Close()
	if resp2.StatusCode != http.StatusNotModified {
		t.Fatalf("If-None-Match %s: status %d, want 304", etag, resp2.StatusCode)
	}
}

func TestBadExtraURLRefused(t *testing.T) {
	for _, u := range []string{"easel.wasm", "/a/../b", "/a//b"} {
		if _, err := New(fstest.MapFS{}, File{URL: u}); err == nil {
			t.Errorf("extra URL %q accepted", u)
		}
	}
}

func TestGracefulShutdown(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	urls := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- ListenAndServe(ctx, "127.0.0.1:0", http.NotFoundHandler(), func(u string) { urls <- u })
	}()
	u := <-urls
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("shutdown: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("server did not shut down")
	}
	if err := ListenAndServe(context.Background(), "256.0.0.1:1", http.NotFoundHandler(), nil); err == nil {
		t.Fatal("listen on a bad address succeeded")
	}
}
