package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"easel/gpu"
)

func infoCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "info",
		Short: "Show the GPU adapter Easel computes on",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dev, err := gpu.Open(cmd.Context())
			if err != nil {
				return err
			}
			defer dev.Close()
			a := dev.Adapter()
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "adapter:     %s\n", a.Name)
			fmt.Fprintf(w, "vendor:      %s\n", a.Vendor)
			fmt.Fprintf(w, "driver:      %s\n", a.Driver)
			fmt.Fprintf(w, "device type: %s\n", a.DeviceType)
			fmt.Fprintf(w, "backend:     %s\n", a.Backend)
			fmt.Fprintf(w, "kernels:     %s (%s=cpu|gpu forces one)\n", a.Kernels, gpu.KernelsEnv)
			return nil
		},
	}
}
