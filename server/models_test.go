package server

import (
	"bytes"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"easel/models"
)

func weightsFile(t *testing.T, name string, trained bool) []byte {
	t.Helper()
	w := models.InitGenerator(models.GeneratorConfig{NZ: 4, NGF: 2, NC: 3}, rand.New(rand.NewPCG(1, 2)))
	w.Meta.Name, w.Meta.Trained, w.Meta.Description = name, trained, "a test model"
	var buf bytes.Buffer
	if err := models.Encode(&buf, w); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func modelServer(t *testing.T) (*httptest.Server, []Model) {
	t.Helper()
	var ms []Model
	for _, c := range []struct {
		name    string
		trained bool
	}{{"faces-a", false}, {"faces-b", true}} {
		m, err := NewModel(c.name, weightsFile(t, c.name, c.trained))
		if err != nil {
			t.Fatal(err)
		}
		ms = append(ms, m)
	}
	files, err := ModelFiles(ms)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(fstest.MapFS{"index.html": {Data: []byte("<!doctype html>")}}, files...)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return ts, ms
}

func get(t *testing.T, url string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
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

func TestModelIndexAndWeights(t *testing.T) {
	ts, ms := modelServer(t)
	resp, body := get(t, ts.URL+ModelIndexURL)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET %s: %d %s", ModelIndexURL, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("index Cache-Control %q, want no-cache: it changes with the models", cc)
	}
	var index []ModelInfo
	if err := json.Unmarshal(body, &index); err != nil {
		t.Fatalf("index: %v\n%s", err, body)
	}
	if len(index) != 2 {
		t.Fatalf("index lists %d models, want 2: %s", len(index), body)
	}
	for i, info := range index {
		want := ms[i]
		if info.Name != want.Info.Name || info.Arch != models.ArchDCGANGenerator || info.Bytes != len(want.Data) ||
			info.License != "CC0-1.0" || info.Trained != (i == 1) || info.Description != "a test model" || info.Config["nz"] != 4.0 {
			t.Errorf("index entry %d: %+v, want %s (%d bytes, trained %v)", i, info, want.Info.Name, len(want.Data), i == 1)
		}
		if !strings.HasPrefix(info.URL, "/models/"+info.SHA256[:16]+"/") || !strings.HasSuffix(info.URL, "/"+info.Name+".msgpack") {
			t.Errorf("%s is served at %s, want /models/<first 16 hex digits of %s>/%s.msgpack", info.Name, info.URL, info.SHA256, info.Name)
		}
		resp, got := get(t, ts.URL+info.URL)
		if resp.StatusCode != 200 || !bytes.Equal(got, want.Data) {
			t.Fatalf("GET %s: %d, %d bytes, want the %d bytes of the file", info.URL, resp.StatusCode, len(got), len(want.Data))
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/msgpack" {
			t.Errorf("GET %s: Content-Type %q", info.URL, ct)
		}
		if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "immutable") || !strings.Contains(cc, "max-age=31536000") {
			t.Errorf("GET %s: Cache-Control %q, want a year, immutable", info.URL, cc)
		}
		etag := resp.Header.Get("ETag")
		if resp, _ := get(t, ts.URL+info.URL, "If-None-Match", etag); resp.StatusCode != http.StatusNotModified {
			t.Errorf("GET %s with If-None-Match %s: %d, want 304", info.URL, etag, resp.StatusCode)
		}
		if resp, _ := get(t, ts.URL+info.URL, "Accept-Encoding", "gzip"); resp.StatusCode != 200 {
			t.Errorf("GET %s accepting gzip: %d", info.URL, resp.StatusCode)
		}
	}
	for _, path := range []string{
		"/models/", "/models/" + index[0].SHA256[:16] + "/", "/models/0000000000000000/faces-a.msgpack",
		"/models/" + index[0].SHA256[:16] + "/faces-b.msgpack", "/models/../index.html", "/models/%2e%2e/index.json",
	} {
		if resp, _ := get(t, ts.URL+path); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, resp.StatusCode)
		}
	}
	req, _ := http.NewRequest("PUT", ts.URL+index[0].URL, strings.NewReader("x"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("PUT %s: %d, want 405", index[0].URL, resp.StatusCode)
	}
}

func TestNewModelRefusesBadFiles(t *testing.T) {
	good := weightsFile(t, "ok", false)
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"truncated", good[:len(good)/2], "model truncated: weights"},
		{"garbage", []byte("not msgpack at all"), "model garbage: weights"},
		{"../escape", good, `model name "../escape"`},
		{".hidden", good, `model name ".hidden"`},
		{"", good, `model name ""`},
	} {
		_, err := NewModel(c.name, c.data)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("NewModel(%q): %v, want an error with %q", c.name, err, c.want)
		}
	}
	m, err := NewModel("twice", good)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ModelFiles([]Model{m, m}); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("two models of one name: %v, want an error naming it", err)
	}
}
