package aac

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Fixtures are encoded once per test binary with ffmpeg's native encoder.
type fixture struct {
	name string
	expr string // aevalsrc expression ("" for anullsrc silence)
	rate int
	args []string
}

const toneExpr = "0.25118864*sin(2*PI*440*t)|0.25118864*sin(2*PI*1000*t)"

var fixtures = []fixture{
	{"tone128.aac", toneExpr, 44100, []string{"-b:a", "128k", "-aac_pns", "0"}},
	{"silence.aac", "0|0", 44100, []string{"-b:a", "128k", "-aac_pns", "0"}},
	{"tone_twoloop.aac", toneExpr, 44100, []string{"-b:a", "128k", "-aac_coder", "twoloop", "-aac_pns", "0"}},
	{"tone32k.aac", toneExpr, 44100, []string{"-b:a", "32k", "-aac_pns", "1", "-aac_is", "1"}},
	{"tone48.aac", toneExpr, 48000, []string{"-b:a", "128k", "-aac_tns", "1", "-aac_ms", "1", "-aac_pns", "0", "-aac_is", "0"}},
	{"tone8k.aac", toneExpr, 8000, []string{"-b:a", "32k", "-aac_pns", "0"}},
	{"tone22k.aac", toneExpr, 22050, []string{"-b:a", "64k", "-aac_pns", "0"}},
	{"mono.aac", "0.25118864*sin(2*PI*440*t)", 44100, []string{"-b:a", "64k", "-aac_pns", "0"}},
	{"clicks.aac", "if(lt(mod(t\\,0.25)\\,0.002)\\,0.8*sin(2*PI*3000*t)\\,0)|if(lt(mod(t\\,0.3)\\,0.002)\\,0.8\\,0)", 44100, []string{"-b:a", "128k", "-aac_pns", "0"}},
	{"tone_is.aac", toneExpr, 44100, []string{"-b:a", "64k", "-aac_is", "1", "-aac_pns", "0"}},
	// TNS: decaying tones (long and short windows) and noise bursts (short).
	{"tns_decay.aac", "0.5*sin(2*PI*2000*t)*exp(-mod(t\\,0.1)*80)|0.5*sin(2*PI*3000*t)*exp(-mod(t\\,0.13)*60)", 44100, []string{"-b:a", "128k", "-aac_tns", "1", "-aac_pns", "0", "-aac_is", "0"}},
	{"tns_bursts.aac", "0.4*(random(0)-0.5)*exp(-mod(t\\,0.03)*300)|0.4*(random(1)-0.5)*exp(-mod(t\\,0.04)*200)", 44100, []string{"-b:a", "128k", "-aac_tns", "1", "-aac_pns", "0", "-aac_is", "0"}},
	{"noise.aac", "0.3*(random(0)-0.5)|0.3*(random(1)-0.5)", 44100, []string{"-b:a", "96k", "-aac_pns", "1"}},
	{"surround.aac", "0.2*sin(2*PI*300*t)|0.2*sin(2*PI*500*t)|0.2*sin(2*PI*700*t)|0.2*sin(2*PI*60*t)|0.2*sin(2*PI*1100*t)|0.2*sin(2*PI*1300*t)", 48000, []string{"-b:a", "384k", "-aac_pns", "0"}},
}

var (
	fixOnce sync.Once
	fixDir  string
	fixErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if fixDir != "" {
		os.RemoveAll(fixDir)
	}
	os.Exit(code)
}

func fixturePath(t testing.TB, name string) string {
	t.Helper()
	fixOnce.Do(func() {
		if _, err := exec.LookPath("ffmpeg"); err != nil {
			fixErr = err
			return
		}
		fixDir, fixErr = os.MkdirTemp("", "aactest")
		if fixErr != nil {
			return
		}
		for _, f := range fixtures {
			args := []string{"-v", "error", "-f", "lavfi", "-i", "aevalsrc=" + f.expr + ":s=" + itoa(f.rate) + ":d=3", "-c:a", "aac"}
			args = append(args, f.args...)
			args = append(args, "-f", "adts", filepath.Join(fixDir, f.name))
			if out, err := exec.Command("ffmpeg", args...).CombinedOutput(); err != nil {
				fixErr = errors.New(f.name + ": " + err.Error() + ": " + string(out))
				return
			}
		}
	})
	if fixErr != nil {
		t.Skip("ffmpeg fixtures:", fixErr)
	}
	return filepath.Join(fixDir, name)
}

func itoa(n int) string { return fmtInt(n) }

func fmtInt(n int) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}

