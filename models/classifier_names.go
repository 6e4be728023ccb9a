package models

import "fmt"

// ClassifierAttrNames returns the names of the attributes a classifier judges, in logit
// order (config attr_names; attr0, attr1, … when the file names none); nil when it judges
// none.
func ClassifierAttrNames(w *Weights) ([]string, error) {
	if w.Arch != ArchClassifier {
		return nil, fmt.Errorf("weights are for arch %q, want %s", w.Arch, ArchClassifier)
	}
	c, err := classifierConfig(w)
	if err != nil {
		return nil, err
	}
	if c.Attrs == 0 || len(c.AttrNames) > 0 {
		return c.AttrNames, nil
	}
	names := make([]string, c.Attrs)
	for i := range names {
		names[i] = fmt.Sprintf("attr%d", i)
	}
	return names, nil
}
