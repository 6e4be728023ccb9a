//go:build !(js && wasm)

package models

import (
	"context"
	"fmt"
	"slices"
)

// ClassifierData is a data set with what a classifier learns of each image: its class
// (the set's Labels) and its binary attributes.
type ClassifierData struct {
	*Dataset
	Classes   int      // the number of classes Labels holds; 0 for a set without labels
	AttrNames []string // the attributes' names; nil for a set without attributes
	// Attrs returns the attributes of image k, one per name.
	Attrs func(k int) []bool
}

// NewClassifierData takes d's labels (its Classes are the largest label + 1, at least 2) and
// attributes (AttrNames, Attrs: the faces set's).
func NewClassifierData(d *Dataset) ClassifierData {
	cd := ClassifierData{Dataset: d, AttrNames: d.AttrNames, Attrs: d.Attrs}
	if len(d.Labels) > 0 {
		cd.Classes = max(2, slices.Max(d.Labels)+1)
	}
	return cd
}

// Check refuses data that a classifier of config c cannot learn or be measured on: other
// images, more classes, other attributes, labels out of range.
func (d ClassifierData) Check(c ClassifierConfig) error {
	switch {
	case d.C != c.NC || d.H != c.Size || d.W != c.Size:
		return fmt.Errorf("data %s: images [%d,%d,%d], the classifier takes [%d,%d,%d]", d.Source, d.C, d.H, d.W, c.NC, c.Size, c.Size)
	case d.Classes > c.Classes:
		return fmt.Errorf("data %s: %d classes, the classifier has %d", d.Source, d.Classes, c.Classes)
	case c.Classes > 0 && len(d.Labels) != d.N:
		return fmt.Errorf("data %s: %d labels for %d images, and the classifier has classes", d.Source, len(d.Labels), d.N)
	case len(d.AttrNames) != c.Attrs:
		return fmt.Errorf("data %s: %d attributes, the classifier has %d", d.Source, len(d.AttrNames), c.Attrs)
	case c.Attrs > 0 && d.Attrs == nil:
		return fmt.Errorf("data %s: no attribute values", d.Source)
	}
	for i, l := range d.Labels {
		if l < 0 || c.Classes > 0 && l >= c.Classes {
			return fmt.Errorf("data %s: label %d of image %d, want 0..%d", d.Source, l, i, c.Classes-1)
		}
	}
	return nil
}

// TrainingBatch fills images (len(idx)·C·H·W values), labels (len(idx), when the data
// has labels and labels is not nil) and attrs (len(idx)·attributes as 0 or 1, when attrs
// is not nil) for images idx.
func (d ClassifierData) TrainingBatch(idx []int, images []float32, labels []int, attrs []float32) {
	d.Batch(images, idx)
	if labels != nil {
		for i, k := range idx {
			labels[i] = d.Labels[k]
		}
	}
	if attrs != nil {
		na := len(d.AttrNames)
		for i, k := range idx {
			a := d.Attrs(k)
			for j := range na {
				attrs[i*na+j] = 0
				if j < len(a) && a[j] {
					attrs[i*na+j] = 1
				}
			}
		}
	}
}

// ClassifierEval is a classifier's accuracy on a set of images.
type ClassifierEval struct {
	N            int       // images
	Accuracy     float64   // share whose largest class logit is their label; 0 without classes
	AttrAccuracy []float64 // per attribute, share whose logit is > 0 exactly when the attribute holds
}

// Evaluate runs the classifier on images idx of d and measures its accuracy.
func (m *Classifier) Evaluate(ctx context.Context, d ClassifierData, idx []int) (ClassifierEval, error) {
	c := m.Config
	if err := d.Check(c); err != nil {
		return ClassifierEval{}, err
	}
	if len(idx) == 0 {
		return ClassifierEval{}, fmt.Errorf("classifier evaluation on %s: no images", d.Source)
	}
	ev := ClassifierEval{N: len(idx), AttrAccuracy: make([]float64, c.Attrs)}
	per, k := c.NC*c.Size*c.Size, c.Outputs()
	images := make([]float32, predictBatch*per)
	labels := make([]int, predictBatch)
	var attrs []float32
	if c.Attrs > 0 {
		attrs = make([]float32, predictBatch*c.Attrs)
	}
	var lab []int
	if c.Classes > 0 {
		lab = labels
	}
	correct, attrCorrect := 0, make([]int, c.Attrs)
	for i := 0; i < len(idx); i += predictBatch {
		part := idx[i:min(i+predictBatch, len(idx))]
		n := len(part)
		d.TrainingBatch(part, images[:n*per], lab, attrs)
		logits, _, err := m.Predict(ctx, images[:n*per], n)
		if err != nil {
			return ev, err
		}
		for j := range n {
			row := logits[j*k : (j+1)*k]
			if c.Classes > 0 {
				best := 0
				for q := 1; q < c.Classes; q++ {
					if row[q] > row[best] {
						best = q
					}
				}
				if best == labels[j] {
					correct++
				}
			}
			for a := range c.Attrs {
				if (row[c.Classes+a] > 0) == (attrs[j*c.Attrs+a] == 1) {
					attrCorrect[a]++
				}
			}
		}
	}
	ev.Accuracy = float64(correct) / float64(len(idx))
	for a, n := range attrCorrect {
		ev.AttrAccuracy[a] = float64(n) / float64(len(idx))
	}
	return ev, nil
}
