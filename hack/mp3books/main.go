// Command mp3books derives the MPEG audio Layer III Huffman code tables
// (ISO/IEC 11172-3 Annex B, Table B.7: the pair tables 1–3, 5–13, 15, 16
// and 24, and the quadruple tables A and B) by probing a reference
// decoder as a black box, and writes them as Go source for
// node/media/mp3.
//
// Why a prober: our first copy of these tables was typed in from public
// listings; a derivation anyone can rerun settles where the numbers come
// from. The method is hack/aacbooks's: walk each code tree from the root,
// decode two crafted granules whose Huffman data start with p‖0 and p‖1
// and continue with ones, and read the first tuple back from Debian
// ffmpeg's PCM by least squares; p is a codeword exactly when both start
// with the same tuple.
//
// The least-squares basis is measured too: with count1 table B (its code
// 1111 is the zero quadruple, which the program checks) a one-value
// quadruple on spectral line j yields line j's response; the four
// single-value codes of each quadruple are told apart by their frequency.
//
// Usage (from the repository root):
//
//	go run ./hack/mp3books > node/media/mp3/huffdata.go
//
// It needs ffmpeg on PATH and takes under a minute.
package main

import (
	"bytes"
	"errors"
	"fmt"
	"log"
	"math"
	"os"
	"os/exec"
	"sort"
	"strings"

	"github.com/audionode/audionode/hack/internal/probe"
)

const (
	granuleLen = 576
	frameLen   = 2 * granuleLen
	frameBytes = 1044 // MPEG-1 Layer III, 320 kbit/s, 44.1 kHz, no padding
	// globalGain scales a quantised value v to |v|^(4/3)·2^((g−210)/4);
	globalGain = 210 - 4*4 // not above 210: ffmpeg zeroes escape values (l3_unscale) at high gains
	part23Bits = 1200      // Huffman bits of the probe granule: query, then ones
	lines      = 8         // spectral lines fitted (0..7)
	maxDepth   = 20
)

func main() {
	log.SetFlags(0)
	src, err := generate(log.Printf)
	if err != nil {
		log.Fatal("mp3books: ", err)
	}
	os.Stdout.Write(src)
}

// table is one code table to derive: pairs (dim 2) of magnitudes below
// mod, or quadruples of 0/1.
type table struct {
	name    string // Go identifier suffix: hcod<name>, hlen<name>
	sel     int    // table_select value (big-value tables) or count1table_select
	count1  bool
	mod     int // values per coordinate: 2..16
	linbits int
}

var tables = []table{
	{"1", 1, false, 2, 0}, {"2", 2, false, 3, 0}, {"3", 3, false, 3, 0},
	{"5", 5, false, 4, 0}, {"6", 6, false, 4, 0}, {"7", 7, false, 6, 0},
	{"8", 8, false, 6, 0}, {"9", 9, false, 6, 0}, {"10", 10, false, 8, 0},
	{"11", 11, false, 8, 0}, {"12", 12, false, 8, 0}, {"13", 13, false, 16, 0},
	{"15", 15, false, 16, 0}, {"16", 16, false, 16, 1}, {"24", 24, false, 16, 4},
	{"A", 0, true, 2, 0}, {"B", 1, true, 2, 0},
}

func (t table) dim() int {
	if t.count1 {
		return 4
	}
	return 2
}

func (t table) size() int {
	n := 1
	for range t.dim() {
		n *= t.mod
	}
	return n
}

// generate measures the basis, probes every table and returns the
// source of huffdata.go; logf hears progress.
func generate(logf func(string, ...any)) ([]byte, error) {
	ff, err := exec.LookPath("ffmpeg")
	if err != nil {
		return nil, errors.New("ffmpeg not found on PATH")
	}
	dir, err := os.MkdirTemp("", "mp3books")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	p := &prober{ffmpeg: ff, dir: dir}
	if err := p.measureBasis(); err != nil {
		return nil, fmt.Errorf("basis: %w", err)
	}
	var out bytes.Buffer
	writeHeader(&out)
	for _, t := range tables {
		codes, err := p.walk(t)
		if err != nil {
			return nil, fmt.Errorf("table %s: %w", t.name, err)
		}
		writeTable(&out, t, codes)
		logf("table %-2s: %3d codewords, longest %2d bits (%d decoder runs so far)", t.name, len(codes), longest(codes), p.runs)
	}
	return out.Bytes(), nil
}

func longest(c []string) int {
	n := 0
	for _, s := range c {
		n = max(n, len(s))
	}
	return n
}