// splitADTS returns the header and raw_data_block of every frame.
func splitADTS(t testing.TB, b []byte) ([]ADTSHeader, [][]byte) {
	t.Helper()
	var hs []ADTSHeader
	var aus [][]byte
	for len(b) > 0 {
		h, err := ParseADTS(b)
		if err != nil {
			t.Fatalf("frame %d: %v", len(hs), err)
		}
		if h.FrameLen > len(b) || h.Blocks != 1 {
			t.Fatalf("frame %d: length %d of %d, %d blocks", len(hs), h.FrameLen, len(b), h.Blocks)
		}
		hs = append(hs, h)
		aus = append(aus, b[h.HeaderLen:h.FrameLen])
		b = b[h.FrameLen:]
	}
	return hs, aus
}

// ffmpegDecode returns ffmpeg's own float decode as interleaved stereo.
// Mono is decoded as mono and copied to both sides, as this package does:
// ffmpeg's "-ac 2" upmix would lower it by 3 dB.
func ffmpegDecode(t testing.TB, path string) []float32 {
	t.Helper()
	probe, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "stream=channels", "-of", "csv=p=0", path).Output()
	if err != nil {
		t.Fatal(err)
	}
	mono := strings.TrimSpace(string(probe)) == "1"
	args := []string{"-v", "error", "-i", path, "-f", "f32le", "-ac", "2", "-"}
	if mono {
		args = []string{"-v", "error", "-i", path, "-f", "f32le", "-"}
	}
	out, err := exec.Command("ffmpeg", args...).Output()
	if err != nil {
		t.Fatal(err)
	}
	pcm := make([]float32, len(out)/4)
	for i := range pcm {
		pcm[i] = math.Float32frombits(binary.LittleEndian.Uint32(out[4*i:]))
	}
	if mono {
		st := make([]float32, 2*len(pcm))
		for i, v := range pcm {
			st[2*i], st[2*i+1] = v, v
		}
		pcm = st
	}
	return pcm
}

// openADTS splits an ADTS file into frames and makes a decoder for it.
func openADTS(t testing.TB, path string) ([]ADTSHeader, [][]byte, *Decoder) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	hs, aus := splitADTS(t, b)
	d, err := NewDecoder(hs[0].Config)
	if err != nil {
		t.Fatal(err)
	}
	return hs, aus, d
}

// decodeFile decodes every frame.
func decodeFile(t testing.TB, path string) (ADTSHeader, []float32) {
	t.Helper()
	hs, aus, d := openADTS(t, path)
	pcm := make([]float32, 0, 2*1024*len(aus))
	buf := make([]float32, 2*1024)
	for i, au := range aus {
		n, err := d.Decode(au, buf)
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		pcm = append(pcm, buf[:2*n]...)
	}
	return hs[0], pcm
}

func TestADTSStream(t *testing.T) {
	for _, f := range fixtures {
		b, err := os.ReadFile(fixturePath(t, f.name))
		if err != nil {
			t.Fatal(err)
		}
		hs, _ := splitADTS(t, b)
		h := hs[0]
		wantCh := 2
		if f.name == "mono.aac" {
			wantCh = 1
		} else if f.name == "surround.aac" {
			wantCh = 6
		}
		// 3 s of audio plus encoder priming and padding frames.
		frames := 3 * f.rate / 1024
		if h.SampleRate != f.rate || h.Channels != wantCh || h.ObjectType != 2 || len(hs) < frames || len(hs) > frames+3 {
			t.Errorf("%s: %+v, %d frames; want %d Hz, %d ch, ~%d frames", f.name, h, len(hs), f.rate, wantCh, frames)
		}
	}
}

func TestDecodeSilence(t *testing.T) {
	path := fixturePath(t, "silence.aac")
	_, got := decodeFile(t, path)
	want := ffmpegDecode(t, path)
	if len(got) != len(want) {
		t.Fatalf("%d samples, ffmpeg %d", len(got)/2, len(want)/2)
	}
	for i, v := range got {
		if v != want[i] {
			t.Fatalf("sample %d: %v, ffmpeg %v", i, v, want[i])
		}
	}
}

// snr returns 10·log10(Σref² / Σ(ref−got)²) at the best of a few alignments
// (in whole frames) and the alignment used.
func snr(ref, got []float32) (float64, int) {
	best, bestOff := math.Inf(-1), 0
	for off := -2048 * 2; off <= 2048*2; off += 2048 {
		var s, e float64
		for i := range got {
			j := i + off
			if j < 0 || j >= len(ref) {
				continue
			}
			d := float64(ref[j]) - float64(got[i])
			s += float64(ref[j]) * float64(ref[j])
			e += d * d
		}
		v := 10 * math.Log10(s/max(e, 1e-30))
		if e == 0 {
			v = math.Inf(1) // identical, silence included
		}
		if v > best {
			best, bestOff = v, off/2
		}
	}
	return best, bestOff
}

