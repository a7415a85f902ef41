package media

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math/bits"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// FLAC files for the bit-exact tests: a tone plus noise (so every
// predictor and Rice parameter gets used), made by ffmpeg's encoder or
// by sox (libFLAC), next to the shared fixtures.
type flacFixture struct {
	name string
	tool string // "ffmpeg" or "sox"
	args []string
}

// noiseExpr is a tone with white noise near full scale, per channel.
func noiseExpr(ch int) string {
	var parts []string
	for c := range ch {
		f := 200 + 150*c
		parts = append(parts, "0.6*sin(2*PI*"+itoa(f)+"*t)+0.35*(2*random("+itoa(c)+")-1)")
	}
	return strings.Join(parts, "|")
}

func ffmpegFLAC(name string, ch, rate, secs int, layout string, extra ...string) flacFixture {
	src := "aevalsrc=" + noiseExpr(ch) + ":s=" + itoa(rate) + ":d=" + itoa(secs)
	if layout != "" {
		src += ":c=" + layout
	}
	args := []string{"-f", "lavfi", "-i", src, "-c:a", "flac"}
	if !strings.Contains(strings.Join(extra, " "), "sample_fmt") {
		args = append(args, "-sample_fmt", "s16")
	}
	args = append(args, extra...)
	return flacFixture{name, "ffmpeg", args}
}

var flacFixtures = []flacFixture{
	ffmpegFLAC("x16_44k.flac", 2, 44100, 3, ""),
	ffmpegFLAC("x16_mono_48k.flac", 1, 48000, 2, ""),
	ffmpegFLAC("x24_96k.flac", 2, 96000, 2, "", "-sample_fmt", "s32", "-bits_per_raw_sample", "24"),
	ffmpegFLAC("x16_51_48k.flac", 6, 48000, 2, "5.1"),
	ffmpegFLAC("x24_51_48k.flac", 6, 48000, 2, "5.1", "-sample_fmt", "s32", "-bits_per_raw_sample", "24"),
	ffmpegFLAC("x16_indep.flac", 2, 44100, 2, "", "-ch_mode", "indep"),
	ffmpegFLAC("x16_left_side.flac", 2, 44100, 2, "", "-ch_mode", "left_side"),
	ffmpegFLAC("x16_right_side.flac", 2, 44100, 2, "", "-ch_mode", "right_side"),
	ffmpegFLAC("x16_mid_side.flac", 2, 44100, 2, "", "-ch_mode", "mid_side"),
	ffmpegFLAC("x24_mid_side.flac", 2, 48000, 2, "", "-ch_mode", "mid_side", "-sample_fmt", "s32", "-bits_per_raw_sample", "24"),
	ffmpegFLAC("x16_level0.flac", 2, 44100, 2, "", "-compression_level", "0"),
	ffmpegFLAC("x16_level12.flac", 2, 44100, 2, "", "-compression_level", "12"),
	ffmpegFLAC("x16_fixed.flac", 2, 44100, 2, "", "-lpc_type", "fixed"),
	ffmpegFLAC("x16_verbatim.flac", 2, 44100, 1, "", "-lpc_type", "none"),
	ffmpegFLAC("x16_small_frames.flac", 2, 44100, 2, "", "-frame_size", "192"),
	ffmpegFLAC("x16_big_frames.flac", 2, 44100, 3, "", "-frame_size", "32768"),
	ffmpegFLAC("x16_long.flac", 2, 16000, 30, ""),
	// libFLAC through sox: 8-bit, 24-bit, and 3–8 channels.
	{"sox8.flac", "sox", []string{"-b", "8"}},
	{"sox24.flac", "sox", []string{"-b", "24"}},
	{"sox16_long.flac", "sox", []string{"-b", "16"}},
}

var (
	flacOnce sync.Once
	flacErr  error
)

