package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"easel/models"
)

func convertCmd() *cobra.Command {
	var in, out, name, dtype, credit string
	cmd := &cobra.Command{
		Use:   "convert --model M --out FILE.msgpack [--dtype f16] [--name NAME]",
		Short: "Rewrite a weights file: storage precision (f32/f16) and name",
		Long: `Rewrite a weights file (an embedded model, a file, or NAME in $` + modelsDirEnv + `) with its
tensors stored as --dtype (f16 halves the file; values are rounded to the nearest half,
and values beyond ±65504 are an error) and, with --name, under another model name; --credit
adds the sources and licences of the training data to the description. The
architecture, config, conventions and provenance are kept; the description records the
conversion. The output is written atomically.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dt, err := parseDType(dtype)
			if err != nil {
				return err
			}
			if err := refuseInput(out, in); err != nil {
				return err
			}
			w, err := models.LoadModel(in, os.Getenv(modelsDirEnv))
			if err != nil {
				return err
			}
			if name != "" {
				w.Meta.Name = name
			}
			if credit != "" && !strings.Contains(w.Meta.Description, credit) {
				w.Meta.Description = strings.TrimSpace(w.Meta.Description + " " + credit)
			}
			note := fmt.Sprintf("stored as %s by easel convert", dtype)
			if !strings.Contains(w.Meta.Description, note) {
				w.Meta.Description = strings.TrimSpace(w.Meta.Description + " (" + note + ")")
			}
			for i := range w.Tensors {
				w.Tensors[i].DType = dt
			}
			if err := models.WriteFile(out, w); err != nil {
				return fmt.Errorf("write %s: %w", out, unwrapPath(err))
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %s %s (%s), %d tensors, %d parameters (%s)\n",
				out, w.Meta.Name, w.Arch, formatConfig(w.Config), len(w.Tensors), paramCount(w), dtype)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&in, "model", "", "model name or weights file to convert")
	f.StringVar(&out, "out", "", "weights file to write (.msgpack)")
	f.StringVar(&dtype, "dtype", "f16", "storage of the tensors: f32 or f16")
	f.StringVar(&name, "name", "", "model name (default: the input's)")
	f.StringVar(&credit, "credit", "", "sources and licences of the training data, added to the description")
	cmd.MarkFlagRequired("model")
	cmd.MarkFlagRequired("out")
	return cmd
}
