package main

import (
	"strings"
	"testing"
)

func TestBenchTrain(t *testing.T) {
	for _, args := range [][]string{
		{"bench", "train", "dcgan", "--batch", "2", "--nz", "8", "--ngf", "4", "--ndf", "4", "--runs", "2", "--warmup", "1"},
		{"bench", "train", "transformer-net", "--model", "light", "--size", "16", "--runs", "2", "--warmup", "0"},
	} {
		stdout, _ := mustEasel(t, args...)
		for _, want := range []string{"adapter: ", "median", "memory:  ", "MiB", "GFLOP/s"} {
			if !strings.Contains(stdout, want) {
				t.Errorf("easel %s: output lacks %q", strings.Join(args, " "), want)
			}
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"bench", "train", "dcgan", "--batch", "1"}, "--batch 1"},
		{[]string{"bench", "train", "dcgan", "--nc", "2"}, "--nc 2"},
		{[]string{"bench", "train", "transformer-net", "--size", "4"}, "--size 4"},
		{[]string{"bench", "train", "transformer-net", "--model", "dcgan-g"}, "dcgan-g"},
	} {
		if _, _, err := runEasel(t, c.args...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("easel %s: error %v, want one naming %q", strings.Join(c.args, " "), err, c.want)
		}
	}
}
