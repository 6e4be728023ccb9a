//go:build unix

package tmpfile

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestIsTemp(t *testing.T) {
	for _, c := range []struct {
		name string
		want bool
	}{
		{".out.png.tmp-123", true}, {".out.png.tmp-4294967295", true}, {".out.png.tmp-", false}, {".out.png.tmp-12a", false},
		{"out.png.tmp-1", false}, {".out.png.tmp-1.png", false}, {".out.npy.tmp-1", false}, {"..out.png.tmp-1", false},
	} {
		if got := IsTemp(c.name, "out.png"); got != c.want {
			t.Errorf("IsTemp(%q, out.png) = %v", c.name, got)
		}
	}
}

// TestKilledWriter kills a writer with SIGKILL while it holds its temporary file: while
// it lives the file is not stale, once it is dead the next Create removes it.
func TestKilledWriter(t *testing.T) {
	if p := os.Getenv("EASEL_TMPFILE_WRITER"); p != "" {
		f, err := Create(p)
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(2)
		}
		fmt.Println(f.Name())
		time.Sleep(time.Minute)
		os.Exit(3)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "out.png")
	cmd := exec.Command(os.Args[0], "-test.run=^TestKilledWriter$")
	cmd.Env = append(os.Environ(), "EASEL_TMPFILE_WRITER="+path)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, filepath.Join(dir, ".out.png.tmp-")) {
		t.Fatalf("the writer said %q, %v", line, err)
	}
	tmp := strings.TrimSpace(line)
	if removed := RemoveStale(path); len(removed) != 0 {
		t.Errorf("removed %q of a live writer", removed)
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	cmd.Wait()
	if _, err := os.Stat(tmp); err != nil {
		t.Fatalf("the killed writer left no %s: %v", tmp, err)
	}
	f, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Errorf("%s of the killed writer is still there (%v)", tmp, err)
	}
	if _, err := os.Stat(f.Name()); err != nil {
		t.Error(err)
	}
}

// Writers of one path at once never remove each other's files.
func TestConcurrentWriters(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.png")
	var wg sync.WaitGroup
	errs := make(chan error, 8*50)
	for w := range 8 {
		wg.Go(func() {
			for i := range 50 {
				f, err := Create(path)
				if err != nil {
					errs <- err
					return
				}
				fmt.Fprintf(f, "writer %d, write %d", w, i)
				if err := Rename(f, path); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != "out.png" {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("directory holds %q, want out.png alone", names)
	}
}
