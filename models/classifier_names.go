package models

import (
	"fmt"
	"strings"
)

// ClassifierAttrNames returns the names of the attributes a classifier judges, in logit
// order, as its config records them (attr_names, comma-separated); nil when it judges none.
func ClassifierAttrNames(w *Weights) ([]string, error) {
	if w.Arch != ArchClassifier {
		return nil, fmt.Errorf("weights are for arch %q, want %s", w.Arch, ArchClassifier)
	}
	attrs, err := configInt(w.Arch, w.Config, "attrs", 0, maxClassifierOutputs)
	if err != nil {
		return nil, err
	}
	if attrs == 0 {
		return nil, nil
	}
	s, err := w.Config.Text("attr_names")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", w.Arch, err)
	}
	names := strings.Split(s, ",")
	if len(names) != attrs {
		return nil, fmt.Errorf("%s: config.attr_names names %d attributes, config.attrs is %d", w.Arch, len(names), attrs)
	}
	return names, nil
}
