// Package probe holds what the table probers (hack/aacbooks,
// hack/mp3books) share: a bit writer for crafted frames, a run of
// ffmpeg's decoder that tells which frames decoded, and the small
// least-squares solve that reads values back from PCM.
package probe

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"os"
	"os/exec"
	"strconv"
	"strings"
)

// BitWriter appends bits most significant first.
type BitWriter struct {
	B []byte
	N int // bits written
}

// Put writes the low nbits of v.
func (w *BitWriter) Put(v uint32, nbits int) {
	for i := nbits - 1; i >= 0; i-- {
		w.Bit(v>>uint(i)&1 != 0)
	}
}

// Bit writes one bit.
func (w *BitWriter) Bit(one bool) {
	if w.N%8 == 0 {
		w.B = append(w.B, 0)
	}
	if one {
		w.B[w.N/8] |= 0x80 >> uint(w.N%8)
	}
	w.N++
}

// Decode runs ffmpeg on the file in (demuxer format) and returns the pts
// of every frame that decoded, in order, and all decoded samples (mono or
// the first channel's layout as decoded, float). A frame that fails to
// decode leaves no pts and no samples.
func Decode(ffmpeg, format, in string) (pts []int64, samples []float64, err error) {
	pcm, crc := in+".f32", in+".crc"
	defer os.Remove(pcm)
	defer os.Remove(crc)
	cmd := exec.Command(ffmpeg, "-nostdin", "-v", "quiet", "-f", format, "-i", in,
		"-map", "0:a", "-c:a", "pcm_f32le", "-f", "framecrc", "-y", crc,
		"-map", "0:a", "-c:a", "pcm_f32le", "-f", "f32le", "-y", pcm)
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, nil, fmt.Errorf("ffmpeg: %v: %s", err, out)
	}
	if pts, err = framePTS(crc); err != nil {
		return nil, nil, err
	}
	raw, err := os.ReadFile(pcm)
	if err != nil {
		return nil, nil, err
	}
	samples = make([]float64, len(raw)/4)
	for i := range samples {
		b := raw[4*i:]
		samples[i] = float64(math.Float32frombits(uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24))
	}
	return pts, samples, nil
}

// framePTS reads the pts column of ffmpeg's framecrc output.
func framePTS(name string) ([]int64, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	var pts []int64
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
			continue
		}
		f := strings.Split(line, ",")
		if len(f) < 3 {
			return nil, fmt.Errorf("framecrc line %q", line)
		}
		v, err := strconv.ParseInt(strings.TrimSpace(f[2]), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("framecrc line %q: %v", line, err)
		}
		pts = append(pts, v)
	}
	return pts, sc.Err()
}

// Size is the number of basis vectors both probers fit (8 spectral bins
// or lines).
const Size = 8

// Solve solves g·x = r by Gaussian elimination with partial pivoting.
func Solve(g [Size][Size]float64, r [Size]float64) [Size]float64 {
	for c := range Size {
		piv := c
		for i := c + 1; i < Size; i++ {
			if math.Abs(g[i][c]) > math.Abs(g[piv][c]) {
				piv = i
			}
		}
		g[c], g[piv] = g[piv], g[c]
		r[c], r[piv] = r[piv], r[c]
		for i := c + 1; i < Size; i++ {
			f := g[i][c] / g[c][c]
			for j := c; j < Size; j++ {
				g[i][j] -= f * g[c][j]
			}
			r[i] -= f * r[c]
		}
	}
	var x [Size]float64
	for i := Size - 1; i >= 0; i-- {
		s := r[i]
		for j := i + 1; j < Size; j++ {
			s -= g[i][j] * x[j]
		}
		x[i] = s / g[i][i]
	}
	return x
}
