package mp3

import "math"

// Lee's fast DCT-II, specialised by size so that every index is
// constant-bounded: X[k] = Σ x[n]·cos(π(2n+1)k/2N). Each size splits into
// the DCT of the sums x[n]+x[N-1-n] (even outputs) and of the scaled
// differences (x[n]-x[N-1-n])/(2cos(π(2n+1)/2N)) (odd outputs, as
// B[k]+B[k+1]).

var leeF32 = func() (f [16]float32) {
	for i := range f {
		f[i] = float32(1 / (2 * math.Cos(math.Pi*float64(2*i+1)/64)))
	}
	return
}()

func dct32(x *[32]float32) {
	var a, b [16]float32
	for i := range 16 {
		u, v := x[i], x[31-i]
		a[i] = u + v
		b[i] = (u - v) * leeF32[i]
	}
	dct16(&a)
	dct16(&b)
	for k := range 16 {
		x[2*k] = a[k]
	}
	for k := range 15 {
		x[2*k+1] = b[k] + b[k+1]
	}
	x[31] = b[15]
}

var leeF16 = func() (f [8]float32) {
	for i := range f {
		f[i] = float32(1 / (2 * math.Cos(math.Pi*float64(2*i+1)/32)))
	}
	return
}()

func dct16(x *[16]float32) {
	var a, b [8]float32
	for i := range 8 {
		u, v := x[i], x[15-i]
		a[i] = u + v
		b[i] = (u - v) * leeF16[i]
	}
	dct8(&a)
	dct8(&b)
	for k := range 8 {
		x[2*k] = a[k]
	}
	for k := range 7 {
		x[2*k+1] = b[k] + b[k+1]
	}
	x[15] = b[7]
}

var leeF8 = func() (f [4]float32) {
	for i := range f {
		f[i] = float32(1 / (2 * math.Cos(math.Pi*float64(2*i+1)/16)))
	}
	return
}()

func dct8(x *[8]float32) {
	var a, b [4]float32
	for i := range 4 {
		u, v := x[i], x[7-i]
		a[i] = u + v
		b[i] = (u - v) * leeF8[i]
	}
	dct4(&a)
	dct4(&b)
	for k := range 4 {
		x[2*k] = a[k]
	}
	for k := range 3 {
		x[2*k+1] = b[k] + b[k+1]
	}
	x[7] = b[3]
}

var leeF4 = func() (f [2]float32) {
	for i := range f {
		f[i] = float32(1 / (2 * math.Cos(math.Pi*float64(2*i+1)/8)))
	}
	return
}()

func dct4(x *[4]float32) {
	var a, b [2]float32
	for i := range 2 {
		u, v := x[i], x[3-i]
		a[i] = u + v
		b[i] = (u - v) * leeF4[i]
	}
	dct2(&a)
	dct2(&b)
	for k := range 2 {
		x[2*k] = a[k]
	}
	for k := range 1 {
		x[2*k+1] = b[k] + b[k+1]
	}
	x[3] = b[1]
}

func dct2(x *[2]float32) {
	u, v := x[0], x[1]
	x[0], x[1] = u+v, (u-v)*leeF2
}

var leeF2 = float32(1 / (2 * math.Cos(math.Pi/4)))
