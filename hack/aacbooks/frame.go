package main

import (
	"bytes"
	"fmt"
	"math"
)

// bitWriter appends bits most significant first.
type bitWriter struct {
	b []byte
	n int
}

func (w *bitWriter) put(v uint32, nbits int) {
	for i := nbits - 1; i >= 0; i-- {
		w.bit(v>>uint(i)&1 != 0)
	}
}

func (w *bitWriter) bit(one bool) {
	if w.n%8 == 0 {
		w.b = append(w.b, 0)
	}
	if one {
		w.b[w.n/8] |= 0x80 >> uint(w.n%8)
	}
	w.n++
}

// adts wraps one raw_data_block: MPEG-4 AAC LC, 44.1 kHz, mono, no CRC.
func adts(raw []byte) []byte {
	var w bitWriter
	w.put(0xfff, 12)
	w.put(0, 1) // MPEG-4
	w.put(0, 2) // layer
	w.put(1, 1) // protection absent
	w.put(1, 2) // profile: object type 2 (LC) minus 1
	w.put(4, 4) // 44100 Hz
	w.put(0, 1) // private
	w.put(1, 3) // channel configuration: mono
	w.put(0, 4) // original, home, copyright bits
	w.put(uint32(7+len(raw)), 13)
	w.put(0x7ff, 11) // buffer fullness: variable rate
	w.put(0, 2)      // one raw_data_block
	return append(w.b, raw...)
}

// icsHeader writes a single channel element up to its spectral data: one
// long window whose first maxSfb bands use codebook cb at scale factor
// globalGain.
func icsHeader(w *bitWriter, cb, maxSfb int) {
	w.put(0, 3) // SCE
	w.put(0, 4) // element_instance_tag
	w.put(globalGain, 8)
	w.put(0, 1) // ics_reserved_bit
	w.put(0, 2) // ONLY_LONG_SEQUENCE
	w.put(0, 1) // sine window
	w.put(uint32(maxSfb), 6)
	w.put(0, 1) // no predictor
	if maxSfb > 0 {
		w.put(uint32(cb), 4)     // sect_cb
		w.put(uint32(maxSfb), 5) // sect_len_incr: all bands
		for range maxSfb {
			w.put(0, 1) // scale factor difference 0: the 1-bit codeword
		}
	}
	w.put(0, 3) // no pulse, TNS or gain control data
}

// queryFrame is an ADTS frame whose spectral data are q's bits, then
// q.zeros zeros, then ones (codewords, sign bits, then END = 111). The
// bands after the first tuple's absorb whatever follows its codeword.
func queryFrame(cb int, q query) []byte {
	var w bitWriter
	icsHeader(&w, cb, probeBands)
	for _, c := range q.bits {
		w.bit(c == '1')
	}
	for range q.zeros {
		w.bit(false)
	}
	for i := 0; i < fillerBits-q.zeros || w.n%8 != 0; i++ {
		w.bit(true)
	}
	return adts(w.b)
}

var silent []byte

// silentFrame is an ADTS frame with no coded band, then END.
func silentFrame() []byte {
	if silent == nil {
		var w bitWriter
		icsHeader(&w, 0, 0)
		w.put(7, 3)
		silent = adts(w.b)
	}
	return silent
}

// basis computes the windowed IMDCT output of spectral bins 0..7 over the
// 2048 samples of a long frame (ISO 14496-3 §4.6.11.3.1 with the sine
// window) and their Gram matrix.
func (p *prober) basis() {
	const n = 2 * frameLen
	n0 := (float64(n)/2 + 1) / 2
	for k := range bins {
		for i := range n {
			win := math.Sin(math.Pi / n * (float64(i) + 0.5))
			p.basisVecs[k][i] = win * math.Cos(2*math.Pi/n*(float64(i)+n0)*(float64(k)+0.5))
		}
	}
	for a := range bins {
		for b := range bins {
			s := 0.0
			for i := range n {
				s += p.basisVecs[a][i] * p.basisVecs[b][i]
			}
			p.gram[a][b] = s
		}
	}
}

