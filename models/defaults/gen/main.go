// Command gen writes Easel's embedded default models (models.UntrainedDefaults) into a
// directory, one NAME.msgpack each. Run it through go generate ./models.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"easel/models"
)

func main() {
	out := flag.String("out", "models/defaults", "directory to write the weights files into")
	flag.Parse()
	for _, w := range models.UntrainedDefaults() {
		path := filepath.Join(*out, w.Meta.Name+".msgpack")
		if err := models.WriteFile(path, w); err != nil {
			log.Fatal(err)
		}
		fi, err := os.Stat(path)
		if err != nil {
			log.Fatal(err)
		}
		params := 0
		for i := range w.Tensors {
			params += w.Tensors[i].NumElements()
		}
		fmt.Printf("%s: %s, %d parameters, %d bytes\n", path, w.Arch, params, fi.Size())
	}
}
