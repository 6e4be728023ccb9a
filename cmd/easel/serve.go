package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"easel"
	"easel/models"
	"easel/server"
)

func serveCmd() *cobra.Command {
	var addr, wasmPath, wasmExec, modelsDir string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the web app",
		Long: "Serve the web app: the page, its assets, the WebAssembly build and the models: " +
			"the embedded ones and the *.msgpack files of --models, checked at start-up (a file that is " +
			"not a readable weights file is named on stderr and skipped), listed at " + server.ModelIndexURL + ".\n\n" +
			"The easel that make build writes (build/easel) carries the WebAssembly build and serves the " +
			"whole app by itself; --wasm and --wasm-exec replace its files. Another easel (go run, go build) " +
			"reads them from build/, where make wasm puts them. Browsers give the camera and WebGPU only to " +
			"a secure context: http://localhost here, HTTPS elsewhere (README.md, Deployment).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			files := []server.File{}
			for _, f := range []struct {
				name, path string
				given      bool
			}{
				{easel.WebAppFiles[0], wasmPath, cmd.Flags().Changed("wasm")},
				{easel.WebAppFiles[1], wasmExec, cmd.Flags().Changed("wasm-exec")},
			} {
				var body []byte
				var err error
				switch {
				case f.given || easel.WebApp == nil:
					body, err = os.ReadFile(f.path)
				default:
					body, err = fs.ReadFile(easel.WebApp, f.name)
				}
				if err != nil && !f.given && easel.WebApp == nil {
					return fmt.Errorf("%w: this easel has no web app embedded (make build writes build/easel, which has; "+
						"make wasm builds the files that this one serves from build/)", err)
				}
				if err != nil {
					return err
				}
				files = append(files, server.File{URL: "/" + f.name, Body: body})
			}
			ms, err := serveModels(cmd, modelsDir)
			if err != nil {
				return err
			}
			modelFiles, err := server.ModelFiles(ms)
			if err != nil {
				return err
			}
			h, err := server.New(easel.Site, append(files, modelFiles...)...)
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return server.ListenAndServe(ctx, addr, h, func(url string, exposed bool) {
				if exposed {
					fmt.Fprintf(cmd.ErrOrStderr(), "warning: --addr %s is reachable from the network, over plain HTTP. Browsers give the "+
						"camera and WebGPU only to a secure context: https://, or http://localhost on this machine. Elsewhere, serve "+
						"Easel through a reverse proxy with HTTPS (see README.md, Deployment).\n", addr)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "Easel is serving on %s (Ctrl-C stops it)\n", url)
			})
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:8080", "address to listen on")
	cmd.Flags().StringVar(&wasmPath, "wasm", filepath.Join("build", "easel.wasm"),
		"the WebAssembly build of ./wasm (default: the embedded one, if this easel has it)")
	cmd.Flags().StringVar(&wasmExec, "wasm-exec", filepath.Join("build", "wasm_exec.js"),
		"wasm_exec.js from the Go toolchain that built the .wasm (default: the embedded one, if this easel has it)")
	cmd.Flags().StringVar(&modelsDir, "models", "", "directory whose *.msgpack weights files are served besides the embedded models")
	return cmd
}

// serveModels returns the embedded models and those of dir (if not empty), each checked
// with models.Decode; a file of dir replaces the embedded model of the same name. A file of
// dir that cannot be served (not a regular file, too large, not a readable weights file, a
// name that cannot be a URL) is named on stderr with the reason and skipped: one bad file
// does not keep the others off the air. A dir that is not a directory is an error.
func serveModels(cmd *cobra.Command, dir string) ([]server.Model, error) {
	var ms []server.Model
	for _, e := range models.Embedded() {
		m, err := server.NewModel(e.Name, e.Data)
		if err != nil {
			return nil, fmt.Errorf("embedded %w", err)
		}
		ms = append(ms, m)
	}
	if dir == "" {
		return ms, nil
	}
	if fi, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("--models: %w", err)
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("--models %s is not a directory (want a directory of *.msgpack weights files)", dir)
	}
	paths, err := filepath.Glob(filepath.Join(dir, "*.msgpack"))
	if err != nil {
		return nil, fmt.Errorf("--models: %w", err)
	}
	sort.Strings(paths)
	stderr := cmd.ErrOrStderr()
	skipped := 0
	for _, p := range paths {
		data, err := readModelFile(p, models.DefaultLimit)
		var m server.Model
		if err == nil {
			m, err = server.NewModel(strings.TrimSuffix(filepath.Base(p), ".msgpack"), data)
		}
		if err != nil {
			fmt.Fprintf(stderr, "easel serve: skipping %s: %v\n", p, err)
			skipped++
			continue
		}
		i := slices.IndexFunc(ms, func(e server.Model) bool { return e.Info.Name == m.Info.Name })
		if i < 0 {
			ms = append(ms, m)
			continue
		}
		fmt.Fprintf(stderr, "note: %s replaces the embedded model %s\n", p, m.Info.Name)
		ms[i] = m
	}
	switch {
	case len(paths) == 0:
		fmt.Fprintf(stderr, "note: --models %s holds no *.msgpack file\n", dir)
	case skipped > 0:
		fmt.Fprintf(stderr, "easel serve: serving %d of the %d *.msgpack files of %s; the others are named above\n",
			len(paths)-skipped, len(paths), dir)
	}
	return ms, nil
}

// readModelFile reads the file at path if it is a regular file (a symlink to one is fine)
// of at most limit bytes. Devices, FIFOs and directories are refused before they are
// opened, so that /dev/zero cannot exhaust memory nor a FIFO stall the start.
func readModelFile(path string, limit int64) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, unwrapPath(err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file (%s)", fileKind(fi.Mode()))
	}
	if fi.Size() > limit {
		return nil, fmt.Errorf("%d bytes exceeds the limit of %d", fi.Size(), limit)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, unwrapPath(err)
	}
	defer f.Close()
	// The file may have been replaced since the Stat: check what was opened.
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file")
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, unwrapPath(err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("more than the limit of %d bytes", limit)
	}
	if len(data) == 0 {
		return nil, errors.New("empty file")
	}
	return data, nil
}

// fileKind names the type of a file that is not a regular one.
func fileKind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	}
	return m.Type().String()
}
