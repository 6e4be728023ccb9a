package main

import (
	"fmt"
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
		Long: "Serve the web app: the page, its assets, the WebAssembly build " +
			"(make wasm builds it into build/; make run builds it and starts this) and the models: " +
			"the embedded ones and the *.msgpack files of --models, checked at start-up, listed at " +
			server.ModelIndexURL + ".",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			files := []server.File{}
			for _, f := range []struct{ url, path string }{{"/easel.wasm", wasmPath}, {"/wasm_exec.js", wasmExec}} {
				body, err := os.ReadFile(f.path)
				if err != nil {
					return fmt.Errorf("%w (make wasm builds it; make run builds it and serves)", err)
				}
				files = append(files, server.File{URL: f.url, Body: body})
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
			return server.ListenAndServe(ctx, addr, h, func(url string) {
				fmt.Fprintf(cmd.OutOrStdout(), "Easel is serving on %s (Ctrl-C stops it)\n", url)
			})
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:8080", "address to listen on")
	cmd.Flags().StringVar(&wasmPath, "wasm", filepath.Join("build", "easel.wasm"), "the WebAssembly build of ./wasm")
	cmd.Flags().StringVar(&wasmExec, "wasm-exec", filepath.Join("build", "wasm_exec.js"),
		"wasm_exec.js from the Go toolchain that built the .wasm")
	cmd.Flags().StringVar(&modelsDir, "models", "", "directory whose *.msgpack weights files are served besides the embedded models")
	return cmd
}

// serveModels returns the embedded models and those of dir (if not empty), each checked
// with models.Decode; a file of dir replaces the embedded model of the same name.
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
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("--models: %w", err)
	}
	paths, err := filepath.Glob(filepath.Join(dir, "*.msgpack"))
	if err != nil {
		return nil, fmt.Errorf("--models: %w", err)
	}
	sort.Strings(paths)
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("--models: %w", err)
		}
		m, err := server.NewModel(strings.TrimSuffix(filepath.Base(p), ".msgpack"), data)
		if err != nil {
			return nil, fmt.Errorf("--models: %s: %w", p, err)
		}
		i := slices.IndexFunc(ms, func(e server.Model) bool { return e.Info.Name == m.Info.Name })
		if i < 0 {
			ms = append(ms, m)
			continue
		}
		fmt.Fprintf(cmd.ErrOrStderr(), "note: %s replaces the embedded model %s\n", p, m.Info.Name)
		ms[i] = m
	}
	return ms, nil
}
