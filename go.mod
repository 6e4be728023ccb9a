module easel

go 1.26

require (
	github.com/gogpu/gputypes v0.8.0
	github.com/gogpu/wgpu v0.34.5
	github.com/spf13/cobra v1.10.2
)

require (
	github.com/go-webgpu/goffi v0.6.3 // indirect
	github.com/go-webgpu/webgpu v0.5.5 // indirect
	github.com/gogpu/gpucontext v0.31.3 // indirect
	github.com/gogpu/naga v0.19.0 // indirect
	github.com/inconshreveable/mousetrap v1.1.0 // indirect
	github.com/spf13/pflag v1.0.9 // indirect
)
