package vorbis

import (
	"encoding/binary"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// Fixtures are made by ffmpeg (libvorbis) once per test binary into a
// temporary directory.
var (
	fixtureDir  string
	fixtureMu   sync.Mutex
	fixtureMade = map[string]bool{}
)

func TestMain(m *testing.M) {
	d, err := os.MkdirTemp("", "vorbis-test")
	if err != nil {
		panic(err)
	}
	fixtureDir = d
	code := m.Run()
	os.RemoveAll(d)
	os.Exit(code)
}

const (
	toneExpr  = "0.25118864*sin(2*PI*440*t)|0.25118864*sin(2*PI*1000*t)"
	monoExpr  = "0.25118864*sin(2*PI*440*t)"
	noiseExpr = "0.3*(random(1)-0.5)+0.2*sin(2*PI*300*t)|0.3*(random(2)-0.5)+0.2*sin(2*PI*3000*t)"
	// Bursts of a 3 kHz tone every quarter second force short blocks.
	burstExpr = "if(lt(mod(t\\,0.25)\\,0.01)\\,0.8*sin(2*PI*3000*t)\\,0)|if(lt(mod(t+0.1\\,0.25)\\,0.01)\\,0.8*sin(2*PI*2000*t)\\,0)"
	fiveOne   = "0.2*sin(2*PI*300*t)|0.2*sin(2*PI*500*t)|0.2*sin(2*PI*700*t)|0.2*sin(2*PI*100*t)|0.2*sin(2*PI*1100*t)|0.2*sin(2*PI*1300*t)"
)

type fixture struct {
	name   string
	expr   string
	rate   int
	q      string
	layout string // ffmpeg channel layout, "" for the expression's default
	dur    string
}

var fixtures = []fixture{
	{"mono44q3.ogg", monoExpr, 44100, "3", "mono", "3"},
	{"stereo44q0.ogg", toneExpr, 44100, "0", "", "3"},
	{"stereo44q3.ogg", toneExpr, 44100, "3", "", "3"},
	{"stereo44q5.ogg", toneExpr, 44100, "5", "", "3"},
	{"stereo44q6.ogg", noiseExpr, 44100, "6", "", "3"},
	{"stereo44q10.ogg", noiseExpr, 44100, "10", "", "3"},
	{"stereo22q3.ogg", toneExpr, 22050, "3", "", "3"},
	{"stereo48q0.ogg", noiseExpr, 48000, "0", "", "3"},
	{"stereo48q6.ogg", toneExpr, 48000, "6", "", "3"},
	{"surround48q3.ogg", fiveOne, 48000, "3", "5.1", "3"},
	{"surround48q6.ogg", fiveOne, 48000, "6", "5.1", "3"},
	{"burst44q5.ogg", burstExpr, 44100, "5", "", "3"},
	{"burst48q10.ogg", burstExpr, 48000, "10", "", "3"},
	{"silence44q3.ogg", "0|0", 44100, "3", "", "2"},
}

// makeFixture encodes f with ffmpeg's libvorbis and returns its path.
func makeFixture(t testing.TB, f fixture) string {
	t.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg not installed")
	}
	fixtureMu.Lock()
	defer fixtureMu.Unlock()
	p := filepath.Join(fixtureDir, f.name)
	if fixtureMade[f.name] {
		return p
	}
	src := "aevalsrc=" + f.expr + ":s=" + itoa(f.rate) + ":d=" + f.dur
	if f.layout != "" {
		src += ":c=" + f.layout
	}
	args := []string{"-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", src,
		"-c:a", "libvorbis", "-q:a", f.q, "-map_metadata", "-1", p}
	if b, err := exec.Command("ffmpeg", args...).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v: %s", err, b)
	}
	fixtureMade[f.name] = true
	return p
}

func fixtureByName(t testing.TB, name string) string {
	for _, f := range fixtures {
		if f.name == name {
			return makeFixture(t, f)
		}
	}
	t.Fatalf("no fixture %s", name)
	return ""
}

func itoa(n int) string {
	b := []byte{}
	for {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
		if n == 0 {
			return string(b)
		}
	}
}

// oggPackets splits a single-stream Ogg file into packets and returns
// the last page's granule position.
func oggPackets(t testing.TB, b []byte) (pkts [][]byte, last int64) {
	t.Helper()
	var cur []byte
	for len(b) >= 27 {
		if string(b[:4]) != "OggS" {
			t.Fatal("lost Ogg sync")
		}
		last = int64(binary.LittleEndian.Uint64(b[6:]))
		nseg := int(b[26])
		lace := b[27 : 27+nseg]
		body := b[27+nseg:]
		off := 0
		for _, l := range lace {
			cur = append(cur, body[off:off+int(l)]...)
			off += int(l)
			if l < 255 {
				pkts = append(pkts, cur)
				cur = nil
			}
		}
		b = body[off:]
	}
	return pkts, last
}

// openFixture reads a file's headers into a new decoder and returns the
// audio packets and the last granule.
func openFixture(t testing.TB, path string) (*Decoder, [][]byte, int64) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pkts, last := oggPackets(t, b)
	if len(pkts) < 3 {
		t.Fatalf("%d packets", len(pkts))
	}
	d := NewDecoder()
	for i, p := range pkts[:3] {
		if err := d.ReadHeader(p); err != nil {
			t.Fatalf("header %d: %v", i, err)
		}
	}
	return d, pkts[3:], last
}

// decodeAll decodes every packet and trims the output to the last
// granule, as a player does.
func decodeAll(t testing.TB, d *Decoder, pkts [][]byte, last int64) []float32 {
	t.Helper()
	var all []float32
	buf := make([]float32, d.BufferSize())
	for i, p := range pkts {
		out, err := d.DecodeInto(p, buf)
		if err != nil {
			t.Fatalf("packet %d: %v", i, err)
		}
		all = append(all, out...)
	}
	if n := int(last) * d.Channels(); n < len(all) {
		all = all[:n]
	}
	return all
}

// ffmpegPCM decodes path with ffmpeg's own Vorbis decoder into float32,
// channels reordered from ffmpeg's layout order into Vorbis order.
func ffmpegPCM(t testing.TB, path string, ch int) []float32 {
	t.Helper()
	b, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-i", path, "-f", "f32le", "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	pcm := make([]float32, len(b)/4)
	for i := range pcm {
		pcm[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	if ch == 6 {
		// ffmpeg: FL FR FC LFE BL BR; Vorbis: FL FC FR BL BR LFE.
		from := [6]int{0, 2, 1, 4, 5, 3}
		out := make([]float32, len(pcm))
		for f := 0; f+6 <= len(pcm); f += 6 {
			for v, k := range from {
				out[f+v] = pcm[f+k]
			}
		}
		pcm = out
	}
	return pcm
}

// snrDB compares x with the reference ref: signal power over error
// power, +Inf when they are equal.
func snrDB(ref, x []float32) float64 {
	var s, e float64
	for i := range min(len(ref), len(x)) {
		r := float64(ref[i])
		d := r - float64(x[i])
		s += r * r
		e += d * d
	}
	if e == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(s/e)
}
