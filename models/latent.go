package models

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/go-gl/mathgl/mgl64"
)

// Walks through a GAN's latent space: random points, spherical interpolation between two,
// and attribute arithmetic. Latent vectors are flat []float32 of nz values, one per
// generator input [nz,1,1].

// RandomLatents returns n latent vectors of nz standard normal values, the same for the
// same seed on every machine (PCG seeded with seed).
func RandomLatents(n, nz int, seed uint64) [][]float32 {
	rng := rand.New(rand.NewPCG(seed, 0x1a7e47))
	zs := make([][]float32, n)
	for i := range zs {
		zs[i] = make([]float32, nz)
		for j := range zs[i] {
			zs[i][j] = float32(rng.NormFloat64())
		}
	}
	return zs
}

func latentVec(z []float32) *mgl64.VecN {
	v := make([]float64, len(z))
	for i, x := range z {
		v[i] = float64(x)
	}
	return mgl64.NewVecNFromData(v)
}

func latentValues(v *mgl64.VecN) []float32 {
	raw := v.Raw()
	z := make([]float32, v.Size())
	for i := range z {
		z[i] = float32(raw[i])
	}
	return z
}

// Slerp interpolates spherically from a (t = 0) to b (t = 1): along the great circle
// between their directions, with the norms blended alike, which keeps the intermediate
// points as typical of a Gaussian latent space as the ends (White, "Sampling Generative
// Networks", 2016). Nearly parallel vectors are interpolated linearly.
func Slerp(a, b []float32, t float64) ([]float32, error) {
	if len(a) != len(b) || len(a) == 0 {
		return nil, fmt.Errorf("slerp: latent vectors of %d and %d values", len(a), len(b))
	}
	va, vb := latentVec(a), latentVec(b)
	cos := va.Dot(vb) / (va.Len() * vb.Len())
	omega := math.Acos(math.Max(-1, math.Min(1, cos)))
	wa, wb := 1-t, t
	if s := math.Sin(omega); s > 1e-6 && !math.IsNaN(cos) {
		wa, wb = math.Sin((1-t)*omega)/s, math.Sin(t*omega)/s
	}
	return latentValues(va.Mul(nil, wa).Add(nil, vb.Mul(nil, wb))), nil
}

// LatentArithmetic returns target + mean(with) - mean(without): it adds to target the
// attribute that the vectors in with share and those in without lack (Radford et al.,
// DCGAN, 2015: smiling woman - neutral woman + neutral man = smiling man).
func LatentArithmetic(target []float32, with, without [][]float32) ([]float32, error) {
	if len(with) == 0 || len(without) == 0 {
		return nil, fmt.Errorf("latent arithmetic: need at least one vector with the attribute and one without (got %d and %d)",
			len(with), len(without))
	}
	mean := func(zs [][]float32, what string) (*mgl64.VecN, error) {
		sum := mgl64.NewVecN(len(target))
		sum.Zero(len(target))
		for i, z := range zs {
			if len(z) != len(target) {
				return nil, fmt.Errorf("latent arithmetic: vector %d %s the attribute has %d values, the target %d", i, what, len(z), len(target))
			}
			sum.Add(sum, latentVec(z))
		}
		return sum.Mul(sum, 1/float64(len(zs))), nil
	}
	mw, err := mean(with, "with")
	if err != nil {
		return nil, err
	}
	mo, err := mean(without, "without")
	if err != nil {
		return nil, err
	}
	return latentValues(latentVec(target).Add(nil, mw.Sub(nil, mo))), nil
}

// AddDirection returns z + strength·d: z moved along a latent direction (DirectionsOf),
// e.g. "glasses" with strength 1 adds glasses, with -1 takes them away.
func AddDirection(z, d []float32, strength float64) ([]float32, error) {
	if len(z) != len(d) || len(z) == 0 {
		return nil, fmt.Errorf("add direction: a latent vector of %d values and a direction of %d", len(z), len(d))
	}
	if math.IsNaN(strength) || math.IsInf(strength, 0) {
		return nil, fmt.Errorf("add direction: strength %v, want a finite number", strength)
	}
	return latentValues(latentVec(z).Add(nil, latentVec(d).Mul(nil, strength))), nil
}
