package mp3

// synthState is one channel's polyphase filterbank history: the V
// vector of 11172-3 Annex A (Figure A.2) as a ring of 1024 values.
type synthState struct {
	// v holds the ring twice (v[i] == v[i+1024]) so that the window
	// loop reads V[o..o+1023] without wrapping.
	v   [2048]float32
	off int // where V[0] lives in v
}

// synthD is the window D[i] as float32.
var synthD = func() (d [512]float32) {
	for i, v := range synthWindow {
		d[i] = float32(v)
	}
	return
}()

// synthesize runs the 18 time slots of d.hybOut through channel ch's
// filterbank, writing 576 samples to dst (interleaved stereo; a mono
// stream is written to both channels).
func (d *Decoder) synthesize(ch int, dst []float32, nch int) {
	s := &d.synth[ch]
	a := &d.dctA
	for t := range 18 {
		for sb := range 32 {
			a[sb] = d.hybOut[sb][t]
		}
		dct32(a)
		s.off = (s.off - 64) & 1023
		o := s.off
		// V[i] = Σ S[k]·cos((16+i)(2k+1)π/64) from the DCT-II A:
		// A[i+16] for i < 16, 0 at 16, -A[48-i] up to 47, -A[i-48] after.
		nv := (*[64]float32)(s.v[o : o+64])
		for i := range 16 {
			nv[i] = a[16+i]
		}
		nv[16] = 0
		for i := 17; i < 48; i++ {
			nv[i] = -a[48-i]
		}
		for i := 48; i < 64; i++ {
			nv[i] = -a[i-48]
		}
		copy(s.v[o+1024:o+1088], nv[:])
		v := (*[1024]float32)(s.v[o : o+1024])
		// Window and sum: out[j] = Σ_i V[128i+j]·D[64i+j] +
		// V[128i+96+j]·D[64i+32+j]. Looping over j innermost keeps 32
		// independent sums in flight.
		var acc [32]float32
		for i := range 8 {
			va := (*[32]float32)(v[i*128 : i*128+32])
			vb := (*[32]float32)(v[i*128+96 : i*128+128])
			da := (*[32]float32)(synthD[i*64 : i*64+32])
			db := (*[32]float32)(synthD[i*64+32 : i*64+64])
			for j := range 32 {
				acc[j] += va[j]*da[j] + vb[j]*db[j]
			}
		}
		out := (*[64]float32)(dst[t*64 : t*64+64])
		if nch == 1 {
			for j, x := range acc {
				out[2*j] = x
				out[2*j+1] = x
			}
		} else {
			for j, x := range acc {
				out[2*j+ch] = x
			}
		}
	}
}