// values fits bins 0..7 to the output of a query frame and returns the
// first tuple of codebook cb: quantised values, magnitudes only for
// unsigned books, capped at 16 (an escape).
func (p *prober) values(cb int, y []float64) ([4]int, error) {
	var q [4]int
	coef, err := p.fit(y)
	if err != nil {
		return q, err
	}
	sh := shapes[cb]
	for k := range sh.dim {
		// Output = (2/N)·spec/32768 with spec = sign·|q|^(4/3)·2^((g−100)/4):
		// spec/2^16 = coef·N/4.
		spec := coef[k] * float64(2*frameLen) / 4
		mag := math.Pow(math.Abs(spec), 0.75)
		r := math.Round(mag)
		if math.Abs(mag-r) > 1e-3*max(1, r) {
			return q, fmt.Errorf("bin %d: |q| = %.5f is not an integer", k, mag)
		}
		v := int(r)
		if sh.mod == 17 {
			v = min(v, 16)
		}
		if sh.signed && spec < 0 {
			v = -v
		}
		q[k] = v
	}
	return q, nil
}

// fit returns the coefficients of bins 0..7 whose long sine-window
// frame gives the output y, or an error if y is no such output.
func (p *prober) fit(y []float64) ([bins]float64, error) {
	var rhs [bins]float64
	for k := range bins {
		for i, v := range y {
			rhs[k] += p.basisVecs[k][i] * v
		}
	}
	coef := solve(p.gram, rhs)
	var resid, energy float64
	for i, v := range y {
		fit := 0.0
		for k := range bins {
			fit += coef[k] * p.basisVecs[k][i]
		}
		resid += (v - fit) * (v - fit)
		energy += v * v
	}
	if energy > 0 && resid > 1e-8*energy+1e-12 {
		return coef, fmt.Errorf("output is not bins 0..7 of a long sine-window frame (residual %.3g of %.3g)", resid, energy)
	}
	return coef, nil
}

// solve solves g·x = r by Gaussian elimination with partial pivoting.
func solve(g [bins][bins]float64, r [bins]float64) [bins]float64 {
	for c := range bins {
		piv := c
		for i := c + 1; i < bins; i++ {
			if math.Abs(g[i][c]) > math.Abs(g[piv][c]) {
				piv = i
			}
		}
		g[c], g[piv] = g[piv], g[c]
		r[c], r[piv] = r[piv], r[c]
		for i := c + 1; i < bins; i++ {
			f := g[i][c] / g[c][c]
			for j := c; j < bins; j++ {
				g[i][j] -= f * g[c][j]
			}
			r[i] -= f * r[c]
		}
	}
	var x [bins]float64
	for i := bins - 1; i >= 0; i-- {
		s := r[i]
		for j := i + 1; j < bins; j++ {
			s -= g[i][j] * x[j]
		}
		x[i] = s / g[i][i]
	}
	return x
}

func writeHeader(out *bytes.Buffer) {
	out.WriteString(`// Code generated by go run ./hack/aacbooks; DO NOT EDIT.

package aac

// spectralCodes lists codebooks 1–11 (ISO 14496-3 Tables 4.A.2–4.A.12) in
// index order: spectralCodes[cb][i] = {codeword, length} for codebook index
// i, where i packs the tuple as in §4.6.3.3 (unsigned books: |values| in
// radix mod; signed: values+mod/2). hack/aacbooks derived them by probing
// a reference decoder; TestSpectralBooks checks entry counts, Kraft sums,
// prefix-freeness and lookups, and the ffmpeg comparisons check the values.
var spectralCodes = [12][]huffCode{
`)
}

func writeBook(out *bytes.Buffer, cb int, codes []code) {
	fmt.Fprintf(out, "\t%d: {\n", cb)
	for i, c := range codes {
		if i%6 == 0 {
			out.WriteString("\t\t")
		}
		v := uint32(0)
		for _, b := range c.bits {
			v = v<<1 | uint32(b-'0')
		}
		fmt.Fprintf(out, "{%#x, %d},", v, len(c.bits))
		if i%6 == 5 || i == len(codes)-1 {
			out.WriteString("\n")
		} else {
			out.WriteString(" ")
		}
	}
	out.WriteString("\t},\n")
}
