// Command aacbooks derives the AAC spectral Huffman codebooks 1–11
// (ISO/IEC 14496-3 Tables 4.A.2–4.A.12) by probing a reference AAC decoder
// as a black box, and writes them as Go source for node/media/aac.
//
// Why a prober: the standard's text is not available to us and copying
// another implementation's tables is not allowed, but any conforming
// decoder reveals the codebooks through its output. For each codebook the
// program walks the code tree from the root. At a bit prefix p it builds
// two one-band AAC frames whose spectral data start with p‖0 and p‖1 and
// continue with a fixed filler, lets the decoder (Debian's ffmpeg)
// decode them, and reads the first codeword's values back from the PCM by
// least squares on the band's MDCT basis. A Huffman code is a complete
// prefix code and maps codewords to values one to one, so p is a codeword
// exactly when both frames start with the same values; otherwise the walk
// goes on to p0 and p1.
//
// The filler is all ones: the code tree's all-ones path ends at some
// codeword, ones as sign bits are valid, and 111 after the band is the END
// element. Escape sequences (codebook 11) cannot be all ones, so a frame
// that fails to decode is retried with k zeros before the ones.
//
// Usage (from the repository root):
//
//	go run ./hack/aacbooks node/media/aac   # writes tab_spectral.go and tab_sf.go
//
// It needs ffmpeg on PATH and takes a few minutes.
package main

import (
	"bytes"
	"errors"
	"fmt"
	"log"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/audionode/audionode/hack/internal/probe"
)

// bookShape is codebook cb's tuple size, signedness and radix (Table 4.152).
type bookShape struct {
	dim    int
	signed bool
	mod    int
}

var shapes = [12]bookShape{
	{},
	{4, true, 3}, {4, true, 3}, {4, false, 3}, {4, false, 3},
	{2, true, 9}, {2, true, 9}, {2, false, 8}, {2, false, 8},
	{2, false, 13}, {2, false, 13}, {2, false, 17},
}

const (
	frameLen = 1024
	// globalGain lifts a unit coefficient to an easily measured level
	// (2^((g-100)/4) = 2^16).
	globalGain = 164
	// fillerBits of filler follow every query; long enough for two codewords,
	// their signs and escapes.
	fillerBits = 160
	maxDepth   = 24
	// probeBands bands (4 bins each at 44.1 kHz) are coded, so bins
	// spectral values come back.
	probeBands = 2
	bins       = 4 * probeBands
)

// query is one probe: codeword bits, then zeros zero bits, then ones.
type query struct {
	bits  string
	zeros int
}

// outcome is what the decoder made of a query's band: ok false if the frame
// did not decode; vals are the first tuple's values (magnitudes for
// unsigned codebooks, escape values capped at 16).
type outcome struct {
	ok   bool
	vals [4]int
}

func main() {
	log.SetFlags(0)
	if len(os.Args) != 2 {
		log.Fatal("usage: go run ./hack/aacbooks node/media/aac")
	}
	files, err := generate(log.Printf)
	if err != nil {
		log.Fatal("aacbooks: ", err)
	}
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(os.Args[1], name), src, 0o644); err != nil {
			log.Fatal(err)
		}
	}
}

// generate probes every codebook and returns the source files
// tab_spectral.go and tab_sf.go; logf hears progress.
func generate(logf func(string, ...any)) (map[string][]byte, error) {
	ff, err := exec.LookPath("ffmpeg")
	if err != nil {
		return nil, errors.New("ffmpeg not found on PATH")
	}
	dir, err := os.MkdirTemp("", "aacbooks")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	p := &prober{ffmpeg: ff, dir: dir}
	p.basis()
	var spectral bytes.Buffer
	writeHeader(&spectral)
	for cb := 1; cb <= 11; cb++ {
		codes, err := p.book(cb)
		if err != nil {
			return nil, fmt.Errorf("codebook %d: %w", cb, err)
		}
		writeBook(&spectral, cb, codes)
		logf("codebook %2d: %d codewords, longest %d bits (%d decoder runs so far)", cb, len(codes), longest(codes), p.runs)
	}
	spectral.WriteString("}\n")
	sf, err := p.scalefactorBook()
	if err != nil {
		return nil, fmt.Errorf("scale-factor codebook: %w", err)
	}
	var sfSrc bytes.Buffer
	if err := writeScalefactors(&sfSrc, sf); err != nil {
		return nil, err
	}
	logf("scale factors: %d codewords (%d decoder runs in all)", len(sf), p.runs)
	return map[string][]byte{"tab_spectral.go": spectral.Bytes(), "tab_sf.go": sfSrc.Bytes()}, nil
}

