package main

import (
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/spf13/cobra"

	"easel"
	"easel/server"
)

func serveCmd() *cobra.Command {
	var addr, wasmPath, wasmExec string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the web app",
		Long: "Serve the web app: the page, its assets and the WebAssembly build " +
			"(make wasm builds it into build/; make run builds it and starts this).",
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
			h, err := server.New(easel.Site, files...)
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
	return cmd
}
