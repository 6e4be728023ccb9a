package server

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
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
		done <- ListenAndServe(ctx, "127.0.0.1:0", http.NotFoundHandler(), func(u string, _ bool) { urls <- u })
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

// smallSendBuffers makes the server's socket buffers small, so that a slow reader holds
// the server's writes back at once instead of after megabytes of kernel buffering.
type smallSendBuffers struct{ net.Listener }

func (l smallSendBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetWriteBuffer(32 << 10)
	}
	return c, err
}

// setTimeouts shortens the server's timeouts for one test.
func setTimeouts(t *testing.T, write time.Duration) {
	old := []time.Duration{readHeaderTimeout, readTimeout, writeTimeout, writeStall}
	readHeaderTimeout, readTimeout, writeTimeout, writeStall = write, write, write, write
	t.Cleanup(func() { readHeaderTimeout, readTimeout, writeTimeout, writeStall = old[0], old[1], old[2], old[3] })
}

// A client that keeps reading gets the whole of a large body however long it takes, while
// one that stops reading, or sends its request too slowly, is cut off.
func TestSlowClients(t *testing.T) {
	setTimeouts(t, 500*time.Millisecond)
	body := make([]byte, 2<<20)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range body {
		body[i] = byte(r.Uint32())
	}
	s, err := New(fstest.MapFS{}, File{URL: "/big.wasm", Body: body})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(s)
	ts.Config = newHTTPServer(s)
	ts.Listener = smallSendBuffers{ts.Listener}
	ts.Start()
	defer ts.Close()
	dial := func() net.Conn {
		c, err := net.Dial("tcp", ts.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		c.(*net.TCPConn).SetReadBuffer(32 << 10)
		return c
	}

	// About 800 kB/s: the 2 MiB take about 3 s, six write timeouts.
	c := dial()
	defer c.Close()
	start := time.Now()
	fmt.Fprintf(c, "GET /big.wasm HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	var got bytes.Buffer
	buf := make([]byte, 16<<10)
	for {
		n, err := c.Read(buf)
		got.Write(buf[:n])
		if err != nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	resp, err := http.ReadResponse(bufio.NewReader(&got), nil)
	if err != nil {
		t.Fatalf("after %v: %v", time.Since(start), err)
	}
	rb, _ := io.ReadAll(resp.Body)
	if !bytes.Equal(rb, body) {
		t.Fatalf("a client reading at 800 kB/s got %d of %d bytes in %v", len(rb), len(body), time.Since(start))
	}
	t.Logf("slow client: %d bytes in %v", len(rb), time.Since(start).Round(time.Millisecond))

	// A client that stops reading is dropped.
	c2 := dial()
	defer c2.Close()
	fmt.Fprintf(c2, "GET /big.wasm HTTP/1.1\r\nHost: x\r\n\r\n")
	time.Sleep(2 * time.Second)
	n, _ := io.Copy(io.Discard, c2)
	if n >= int64(len(body)) {
		t.Errorf("a client that stopped reading for 2 s still got all %d bytes", n)
	}

	// Slowloris: headers that never end.
	c3 := dial()
	defer c3.Close()
	fmt.Fprintf(c3, "GET / HTTP/1.1\r\nHost: x\r\n")
	c3.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.Copy(io.Discard, c3); err != nil {
		t.Errorf("a request whose headers never end kept its connection: %v", err)
	}
}

// do sends method path with the header pairs, without the client's own gzip handling, and
// returns the response with its raw body.
func do(t *testing.T, method, url string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := (&http.Client{Transport: &http.Transport{DisableCompression: true}}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// Content coding follows Accept-Encoding's q-values (RFC 9110 §12.5.3), each coding has
// its own ETag, conditional requests follow RFC 9110 §13 (the standard library's), and a
// Range request resumes a download of the identity bytes.
func TestNegotiationAndConditionalRequests(t *testing.T) {
	ts := testServer(t)
	u := ts.URL + "/easel.wasm"
	wasm := []byte("\x00asm" + strings.Repeat("\x00", 4096))
	plain, _ := do(t, "GET", u)
	zipped, _ := do(t, "GET", u, "Accept-Encoding", "gzip")
	etag, gzEtag := plain.Header.Get("ETag"), zipped.Header.Get("ETag")
	if etag == "" || gzEtag == "" || etag == gzEtag {
		t.Errorf("identity ETag %q, gzip ETag %q: want two different strong ETags", etag, gzEtag)
	}
	for _, c := range []struct {
		accept string
		gzip   bool
	}{
		{"", false}, {"gzip", true}, {"GZip", true}, {"x-gzip", true}, {"deflate, gzip;q=0.8", true}, {"*", true},
		{"gzip;q=0", false}, {"gzip; q=0.000", false}, {"identity;q=1, gzip;q=0", false}, {"br", false},
		{"*;q=0, identity", false}, {"gzip;q=0.5, identity;q=1", false}, {"gzip;q=1, identity;q=0.5", true},
		{"*, gzip;q=0", false}, {"gzip;q=bogus", false},
	} {
		resp, body := do(t, "GET", u, "Accept-Encoding", c.accept)
		if got := resp.Header.Get("Content-Encoding") == "gzip"; got != c.gzip || resp.StatusCode != 200 {
			t.Errorf("Accept-Encoding %q: status %d, Content-Encoding %q, want gzip %v", c.accept, resp.StatusCode, resp.Header.Get("Content-Encoding"), c.gzip)
		}
		if want := map[bool]string{false: etag, true: gzEtag}[c.gzip]; resp.Header.Get("ETag") != want {
			t.Errorf("Accept-Encoding %q: ETag %q, want %q", c.accept, resp.Header.Get("ETag"), want)
		}
		if !c.gzip && !bytes.Equal(body, wasm) {
			t.Errorf("Accept-Encoding %q: %d bytes, want the %d of the file", c.accept, len(body), len(wasm))
		}
		if vary := resp.Header.Get("Vary"); vary != "Accept-Encoding" {
			t.Errorf("Accept-Encoding %q: Vary %q", c.accept, vary)
		}
	}

	for _, c := range []struct {
		name   string
		header []string
		status int
	}{
		{"If-None-Match of the ETag", []string{"If-None-Match", etag}, 304},
		{"If-None-Match weak", []string{"If-None-Match", "W/" + etag}, 304},
		{"If-None-Match in a list", []string{"If-None-Match", `"x", ` + etag + `, "y"`}, 304},
		{"If-None-Match *", []string{"If-None-Match", "*"}, 304},
		{"If-None-Match of another ETag", []string{"If-None-Match", `"0123"`}, 200},
		{"If-None-Match garbage around the ETag", []string{"If-None-Match", "x" + etag}, 200},
		{"If-None-Match of the gzip ETag for identity", []string{"If-None-Match", gzEtag}, 200},
		{"If-None-Match of the identity ETag for gzip", []string{"If-None-Match", etag, "Accept-Encoding", "gzip"}, 200},
		{"If-None-Match of the gzip ETag for gzip", []string{"If-None-Match", gzEtag, "Accept-Encoding", "gzip"}, 304},
		{"If-Match of another ETag", []string{"If-Match", `"0123"`}, 412},
		{"If-Match of the ETag", []string{"If-Match", etag}, 200},
	} {
		resp, body := do(t, "GET", u, c.header...)
		if resp.StatusCode != c.status {
			t.Errorf("%s: status %d, want %d", c.name, resp.StatusCode, c.status)
		}
		if c.status == 304 && len(body) != 0 {
			t.Errorf("%s: 304 with a body of %d bytes", c.name, len(body))
		}
	}

	// Range: resume after the first 100 bytes, gzip accepted or not.
	for _, accept := range []string{"", "gzip"} {
		resp, body := do(t, "GET", u, "Range", "bytes=100-", "If-Range", etag, "Accept-Encoding", accept)
		if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(body, wasm[100:]) ||
			resp.Header.Get("Content-Range") != fmt.Sprintf("bytes 100-%d/%d", len(wasm)-1, len(wasm)) || resp.Header.Get("Content-Encoding") != "" {
			t.Errorf("Range bytes=100- (Accept-Encoding %q): status %d, %d bytes, Content-Range %q, Content-Encoding %q",
				accept, resp.StatusCode, len(body), resp.Header.Get("Content-Range"), resp.Header.Get("Content-Encoding"))
		}
	}
	if resp, _ := do(t, "GET", u); resp.Header.Get("Accept-Ranges") != "bytes" {
		t.Errorf("Accept-Ranges %q, want bytes", resp.Header.Get("Accept-Ranges"))
	}
	resp, body := do(t, "GET", u, "Range", "bytes=100-", "If-Range", `"stale"`)
	if resp.StatusCode != 200 || !bytes.Equal(body, wasm) {
		t.Errorf("Range with a stale If-Range: status %d, %d bytes, want 200 and the whole file", resp.StatusCode, len(body))
	}
	resp, _ = do(t, "GET", u, "Range", "bytes=999999-")
	if resp.StatusCode != http.StatusRequestedRangeNotSatisfiable {
		t.Errorf("Range beyond the end: status %d, want 416", resp.StatusCode)
	}
	resp, body = do(t, "HEAD", u, "Accept-Encoding", "gzip")
	if resp.StatusCode != 200 || len(body) != 0 || resp.Header.Get("Content-Length") != fmt.Sprint(zipped.ContentLength) {
		t.Errorf("HEAD: status %d, %d bytes of body, Content-Length %q, want 200, none, %d", resp.StatusCode, len(body), resp.Header.Get("Content-Length"), zipped.ContentLength)
	}
}

func TestBrowserURL(t *testing.T) {
	for _, c := range []struct {
		ip      string
		url     string
		exposed bool
	}{
		{"127.0.0.1", "http://127.0.0.1:8080/", false},
		{"::1", "http://[::1]:8080/", false},
		{"0.0.0.0", "http://localhost:8080/", true},
		{"::", "http://localhost:8080/", true},
		{"", "http://localhost:8080/", true},
		{"192.168.1.20", "http://192.168.1.20:8080/", true},
		{"fe80::1", "http://[fe80::1]:8080/", true},
	} {
		url, exposed := BrowserURL(&net.TCPAddr{IP: net.ParseIP(c.ip), Port: 8080})
		if url != c.url || exposed != c.exposed {
			t.Errorf("%q: %s, exposed %v; want %s, %v", c.ip, url, exposed, c.url, c.exposed)
		}
	}
}

// Every response carries the headers a public deployment expects: a Content-Security-Policy
// allowing what the page needs and nothing else, no framing, no referrer to other sites,
// the camera for this origin only.
func TestSecurityHeaders(t *testing.T) {
	ts := testServer(t)
	for _, c := range []struct{ method, path string }{
		{"GET", "/"}, {"GET", "/easel.wasm"}, {"HEAD", "/web/app.css"}, {"GET", "/missing"}, {"POST", "/"},
	} {
		resp, _ := do(t, c.method, ts.URL+c.path)
		h := resp.Header
		csp := map[string]string{}
		for _, d := range strings.Split(h.Get("Content-Security-Policy"), ";") {
			name, value, _ := strings.Cut(strings.TrimSpace(d), " ")
			csp[name] = value
		}
		for name, want := range map[string]string{
			"default-src": "'none'", "script-src": "'self' 'wasm-unsafe-eval'", "connect-src": "'self'",
			"img-src": "'self' blob: data:", "style-src": "'self'", "base-uri": "'none'", "form-action": "'none'",
			"frame-ancestors": "'none'",
		} {
			if csp[name] != want {
				t.Errorf("%s %s: Content-Security-Policy %s is %q, want %q", c.method, c.path, name, csp[name], want)
			}
		}
		for name, want := range map[string]string{
			"Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff",
			"Permissions-Policy": "camera=(self), microphone=(), geolocation=()", "Cross-Origin-Opener-Policy": "same-origin",
		} {
			if h.Get(name) != want {
				t.Errorf("%s %s: %s %q, want %q", c.method, c.path, name, h.Get(name), want)
			}
		}
	}
}