// flacMedia generates the bit-exact fixtures once and returns a path.
func flacMedia(t testing.TB, name string) string {
	t.Helper()
	dir := filepath.Dir(media(t, "s16_44k.flac"))
	if _, err := exec.LookPath("sox"); err != nil {
		t.Skip("sox not installed")
	}
	flacOnce.Do(func() {
		for _, f := range flacFixtures {
			out := filepath.Join(dir, f.name)
			var cmd *exec.Cmd
			if f.tool == "ffmpeg" {
				args := append([]string{"-hide_banner", "-loglevel", "error", "-y"}, f.args...)
				cmd = exec.Command("ffmpeg", append(args, "-map_metadata", "-1", out)...)
			} else {
				// A WAV made by ffmpeg is re-encoded by sox's libFLAC.
				secs := "2"
				if strings.Contains(f.name, "long") {
					secs = "40"
				}
				wav := out + ".wav"
				gen := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
					"aevalsrc="+noiseExpr(2)+":s=44100:d="+secs, "-c:a", "pcm_s32le", wav)
				if b, err := gen.CombinedOutput(); err != nil {
					flacErr = errors.New(f.name + ": " + err.Error() + ": " + string(b))
					return
				}
				cmd = exec.Command("sox", append(append([]string{wav}, f.args...), out)...)
			}
			if b, err := cmd.CombinedOutput(); err != nil {
				flacErr = errors.New(f.name + ": " + err.Error() + ": " + string(b))
				return
			}
		}
	})
	if flacErr != nil {
		t.Fatal(flacErr)
	}
	return filepath.Join(dir, name)
}

// ffmpegInts decodes a file with ffmpeg to interleaved integers at the
// file's own bit depth.
func ffmpegInts(t testing.TB, path string, bps int) []int32 {
	t.Helper()
	out, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-i", path, "-f", "s32le", "-c:a", "pcm_s32le", "-").Output()
	if err != nil {
		t.Fatalf("ffmpeg decode: %v", err)
	}
	v := make([]int32, len(out)/4)
	for i := range v {
		v[i] = int32(binary.LittleEndian.Uint32(out[4*i:])) >> (32 - bps)
	}
	return v
}

func openFLACFile(t testing.TB, path string) *flacDecoder {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	d, err := openFLAC(newInput(f))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// flacInts decodes up to max frames (samples per channel, all when
// max < 0) from d's position into interleaved integers.
func flacInts(t testing.TB, d *flacDecoder, max int) []int32 {
	t.Helper()
	var out []int32
	for max < 0 || len(out) < max*d.ch {
		if d.lo2 == d.hi2 {
			if err := d.next(); err == io.EOF {
				break
			} else if err != nil {
				t.Fatalf("decode: %v", err)
			}
		}
		for i := d.lo2; i < d.hi2; i++ {
			for c := range d.ch {
				out = append(out, d.planes[c][i])
			}
		}
		d.lo2 = d.hi2
		d.drop = 0
	}
	if max >= 0 && len(out) > max*d.ch {
		out = out[:max*d.ch]
	}
	return out
}

func firstDiff(a, b []int32) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	if len(a) != len(b) {
		return min(len(a), len(b))
	}
	return -1
}

// TestFLACBitExact decodes every fixture and compares the integers with
// ffmpeg's decode of the same file.
func TestFLACBitExact(t *testing.T) {
	tests := []struct {
		name     string
		ch, bps  int
		rate     int
		frameLen int // expected block size where it matters, 0 to skip
	}{
		{"x16_44k.flac", 2, 16, 44100, 0},
		{"x16_mono_48k.flac", 1, 16, 48000, 0},
		{"x24_96k.flac", 2, 24, 96000, 0},
		{"x16_51_48k.flac", 6, 16, 48000, 0},
		{"x24_51_48k.flac", 6, 24, 48000, 0},
		{"x16_indep.flac", 2, 16, 44100, 0},
		{"x16_left_side.flac", 2, 16, 44100, 0},
		{"x16_right_side.flac", 2, 16, 44100, 0},
		{"x16_mid_side.flac", 2, 16, 44100, 0},
		{"x24_mid_side.flac", 2, 24, 48000, 0},
		{"x16_level0.flac", 2, 16, 44100, 0},
		{"x16_level12.flac", 2, 16, 44100, 0},
		{"x16_fixed.flac", 2, 16, 44100, 0},
		{"x16_verbatim.flac", 2, 16, 44100, 0},
		{"x16_small_frames.flac", 2, 16, 44100, 192},
		{"x16_big_frames.flac", 2, 16, 44100, 32768},
		{"sox8.flac", 2, 8, 44100, 0},
		{"sox24.flac", 2, 24, 44100, 0},
		{"s16_44k.flac", 2, 24, 44100, 0}, // ffmpeg keeps 24 bits of double input
		{"step.flac", 2, 24, 44100, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := flacMedia(t, tc.name)
			if tc.name == "s16_44k.flac" || tc.name == "step.flac" {
				path = media(t, tc.name)
			}
			d := openFLACFile(t, path)
			if d.ch != tc.ch || d.bps != tc.bps || d.sr != tc.rate {
				t.Fatalf("%d ch, %d bits, %d Hz; want %d, %d, %d", d.ch, d.bps, d.sr, tc.ch, tc.bps, tc.rate)
			}
			if tc.frameLen > 0 && d.maxBlock != tc.frameLen {
				t.Errorf("block size %d, want %d", d.maxBlock, tc.frameLen)
			}
			got := flacInts(t, d, -1)
			want := ffmpegInts(t, path, tc.bps)
			if i := firstDiff(got, want); i >= 0 {
				t.Fatalf("%d samples, ffmpeg %d; first difference at %d (channel %d)", len(got), len(want), i, i%tc.ch)
			}
			if d.total >= 0 && int64(len(got)) != d.total*int64(d.ch) {
				t.Errorf("%d frames, STREAMINFO says %d", len(got)/d.ch, d.total)
			}
		})
	}
}