type code struct {
	bits string
	sym  int
}

func longest(c []code) int {
	n := 0
	for _, x := range c {
		n = max(n, len(x.bits))
	}
	return n
}

// book walks codebook cb's tree breadth first and returns its codewords in
// index order.
func (p *prober) book(cb int) ([]code, error) {
	sh := shapes[cb]
	size := 1
	for range sh.dim {
		size *= sh.mod
	}
	found := make([]string, size)
	frontier := []string{""}
	for len(frontier) > 0 {
		var qs []query
		for _, pre := range frontier {
			qs = append(qs, query{bits: pre + "0"}, query{bits: pre + "1"})
		}
		res, err := p.resolve(cb, qs)
		if err != nil {
			return nil, err
		}
		var next []string
		for i, pre := range frontier {
			a, b := res[2*i], res[2*i+1]
			if a == b && pre != "" {
				idx := index(sh, a)
				if found[idx] != "" {
					return nil, fmt.Errorf("index %d reached by %s and %s", idx, found[idx], pre)
				}
				found[idx] = pre
				continue
			}
			if len(pre) >= maxDepth {
				return nil, fmt.Errorf("no codeword within %d bits below %s", maxDepth, pre)
			}
			next = append(next, pre+"0", pre+"1")
		}
		frontier = next
	}
	codes := make([]code, size)
	kraft := 0.0
	for i, s := range found {
		if s == "" {
			n, k := 0, 0.0
			for _, s := range found {
				if s != "" {
					n++
					k += math.Ldexp(1, -len(s))
				}
			}
			return nil, fmt.Errorf("index %d has no codeword (%d found, Kraft sum %v)", i, n, k)
		}
		codes[i] = code{s, i}
		kraft += math.Ldexp(1, -len(s))
	}
	if kraft != 1 {
		return nil, fmt.Errorf("the Kraft sum is %v, want 1", kraft)
	}
	return codes, nil
}

// index packs a tuple as the codebook index (§4.6.3.3).
func index(sh bookShape, v [4]int) int {
	idx := 0
	for j := range sh.dim {
		x := v[j]
		if sh.signed {
			x += sh.mod / 2
		}
		idx = idx*sh.mod + x
	}
	return idx
}

// resolve returns each query's first tuple, retrying failed frames with
// zeros before the ones filler.
func (p *prober) resolve(cb int, qs []query) ([][4]int, error) {
	out := make([][4]int, len(qs))
	pending := slices.Clone(qs)
	at := make([]int, len(qs))
	for i := range at {
		at[i] = i
	}
	for zeros := 0; len(pending) > 0; zeros++ {
		if zeros > fillerBits-8 {
			return nil, fmt.Errorf("%d queries never decode, e.g. %s", len(pending), pending[0].bits)
		}
		for i := range pending {
			pending[i].zeros = zeros
		}
		res, err := p.decode(cb, pending)
		if err != nil {
			return nil, err
		}
		var keep []query
		var keepAt []int
		for i, r := range res {
			if r.ok {
				out[at[i]] = r.vals
				continue
			}
			keep = append(keep, pending[i])
			keepAt = append(keepAt, at[i])
		}
		pending, at = keep, keepAt
	}
	return out, nil
}

type prober struct {
	ffmpeg string
	dir    string
	runs   int
	mu     sync.Mutex
	cache  map[[2]any]outcome
	// basisVecs are the windowed IMDCT outputs of bins 0..7 over the 2048
	// samples a long frame spreads over; gram is their Gram matrix.
	basisVecs [bins][2 * frameLen]float64
	gram      [bins][bins]float64
}