// TestDecodeFFmpeg compares our decode of each fixture with ffmpeg's
// (float) decode. PNS bands use a different random generator, so the PNS
// fixtures are compared by level only.
func TestDecodeFFmpeg(t *testing.T) {
	for _, f := range fixtures {
		t.Run(f.name, func(t *testing.T) {
			path := fixturePath(t, f.name)
			_, got := decodeFile(t, path)
			want := ffmpegDecode(t, path)
			if f.name == "surround.aac" {
				// ffmpeg's float "-ac 2" mixes with the BS.775 gains
				// unnormalised; we divide by their sum per side (no clipping).
				for i := range want {
					want[i] /= 1 + math.Sqrt2
				}
			}
			s, off := snr(want, got)
			t.Logf("%s: SNR %.1f dB against ffmpeg (offset %d)", f.name, s, off)
			minSNR := 80.0
			if f.name == "tone32k.aac" || f.name == "noise.aac" {
				minSNR = 0 // random noise substitution
			}
			if s < minSNR {
				t.Errorf("SNR %.1f dB < %.0f", s, minSNR)
			}
		})
	}
}

// TestTone checks levels and frequencies of the standard tone by itself.
func TestTone(t *testing.T) {
	h, pcm := decodeFile(t, fixturePath(t, "tone128.aac"))
	n := len(pcm) / 2
	if secs := float64(n) / float64(h.SampleRate); secs < 3 || secs > 3+3*1024/float64(h.SampleRate) {
		t.Errorf("duration %.3f s", secs)
	}
	// Skip the priming frame and the tail.
	mid := pcm[2*4096 : 2*(n-4096)]
	for side, want := range []float64{440, 1000} {
		var sum float64
		ch := make([]float64, len(mid)/2)
		for i := range ch {
			ch[i] = float64(mid[2*i+side])
			sum += ch[i] * ch[i]
		}
		rms := 10 * math.Log10(sum/float64(len(ch)))
		if math.Abs(rms-(-15.0103)) > 0.5 {
			t.Errorf("side %d: RMS %.2f dBFS", side, rms)
		}
		if f := dominant(ch, h.SampleRate); math.Abs(f-want) > 3 {
			t.Errorf("side %d: dominant %.1f Hz, want %.0f", side, f, want)
		}
	}
}

// dominant finds the strongest frequency by a 1 Hz-step DFT scan (slow but
// plain; the signal is short).
func dominant(x []float64, rate int) float64 {
	x = x[:min(len(x), rate/2)]
	best, bestF := 0.0, 0.0
	for f := 50.0; f < 4000; f += 1 {
		var re, im float64
		w := 2 * math.Pi * f / float64(rate)
		for i, v := range x {
			re += v * math.Cos(w*float64(i))
			im += v * math.Sin(w*float64(i))
		}
		if p := re*re + im*im; p > best {
			best, bestF = p, f
		}
	}
	return bestF
}

