// Command easel is Easel's command line: GPU information, benchmarks, and (as they land)
// stylizing, sampling, importing and training.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

func main() {
	root := &cobra.Command{
		Use:           "easel",
		Short:         "Neural style transfer and GAN image synthesis on WebGPU",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(infoCmd(), serveCmd())
	if err := root.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "easel:", err)
		os.Exit(1)
	}
}