// decode runs the decoder on the queries, batching many per file.
// A frame that fails to decode leaves no output; ffmpeg's framecrc lines
// tell which frames did.
func (p *prober) decode(cb int, qs []query) ([]outcome, error) {
	if p.cache == nil {
		p.cache = map[[2]any]outcome{}
	}
	qs = slices.Clone(qs)
	res := make([]outcome, len(qs))
	var todo []int
	for i, q := range qs {
		qs[i] = canonical(q)
		if r, ok := p.cache[[2]any{cb, qs[i]}]; ok {
			res[i] = r
			continue
		}
		todo = append(todo, i)
	}
	const batch = 400
	var wg sync.WaitGroup
	var firstErr error
	var emu sync.Mutex
	sem := make(chan struct{}, 2)
	for start := 0; start < len(todo); start += batch {
		part := todo[start:min(start+batch, len(todo))]
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			batchQs := make([]query, len(part))
			for i, j := range part {
				batchQs[i] = qs[j]
			}
			got, err := p.run(cb, batchQs)
			emu.Lock()
			defer emu.Unlock()
			if err != nil {
				firstErr = errors.Join(firstErr, err)
				return
			}
			for i, j := range part {
				res[j] = got[i]
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	for _, j := range todo {
		p.cache[[2]any{cb, qs[j]}] = res[j]
	}
	return res, nil
}

// canonical drops a query's trailing ones when the filler is all ones:
// they are the filler's own bits, so the frames are the same.
func canonical(q query) query {
	if q.zeros == 0 {
		q.bits = strings.TrimRight(q.bits, "1")
	}
	return q
}

// run decodes one file of query frames, each followed by a silent frame
// so every query's output is alone in its two 1024-sample blocks.
func (p *prober) run(cb int, qs []query) ([]outcome, error) {
	frames := make([][]byte, len(qs))
	for i, q := range qs {
		frames[i] = queryFrame(cb, q)
	}
	res, err := p.runFrames(frames)
	if err != nil {
		return nil, err
	}
	out := make([]outcome, len(qs))
	for i, y := range res {
		if y == nil {
			continue // the frame failed to decode
		}
		vals, err := p.values(cb, y)
		if err != nil {
			return nil, fmt.Errorf("query %q+%d zeros: %w", qs[i].bits, qs[i].zeros, err)
		}
		out[i] = outcome{ok: true, vals: vals}
	}
	return out, nil
}

// runFrames decodes one file of frames, each followed by a silent frame
// so every frame's output is alone in its two 1024-sample blocks, and
// returns those 2048 samples per frame, or nil for a frame that failed to
// decode (it leaves no output; ffmpeg's framecrc lines tell which did).
func (p *prober) runFrames(frames [][]byte) ([][]float64, error) {
	var file []byte
	for _, f := range frames {
		file = append(file, f...)
		file = append(file, silentFrame()...)
	}
	p.mu.Lock()
	p.runs++
	n := p.runs
	p.mu.Unlock()
	in := filepath.Join(p.dir, fmt.Sprintf("q%d.aac", n))
	if err := os.WriteFile(in, file, 0o644); err != nil {
		return nil, err
	}
	defer os.Remove(in)
	pts, samples, err := probe.Decode(p.ffmpeg, "aac", in)
	if err != nil {
		return nil, err
	}
	if len(samples) != len(pts)*frameLen {
		return nil, fmt.Errorf("%d samples for %d decoded frames", len(samples), len(pts))
	}
	// block[f] is the output of input frame f, or nil.
	block := make([][]float64, 2*len(frames)+1)
	for i, t := range pts {
		f := int(t / frameLen)
		if t%frameLen != 0 || f < 0 || f >= len(block) || block[f] != nil {
			return nil, fmt.Errorf("unexpected frame pts %d", t)
		}
		block[f] = samples[i*frameLen : (i+1)*frameLen]
	}
	out := make([][]float64, len(frames))
	for i := range frames {
		a, b := block[2*i], block[2*i+1]
		if a == nil || b == nil {
			continue
		}
		out[i] = append(append(make([]float64, 0, 2*frameLen), a...), b...)
	}
	return out, nil
}