// TestSurroundChannels compares each 5.1 channel before the downmix with
// ffmpeg's 6-channel decode (ffmpeg order FL FR FC LFE BL BR; ours follows
// the elements: C, L, R, Ls, Rs, LFE).
func TestSurroundChannels(t *testing.T) {
	path := fixturePath(t, "surround.aac")
	_, aus, d := openADTS(t, path)
	var chans [6][]float32
	d.channelOut = func(ch int, pcm []float32) {
		for _, v := range pcm {
			chans[ch] = append(chans[ch], v/32768)
		}
	}
	dst := make([]float32, 2048)
	for i, au := range aus {
		if _, err := d.Decode(au, dst); err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
	}
	out, err := exec.Command("ffmpeg", "-v", "error", "-i", path, "-f", "f32le", "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	ours := [6]int{1, 2, 0, 5, 3, 4} // ffmpeg channel i (FL FR FC LFE BL BR) is our channel ours[i] (element order C, L R, Ls Rs, LFE)
	for i, o := range ours {
		ref := make([]float32, len(out)/4/6)
		for k := range ref {
			ref[k] = math.Float32frombits(binary.LittleEndian.Uint32(out[4*(6*k+i):]))
		}
		// snr works on interleaved pairs; duplicate into stereo.
		r2 := make([]float32, 2*len(ref))
		g2 := make([]float32, 2*len(chans[o]))
		for k, v := range ref {
			r2[2*k], r2[2*k+1] = v, v
		}
		for k, v := range chans[o] {
			g2[2*k], g2[2*k+1] = v, v
		}
		s, _ := snr(r2, g2)
		t.Logf("ffmpeg channel %d: SNR %.1f dB", i, s)
		if s < 80 {
			t.Errorf("ffmpeg channel %d: SNR %.1f dB < 80", i, s)
		}
	}
}

// TestScalefactorsOnFFmpegStreams parses every ffmpeg frame's first channel
// stream up to the spectral data: section data, scale factors (through the
// Annex scale-factor codebook), pulse and TNS data. Any error in the
// scale-factor codebook would shift the bit position, so the fixed
// gain_control_data_present bit (0 in AAC-LC) and the range checks would
// fail on a good share of frames; none may.
func TestScalefactorsOnFFmpegStreams(t *testing.T) {
	total, withSF := 0, 0
	for _, f := range fixtures {
		_, aus, d := openADTS(t, fixturePath(t, f.name))
		for i, au := range aus {
			br := bitReader{buf: au}
			c := &d.ics[0]
			id := br.read(3)
			for id == idFIL { // ffmpeg's first frame starts with its name in a FIL
				n := int(br.read(4))
				if n == 15 {
					n += int(br.read(8)) - 1
				}
				br.skip(8 * n)
				id = br.read(3)
			}
			br.skip(4)
			common := false
			switch id {
			case idSCE, idLFE:
			case idCPE:
				common = br.read1()
				if common {
					if err := d.readICSInfo(&br, &c.info); err != nil {
						t.Fatalf("%s frame %d: %v", f.name, i, err)
					}
					if br.read(2) == 1 {
						br.skip(c.info.numGroups * c.info.maxSfb)
					}
				}
			default:
				t.Fatalf("%s frame %d: first element %d", f.name, i, id)
			}
			c.globalGain = int(br.read(8))
			if !common {
				if err := d.readICSInfo(&br, &c.info); err != nil {
					t.Fatalf("%s frame %d: %v", f.name, i, err)
				}
			}
			err := c.readSections(&br)
			if err == nil {
				err = c.readScalefactors(&br)
			}
			if err == nil {
				err = c.readPulse(&br)
			}
			if err == nil {
				err = d.readTNS(&br, c)
			}
			if err != nil {
				t.Fatalf("%s frame %d: %v", f.name, i, err)
			}
			if br.read1() {
				t.Fatalf("%s frame %d: gain control bit set: scale factors misparsed", f.name, i)
			}
			total++
			for g := 0; g < c.info.numGroups; g++ {
				for k := 0; k < c.info.maxSfb; k++ {
					if cb := c.cb[g][k]; cb != zeroHCB {
						withSF++
						g, k = c.info.numGroups, c.info.maxSfb
					}
				}
			}
		}
	}
	t.Logf("%d frames, %d with coded bands, parsed to the spectral data", total, withSF)
	if withSF < total/2 {
		t.Errorf("only %d of %d frames exercise the scale-factor codebook", withSF, total)
	}
}

// TestFixturesUseTools keeps the ffmpeg comparisons honest: across the
// fixtures every spectral codebook, noise and intensity bands, TNS in long
// and short windows and every window sequence occur, so TestDecodeFFmpeg
// checks each of them against the reference decoder.
func TestFixturesUseTools(t *testing.T) {
	used := map[string]int{}
	for _, f := range fixtures {
		_, aus, d := openADTS(t, fixturePath(t, f.name))
		dst := make([]float32, 2048)
		for _, au := range aus {
			if _, err := d.Decode(au, dst); err != nil {
				t.Fatal(err)
			}
			for c := range d.ics {
				info := &d.ics[c].info
				used[fmt.Sprintf("window sequence %d", info.seq)]++
				for g := 0; g < info.numGroups; g++ {
					for k := 0; k < info.maxSfb; k++ {
						used[fmt.Sprintf("codebook %d", d.ics[c].cb[g][k])]++
					}
				}
				for w := 0; w < info.numWindows; w++ {
					if d.ics[c].tns.nFilt[w] > 0 {
						used[fmt.Sprintf("TNS short %v", info.seq == eightShort)]++
						break
					}
				}
			}
		}
	}
	var want []string
	for cb := 1; cb <= 15; cb++ {
		if cb != 12 {
			want = append(want, fmt.Sprintf("codebook %d", cb))
		}
	}
	want = append(want, "TNS short false", "TNS short true")
	for seq := onlyLong; seq <= longStop; seq++ {
		want = append(want, fmt.Sprintf("window sequence %d", seq))
	}
	for _, w := range want {
		if used[w] == 0 {
			t.Errorf("no fixture uses %s", w)
		}
	}
	t.Log(used)
}
