package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"easel/models"
)

func modelsCmd() *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "models",
		Short: "List the embedded models and the weights files of a directory",
		Long: fmt.Sprintf(`List the models --model can name: the embedded ones, then the *.msgpack files of
--dir (default $%s), with architecture, size, licence and whether they are trained.
Untrained models are marked UNTRAINED: their output is meaningless.`, modelsDirEnv),
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return listModels(cmd, dir) },
	}
	cmd.Flags().StringVar(&dir, "dir", os.Getenv(modelsDirEnv), "directory of weights files")
	return cmd
}

type modelRow struct {
	name, where string
	bytes       int64
	w           *models.Weights
}

func listModels(cmd *cobra.Command, dir string) error {
	var rows []modelRow
	var embedded []string
	for _, m := range models.Embedded() {
		w, err := m.Weights()
		if err != nil {
			return err
		}
		rows = append(rows, modelRow{m.Name, "embedded", int64(len(m.Data)), w})
		embedded = append(embedded, m.Name)
	}
	var bad []string
	if dir != "" {
		if _, err := os.Stat(dir); err != nil {
			return fmt.Errorf("models directory: %w", err)
		}
		paths, err := filepath.Glob(filepath.Join(dir, "*.msgpack"))
		if err != nil {
			return err
		}
		sort.Strings(paths)
		for _, p := range paths {
			name := strings.TrimSuffix(filepath.Base(p), ".msgpack")
			w, err := models.ReadFile(p)
			if err != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "easel models: %v\n", err)
				bad = append(bad, p)
				continue
			}
			fi, err := os.Stat(p)
			if err != nil {
				return err
			}
			where := p
			if slices.Contains(embedded, name) {
				where += " (the embedded model of this name comes first: give the path)"
			}
			rows = append(rows, modelRow{name, where, fi.Size(), w})
		}
	}

	tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tARCH\tCONFIG\tPARAMS\tSIZE\tLICENSE\tTRAINED\tWHERE")
	for _, r := range rows {
		trained := "yes"
		if !r.w.Meta.Trained {
			trained = "UNTRAINED"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.name, r.w.Arch, formatConfig(r.w.Config),
			formatCount(float64(paramCount(r.w))), formatBytes(r.bytes), r.w.Meta.License, trained, r.where)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range rows {
		noteUntrained(cmd.ErrOrStderr(), r.name, r.w)
	}
	if len(bad) > 0 {
		return fmt.Errorf("%d weights file(s) in %s could not be read: %s", len(bad), dir, strings.Join(bad, ", "))
	}
	return nil
}

// formatConfig writes a config as sorted key=value pairs.
func formatConfig(c models.Config) string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%v", k, c[k])
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, " ")
}

// formatCount writes a count with a k/M/G suffix.
func formatCount(n float64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.2fG", n/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.2fM", n/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1fk", n/1e3)
	}
	return fmt.Sprintf("%.0f", n)
}

// formatBytes writes a byte count in decimal units.
func formatBytes(n int64) string {
	switch {
	case n >= 1e6:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	}
	return fmt.Sprintf("%d B", n)
}
