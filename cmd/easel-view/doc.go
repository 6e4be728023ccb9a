// Command easel-view watches or replays a GAN training run in a window: the latest grid of
// samples (or any earlier one: a slider and the arrow keys step through them), the loss
// curves of the run's log, and a latent explorer that runs the run's generator on the GPU
// around a point of its latent space, moved by dragging the mouse.
//
//	easel-view [--model FILE] RUN_DIR
//
// RUN_DIR is the run folder of `easel train` (log.jsonl, samples-STEP.png,
// checkpoint.msgpack); the view follows the files as the run writes them. The window
// needs cgo and X11: build with
//
//	go build -tags viewer ./cmd/easel-view
//
// (Debian packages: see scripts/install-deps.sh). Without the tag, or without cgo, the
// command only says how to rebuild it; without a display it says so and exits with
// status 1.
package main