// TestFLACSeekExact seeks to samples of long files (with and without a
// SEEKTABLE, fixed and variable block sizes) and compares what follows
// with ffmpeg's decode.
func TestFLACSeekExact(t *testing.T) {
	for _, name := range []string{"x16_long.flac", "sox16_long.flac", "x16_small_frames.flac", "x16_big_frames.flac", "variable.flac"} {
		t.Run(name, func(t *testing.T) {
			var path string
			if name == "variable.flac" {
				path = variableFLAC(t)
			} else {
				path = flacMedia(t, name)
			}
			d := openFLACFile(t, path)
			want := ffmpegInts(t, path, d.bps)
			n := int64(len(want) / d.ch)
			targets := []int64{n / 2, 0, 1, 4095, 4096, 4097, 12345, n - 1, n / 3, 2*n/3 + 7, 192 * 5, n}
			for _, target := range targets {
				got, err := d.seek(target)
				if err != nil {
					t.Fatalf("seek %d: %v", target, err)
				}
				if got != target {
					t.Errorf("seek %d landed at %d", target, got)
				}
				pcm := flacInts(t, d, 5000)
				ref := want[min(int(target)*d.ch, len(want)):]
				ref = ref[:min(len(ref), 5000*d.ch)]
				if i := firstDiff(pcm, ref); i >= 0 {
					t.Fatalf("after seek to %d of %d: %d samples, want %d; first difference at %d", target, n, len(pcm), len(ref), i)
				}
			}
		})
	}
}

