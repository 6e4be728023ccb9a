// Command easel is Easel's command line: stylizing, sampling, importing PyTorch weights,
// listing models, benchmarks, GPU information and the web app's server.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

func main() {
	if err := rootCmd().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "easel:", err)
		os.Exit(1)
	}
}

// rootCmd is the easel command with its subcommands; tests run it as main does.
func rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "easel",
		Short:         "Neural style transfer and GAN image synthesis on WebGPU",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(stylizeCmd(), sampleCmd(), importCmd(), convertCmd(), trainCmd(), modelsCmd(), benchCmd(), infoCmd(), serveCmd())
	root.AddCommand(facesCmd(), directionsCmd(), evalCmd(), featuresCmd())
	root.AddCommand(invertCmd(), textureCmd(), gatysCmd())
	return root
}
