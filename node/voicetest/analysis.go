package voicetest

import (
	"math"
	"math/cmplx"
	"time"
)

// histogram counts durations in 100 µs buckets up to 100 ms; larger values
// land in the last bucket (max keeps the true largest).
type histogram struct {
	buckets [1001]uint32
	n       uint64
	max     time.Duration
}

const histBucket = 100 * time.Microsecond

func (h *histogram) add(d time.Duration) {
	if d < 0 {
		d = 0
	}
	i := int(d / histBucket)
	if i >= len(h.buckets) {
		i = len(h.buckets) - 1
	}
	h.buckets[i]++
	h.n++
	h.max = max(h.max, d)
}

// quantile returns the upper edge of the bucket holding quantile q.
func (h *histogram) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	target := uint64(math.Ceil(q * float64(h.n)))
	target = max(target, 1)
	var seen uint64
	for i, c := range h.buckets {
		seen += uint64(c)
		if seen >= target {
			return time.Duration(i+1) * histBucket
		}
	}
	return h.max
}

func (h *histogram) merge(o *histogram) {
	for i, c := range o.buckets {
		h.buckets[i] += c
	}
	h.n += o.n
	h.max = max(h.max, o.max)
}

func (h *histogram) countAbove(d time.Duration) uint64 {
	var n uint64
	for i := int(d/histBucket) + 1; i < len(h.buckets); i++ {
		n += uint64(h.buckets[i])
	}
	return n
}

// ring keeps the last len(buf) samples of one channel.
type ring struct {
	buf  []float32
	next int
	full bool
}

func (r *ring) push(v float32) {
	r.buf[r.next] = v
	r.next++
	if r.next == len(r.buf) {
		r.next = 0
		r.full = true
	}
}

// last copies the newest n samples in time order.
func (r *ring) last(n int) []float64 {
	have := r.next
	if r.full {
		have = len(r.buf)
	}
	n = min(n, have)
	out := make([]float64, n)
	start := r.next - n
	for i := range n {
		j := start + i
		if j < 0 {
			j += len(r.buf)
		}
		out[i] = float64(r.buf[j])
	}
	return out
}

func (r *ring) reset() { r.next, r.full = 0, false }

// ChannelReport is what the fake heard on one channel.
type ChannelReport struct {
	DominantHz float64 // strongest frequency, 0 when too few samples
	LevelDBFS  float64 // RMS level; -inf for digital silence
}

// analyse finds the dominant frequency (Hann window, FFT over the largest
// power of two that fits, parabolic peak interpolation) and the RMS level.
func analyse(x []float64, rate float64) ChannelReport {
	n := 1
	for n*2 <= len(x) {
		n *= 2
	}
	if n < 1024 {
		return ChannelReport{LevelDBFS: math.Inf(-1)}
	}
	x = x[len(x)-n:]
	var sum float64
	buf := make([]complex128, n)
	for i, v := range x {
		sum += v * v
		w := 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(n-1))
		buf[i] = complex(v*w, 0)
	}
	rep := ChannelReport{LevelDBFS: 10 * math.Log10(sum/float64(n))}
	fft(buf)
	best, bestMag := 0, 0.0
	mags := make([]float64, n/2)
	for i := 1; i < n/2; i++ {
		mags[i] = cmplx.Abs(buf[i])
		if mags[i] > bestMag {
			best, bestMag = i, mags[i]
		}
	}
	if best == 0 {
		return rep
	}
	off := 0.0
	if best > 1 && best < n/2-1 {
		a, b, c := mags[best-1], mags[best], mags[best+1]
		if d := a - 2*b + c; d != 0 {
			off = 0.5 * (a - c) / d
		}
	}
	rep.DominantHz = (float64(best) + off) * rate / float64(n)
	return rep
}

// fft is an in-place iterative radix-2 FFT; len(a) must be a power of two.
func fft(a []complex128) {
	n := len(a)
	for i, j := 1, 0; i < n; i++ {
		bit := n >> 1
		for ; j&bit != 0; bit >>= 1 {
			j ^= bit
		}
		j ^= bit
		if i < j {
			a[i], a[j] = a[j], a[i]
		}
	}
	for size := 2; size <= n; size <<= 1 {
		w := cmplx.Exp(complex(0, -2*math.Pi/float64(size)))
		for start := 0; start < n; start += size {
			wk := complex(1, 0)
			for k := range size / 2 {
				u, v := a[start+k], a[start+k+size/2]*wk
				a[start+k], a[start+k+size/2] = u+v, u-v
				wk *= w
			}
		}
	}
}