// variableFLAC splices frames of two fixed-block encodings (1152 and
// 4096 samples) of the same audio into one variable-block-size stream:
// the header's blocking bit is set and each frame carries its first
// sample number, with both CRCs recomputed.
func variableFLAC(t testing.TB) string {
	t.Helper()
	out := filepath.Join(filepath.Dir(flacMedia(t, "x16_44k.flac")), "variable.flac")
	if _, err := os.Stat(out); err == nil {
		return out
	}
	dir := filepath.Dir(out)
	var files [2][]byte
	for i, fs := range []string{"1152", "4096"} {
		p := filepath.Join(dir, "var"+fs+".flac")
		if b, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
			"aevalsrc="+noiseExpr(2)+":s=44100:d=6", "-c:a", "flac", "-sample_fmt", "s16", "-frame_size", fs, "-map_metadata", "-1", p).CombinedOutput(); err != nil {
			t.Fatalf("%v: %s", err, b)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		files[i] = b
	}
	frames := func(b []byte) (head []byte, fr [][]byte, starts []int64) {
		d, err := openFLAC(newInput(bytes.NewReader(b)))
		if err != nil {
			t.Fatal(err)
		}
		head = b[:d.firstFrame]
		for {
			at := d.off
			h, err := d.decodeFrame(true)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			fr = append(fr, b[at:d.off])
			starts = append(starts, h.sample)
		}
		return head, fr, starts
	}
	head, a, as := frames(files[0])
	_, b, bs := frames(files[1])
	// Alternate every 36864 samples (a multiple of both block sizes).
	var body []byte
	var sample int64
	for {
		src, starts, blk := a, as, int64(1152)
		if (sample/36864)%2 == 1 {
			src, starts, blk = b, bs, 4096
		}
		i := 0
		for i < len(starts) && starts[i] != sample {
			i++
		}
		if i == len(starts) {
			break
		}
		body = append(body, rewriteVariable(src[i], sample)...)
		if i == len(starts)-1 {
			break
		}
		sample += blk
	}
	// STREAMINFO: min block 1152, max 4096 (the last frame may be shorter;
	// the min is advisory).
	h := append([]byte(nil), head...)
	binary.BigEndian.PutUint16(h[8:], 1152)
	binary.BigEndian.PutUint16(h[10:], 4096)
	copy(h[15:18], []byte{0, 0, 0}) // max frame size unknown
	if err := os.WriteFile(out, append(h, body...), 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

// rewriteVariable turns a fixed-block frame into a variable-block one
// starting at sample.
func rewriteVariable(f []byte, sample int64) []byte {
	n := 1 // length of the coded frame number
	if f[4] >= 0x80 {
		n = bits.LeadingZeros8(^f[4])
	}
	hdrEnd := 4 + n
	bs, rc := f[2]>>4, f[2]&15
	extra := 0
	if bs == 6 {
		extra++
	} else if bs == 7 {
		extra += 2
	}
	if rc == 12 {
		extra++
	} else if rc == 13 || rc == 14 {
		extra += 2
	}
	var out []byte
	out = append(out, f[0], f[1]|1, f[2], f[3])
	out = append(out, utf8Num(uint64(sample))...)
	out = append(out, f[hdrEnd:hdrEnd+extra]...)
	var crc byte
	for _, x := range out {
		crc = flacCRC8Table[crc^x]
	}
	out = append(out, crc)
	out = append(out, f[hdrEnd+extra+1:len(f)-2]...)
	return binary.BigEndian.AppendUint16(out, flacCRC16(out))
}

// utf8Num codes v as FLAC's extended UTF-8 number.
func utf8Num(v uint64) []byte {
	if v < 0x80 {
		return []byte{byte(v)}
	}
	n := 2
	for v >= 1<<(5*n+1) {
		n++
	}
	b := make([]byte, n)
	for i := n - 1; i > 0; i-- {
		b[i] = 0x80 | byte(v&0x3F)
		v >>= 6
	}
	b[0] = byte(0xFF<<(8-n)) | byte(v)
	return b
}

// BenchmarkFLAC measures the decoder alone: 20 ms of native-rate stereo
// PCM per op (downmixed for 5.1).
func BenchmarkFLAC(b *testing.B) {
	for _, name := range []string{"sox16_long.flac", "x16_44k.flac", "x24_96k.flac", "x16_51_48k.flac", "x16_level12.flac"} {
		b.Run(name, func(b *testing.B) {
			d := openFLACFile(b, flacMedia(b, name))
			dst := make([]float32, 2*d.rate()/50)
			b.ReportAllocs()
			for b.Loop() {
				for n := 0; n < len(dst); {
					k, err := d.read(dst[n:])
					n += k
					if err == io.EOF {
						if _, err := d.seek(0); err != nil {
							b.Fatal(err)
						}
					} else if err != nil {
						b.Fatal(err)
					}
				}
			}
			reportPerFrame(b)
		})
	}
}

// flacBytes builds a small FLAC stream in Go: STREAMINFO and frames of
// constant and verbatim subframes, so the fuzzer has valid seeds without
// ffmpeg.
func flacBytes(frames int) []byte {
	var b []byte
	b = append(b, "fLaC"...)
	b = append(b, 0x80, 0, 0, 34) // last block, STREAMINFO
	si := make([]byte, 34)
	binary.BigEndian.PutUint16(si[0:], 192)
	binary.BigEndian.PutUint16(si[2:], 192)
	// 44100 Hz, 2 channels, 16 bits, frames×192 samples.
	v := uint64(44100)<<44 | uint64(1)<<41 | uint64(15)<<36 | uint64(frames*192)
	binary.BigEndian.PutUint64(si[10:], v)
	b = append(b, si...)
	for f := range frames {
		h := []byte{0xFF, 0xF8, 0x19, 0x18} // 192 samples, 44.1 kHz; 2 ch; 16 bits
		h = append(h, utf8Num(uint64(f))...)
		var crc byte
		for _, x := range h {
			crc = flacCRC8Table[crc^x]
		}
		h = append(h, crc)
		// Left: constant; right: verbatim (192 × 16 bits).
		h = append(h, 0x00, byte(f), byte(f*3))
		h = append(h, 0x02)
		for i := range 192 {
			h = binary.BigEndian.AppendUint16(h, uint16(i*97+f))
		}
		h = binary.BigEndian.AppendUint16(h, flacCRC16(h))
		b = append(b, h...)
	}
	return b
}

// TestFLACUnknownFrameSize decodes 32768-sample frames (over 100 KB
// each) from a stream whose STREAMINFO gives no maximum frame size, so
// the window has to grow while a frame is decoded.
func TestFLACUnknownFrameSize(t *testing.T) {
	path := flacMedia(t, "x16_big_frames.flac")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b = append([]byte(nil), b...)
	copy(b[12:18], []byte{0, 0, 0, 0, 0, 0}) // min and max frame size unknown
	d, err := openFLAC(newInput(struct{ io.Reader }{bytes.NewReader(b)}))
	if err != nil {
		t.Fatal(err)
	}
	got := flacInts(t, d, -1)
	want := ffmpegInts(t, path, 16)
	if i := firstDiff(got, want); i >= 0 {
		t.Fatalf("%d samples, want %d; first difference at %d", len(got), len(want), i)
	}
	if len(d.buf) <= flacWindow {
		t.Errorf("window of %d bytes never grew", len(d.buf))
	}
}

func TestFLACBuilt(t *testing.T) {
	d, err := openFLAC(newInput(bytes.NewReader(flacBytes(5))))
	if err != nil {
		t.Fatal(err)
	}
	got := flacInts(t, d, -1)
	if len(got) != 2*5*192 {
		t.Fatalf("%d samples", len(got))
	}
	for f := range 5 {
		for i := range 192 {
			l, r := got[2*(f*192+i)], got[2*(f*192+i)+1]
			if l != int32(int16(uint16(f)<<8|uint16(byte(f*3)))) || r != int32(int16(uint16(i*97+f))) {
				t.Fatalf("frame %d sample %d: %d %d", f, i, l, r)
			}
		}
	}
}

// FuzzFLAC drives the decoder directly: open, decode, seek, decode.
func FuzzFLAC(f *testing.F) {
	f.Add(flacBytes(3), int64(200))
	f.Add(flacBytes(20)[:1000], int64(0))
	if _, err := exec.LookPath("ffmpeg"); err == nil {
		for _, name := range []string{"s16_44k.flac", "s24_96k.flac"} {
			if b, err := os.ReadFile(media(f, name)); err == nil {
				f.Add(b[:min(len(b), 12000)], int64(3000))
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, target int64) {
		d, err := openFLAC(newInput(bytes.NewReader(data)))
		if err != nil {
			return
		}
		dst := make([]float32, 2048)
		for range 50 {
			if _, err := d.read(dst); err != nil {
				break
			}
		}
		if _, err := d.seek(target); err != nil {
			return
		}
		for range 5 {
			if _, err := d.read(dst); err != nil {
				break
			}
		}
	})
}

// TestFLACPiped decodes FLAC that ffmpeg wrote to a pipe: STREAMINFO has
// no length, frame sizes or MD5 (it could not seek back to fill them in).
func TestFLACPiped(t *testing.T) {
	out, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
		"aevalsrc="+noiseExpr(2)+":s=44100:d=2", "-c:a", "flac", "-sample_fmt", "s16", "-f", "flac", "-").Output()
	if err != nil {
		t.Skip("ffmpeg:", err)
	}
	path := filepath.Join(filepath.Dir(flacMedia(t, "x16_44k.flac")), "piped.flac")
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := openFLAC(newInput(struct{ io.Reader }{bytes.NewReader(out)}))
	if err != nil {
		t.Fatal(err)
	}
	if d.frames() != -1 {
		t.Errorf("length %d, want unknown", d.frames())
	}
	got := flacInts(t, d, -1)
	want := ffmpegInts(t, path, 16)
	if i := firstDiff(got, want); i >= 0 || len(got) != 2*88200 {
		t.Fatalf("%d samples, want %d; first difference at %d", len(got), len(want), i)
	}
}

// TestFLACDamage flips bytes inside a frame: playback resyncs at the next
// frame header and goes on, seekable or not.
func TestFLACDamage(t *testing.T) {
	path := flacMedia(t, "x16_44k.flac")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data = append([]byte(nil), data...)
	for i := len(data) / 2; i < len(data)/2+40; i++ {
		data[i] ^= 0xA5
	}
	for _, seekable := range []bool{true, false} {
		var r io.Reader = bytes.NewReader(data)
		if !seekable {
			r = struct{ io.Reader }{r}
		}
		d, err := openFLAC(newInput(r))
		if err != nil {
			t.Fatal(err)
		}
		dst := make([]float32, 4096)
		frames := 0
		for {
			n, err := d.read(dst)
			frames += n / 2
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("seekable %v: %v after %d frames", seekable, err, frames)
			}
		}
		// One damaged FLAC frame of 4608 samples may be lost (or decode
		// as noise); the rest plays.
		if frames < 3*44100-2*4608 || frames > 3*44100 {
			t.Errorf("seekable %v: %d frames of %d", seekable, frames, 3*44100)
		}
		if d.resyncs == 0 {
			t.Errorf("seekable %v: no resync", seekable)
		}
	}
}