// measureBasis finds count1 table B's zero code and the response of each
// of lines 0..7 to the quantised value −1.
func (p *prober) measureBasis() error {
	quad := func(pre, code string) query {
		return query{sel: 1, count1: true, bits: pre + code}
	}
	// All ones must be silence: 1111 is the zero quadruple.
	res, err := p.responses([]query{quad("", "")})
	if err != nil {
		return err
	}
	if e := energy(res[0]); e != 0 {
		return fmt.Errorf("count1 table B: all-ones granule is not silent (energy %g)", e)
	}
	for q := range 2 { // quadruple 0 (lines 0..3), 1 (lines 4..7)
		pre := strings.Repeat("1111", q)
		var qs []query
		for c := range 15 {
			qs = append(qs, quad(pre, fmt.Sprintf("%04b", c)))
		}
		res, err := p.responses(qs)
		if err != nil {
			return err
		}
		// The four single-value codes have the smallest energy (one unit
		// each); order them by frequency: line 4q lowest.
		idx := make([]int, len(res))
		for i := range idx {
			idx[i] = i
		}
		sort.Slice(idx, func(a, b int) bool { return energy(res[idx[a]]) < energy(res[idx[b]]) })
		single := idx[:4]
		if e0, e4 := energy(res[single[0]]), energy(res[idx[4]]); e4 < 1.5*e0 {
			return fmt.Errorf("quadruple %d: single-value codes not told apart by energy (%g, %g)", q, e0, e4)
		}
		sort.Slice(single, func(a, b int) bool { return centroid(res[single[a]]) < centroid(res[single[b]]) })
		for j, i := range single {
			for k, v := range res[i] {
				p.basis[4*q+j][k] = -v // the sign bit was a one
			}
		}
	}
	for a := range lines {
		for b := range lines {
			p.gram[a][b] = dot(p.basis[a][:], p.basis[b][:])
		}
	}
	return nil
}

// walk derives table t's codewords in index order (x-major; v<<3|w<<2|x<<1|y
// for quadruples).
func (p *prober) walk(t table) ([]string, error) {
	found := make([]string, t.size())
	frontier := []string{""}
	for len(frontier) > 0 {
		var qs []query
		for _, pre := range frontier {
			qs = append(qs, query{sel: t.sel, count1: t.count1, bits: pre + "0"},
				query{sel: t.sel, count1: t.count1, bits: pre + "1"})
		}
		res, err := p.responses(qs)
		if err != nil {
			return nil, err
		}
		var next []string
		for i, pre := range frontier {
			a, err := p.tuple(t, res[2*i])
			if err != nil {
				return nil, fmt.Errorf("query %s0: %w", pre, err)
			}
			b, err := p.tuple(t, res[2*i+1])
			if err != nil {
				return nil, fmt.Errorf("query %s1: %w", pre, err)
			}
			if a == b && pre != "" {
				if found[a] != "" {
					return nil, fmt.Errorf("index %d reached by %s and %s", a, found[a], pre)
				}
				found[a] = pre
				continue
			}
			if len(pre) >= maxDepth {
				return nil, fmt.Errorf("no codeword within %d bits below %s", maxDepth, pre)
			}
			next = append(next, pre+"0", pre+"1")
		}
		frontier = next
	}
	kraft := 0.0
	for i, s := range found {
		if s == "" {
			return nil, fmt.Errorf("index %d has no codeword", i)
		}
		kraft += math.Ldexp(1, -len(s))
	}
	if kraft != 1 {
		return nil, fmt.Errorf("the Kraft sum is %v, want 1", kraft)
	}
	return found, nil
}

// tuple fits a granule's response onto lines 0..7 and returns the index
// of its first tuple (magnitudes; values past the table's range, which
// linbits extend, count as its largest).
func (p *prober) tuple(t table, y []float64) (int, error) {
	var rhs [lines]float64
	for k := range lines {
		rhs[k] = dot(p.basis[k][:], y)
	}
	coef := probe.Solve(p.gram, rhs)
	var resid float64
	for i, v := range y {
		fit := 0.0
		for k := range lines {
			fit += coef[k] * p.basis[k][i]
		}
		resid += (v - fit) * (v - fit)
	}
	if e := energy(y); resid > 1e-6*e+1e-12 {
		return 0, fmt.Errorf("response is not lines 0..7 (residual %.3g of %.3g)", resid, e)
	}
	idx := 0
	for k := range t.dim() {
		mag := math.Pow(math.Abs(coef[k]), 0.75) // coef = ±|v|^(4/3)
		r := math.Round(mag)
		if math.Abs(mag-r) > 1e-2*max(1, r) {
			return 0, fmt.Errorf("line %d: |v| = %.4f is not an integer", k, mag)
		}
		idx = idx*t.mod + min(int(r), t.mod-1)
	}
	return idx, nil
}

func energy(x []float64) float64 { return dot(x, x) }

func dot(a, b []float64) float64 {
	s := 0.0
	for i := range min(len(a), len(b)) {
		s += a[i] * b[i]
	}
	return s
}

// centroid is the energy-weighted mean frequency of x (bins of a 8192-
// point DFT up to 1 kHz, enough for lines 0..7 of subband 0).
func centroid(x []float64) float64 {
	var num, den float64
	for f := 2.0; f <= 1000; f += 2 {
		w := 2 * math.Pi * f / 44100
		var re, im float64
		for i, v := range x {
			re += v * math.Cos(w*float64(i))
			im += v * math.Sin(w*float64(i))
		}
		m := re*re + im*im
		num += f * m
		den += m
	}
	return num / den
}
