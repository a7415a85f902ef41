package main

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// query is one probe granule: Huffman data bits, then ones. sel is the
// big-value table (big_values = 1: one pair on lines 0 and 1) or, for
// count1 queries, count1table_select (big_values = 0).
type query struct {
	sel    int
	count1 bool
	bits   string
}

type prober struct {
	ffmpeg string
	dir    string
	runs   int
	cache  map[query][]float64
	// basis[j] is line j's response to the quantised value +1; gram is
	// the basis's Gram matrix.
	basis [lines][2 * frameLen]float64
	gram  [lines][lines]float64
}

// responses decodes each query granule (cached) and returns its PCM: the
// query frame's and the following silent frame's samples.
func (p *prober) responses(qs []query) ([][]float64, error) {
	if p.cache == nil {
		p.cache = map[query][]float64{}
	}
	out := make([][]float64, len(qs))
	var todo []query
	seen := map[query]bool{}
	for _, q := range qs {
		q.bits = strings.TrimRight(q.bits, "1") // the filler's own bits
		if _, ok := p.cache[q]; !ok && !seen[q] {
			todo = append(todo, q)
			seen[q] = true
		}
	}
	const batch = 300
	for len(todo) > 0 {
		n := min(batch, len(todo))
		res, err := p.run(todo[:n])
		if err != nil {
			return nil, err
		}
		for i, q := range todo[:n] {
			p.cache[q] = res[i]
		}
		todo = todo[n:]
	}
	for i, q := range qs {
		q.bits = strings.TrimRight(q.bits, "1")
		out[i] = p.cache[q]
	}
	return out, nil
}

// run decodes one file of query frames, each followed by a silent frame.
func (p *prober) run(qs []query) ([][]float64, error) {
	var file []byte
	for _, q := range qs {
		file = append(file, frame(&q)...)
		file = append(file, frame(nil)...)
	}
	p.runs++
	in := filepath.Join(p.dir, fmt.Sprintf("q%d.mp3", p.runs))
	pcm, crc := in+".f32", in+".crc"
	if err := os.WriteFile(in, file, 0o644); err != nil {
		return nil, err
	}
	defer os.Remove(in)
	defer os.Remove(pcm)
	defer os.Remove(crc)
	cmd := exec.Command(p.ffmpeg, "-nostdin", "-v", "error", "-f", "mp3", "-i", in,
		"-map", "0:a", "-c:a", "pcm_f32le", "-f", "framecrc", "-y", crc,
		"-map", "0:a", "-c:a", "pcm_f32le", "-f", "f32le", "-y", pcm)
	if out, err := cmd.CombinedOutput(); err != nil || len(out) > 0 {
		return nil, fmt.Errorf("ffmpeg: %v: %s", err, out)
	}
	pts, err := readPTS(crc)
	if err != nil {
		return nil, err
	}
	raw, err := os.ReadFile(pcm)
	if err != nil {
		return nil, err
	}
	samples := make([]float64, len(raw)/4)
	for i := range samples {
		b := raw[4*i:]
		samples[i] = float64(math.Float32frombits(uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24))
	}
	if len(pts) != 2*len(qs) || len(samples) != len(pts)*frameLen {
		return nil, fmt.Errorf("%d frames decoded (%d samples) of %d", len(pts), len(samples), 2*len(qs))
	}
	for i, t := range pts {
		if t != pts[0]+int64(i*frameLen) {
			return nil, fmt.Errorf("frame %d at pts %d", i, t)
		}
	}
	out := make([][]float64, len(qs))
	for i := range qs {
		out[i] = samples[2*i*frameLen : 2*(i+1)*frameLen]
	}
	return out, nil
}

// readPTS reads the pts column of ffmpeg's framecrc output.
func readPTS(name string) ([]int64, error) {
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

// frame is an MPEG-1 Layer III frame (44.1 kHz, 320 kbit/s, mono, no
// CRC, no bit reservoir) whose first granule carries q (nil: silence)
// and whose second is silent.
func frame(q *query) []byte {
	var w bitWriter
	w.put(0xFFFB, 16) // sync, MPEG-1, Layer III, no CRC
	w.put(0xE0, 8)    // 320 kbit/s, 44.1 kHz, no padding
	w.put(0xC0, 8)    // mono
	w.put(0, 9)       // main_data_begin
	w.put(0, 5+4)     // private bits, scfsi
	for gr := range 2 {
		var g *query
		if gr == 0 {
			g = q
		}
		if g == nil {
			w.put(0, 59) // part2_3_length 0, big_values 0, ...
			continue
		}
		w.put(part23Bits, 12)
		if g.count1 {
			w.put(0, 9)
		} else {
			w.put(1, 9)
		}
		w.put(globalGain, 8)
		w.put(0, 4) // scalefac_compress 0: no scale factor bits
		w.put(0, 1) // no window switching: a long block
		sel := uint32(g.sel)
		if g.count1 {
			sel = 0
		}
		w.put(sel, 5)
		w.put(sel, 5)
		w.put(sel, 5)
		w.put(15, 4) // region0_count
		w.put(7, 3)  // region1_count
		w.put(0, 2)  // preflag, scalefac_scale
		if g.count1 {
			w.put(uint32(g.sel), 1)
		} else {
			w.put(1, 1) // count1 table B: ones are zero quadruples
		}
	}
	start := w.n
	if q != nil {
		for _, c := range q.bits {
			w.bit(c == '1')
		}
		for w.n-start < part23Bits {
			w.bit(true)
		}
	}
	for len(w.b) < frameBytes {
		w.b = append(w.b, 0)
	}
	return w.b
}

func writeHeader(out *bytes.Buffer) {
	out.WriteString(`// Code generated by go run ./hack/mp3books; DO NOT EDIT.

package mp3

// Huffman code tables of ISO/IEC 11172-3 Annex B, Table B.7: for each
// (x, y) in x-major order (quadruple tables A and B: v<<3|w<<2|x<<1|y) the
// codeword (hcod, right-aligned) and its length (hlen). Tables 4 and 14 do
// not exist; 0 codes nothing; 16–23 share table 16's codes and 24–31
// table 24's, differing only in linbits. hack/mp3books derived them by
// probing a reference decoder; huffman_test.go checks their structure and
// the ffmpeg comparisons their values.
`)
}

func writeTable(out *bytes.Buffer, t table, codes []string) {
	per := t.mod
	if t.count1 || per > 16 {
		per = 16
	}
	fmt.Fprintf(out, "\nvar hcod%s = []uint16{\n", t.name)
	for i, c := range codes {
		if i%per == 0 {
			out.WriteString("\t")
		}
		v, _ := strconv.ParseUint(c, 2, 32)
		fmt.Fprintf(out, "%#x,", v)
		if i%per == per-1 || i == len(codes)-1 {
			out.WriteString("\n")
		} else {
			out.WriteString(" ")
		}
	}
	fmt.Fprintf(out, "}\n\nvar hlen%s = []uint8{\n", t.name)
	for i, c := range codes {
		if i%per == 0 {
			out.WriteString("\t")
		}
		fmt.Fprintf(out, "%d,", len(c))
		if i%per == per-1 || i == len(codes)-1 {
			out.WriteString("\n")
		} else {
			out.WriteString(" ")
		}
	}
	out.WriteString("}\n")
}
