package media

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/audionode/audionode/node/audio"
	"github.com/audionode/audionode/node/opus"
)

// The test tone: 440 Hz left, 1000 Hz right, peak −12 dBFS.
const (
	toneAmp   = 0.25118864 // 10^(-12/20)
	toneL     = 440.0
	toneR     = 1000.0
	toneSecs  = 3
	toneExpr  = "0.25118864*sin(2*PI*440*t)|0.25118864*sin(2*PI*1000*t)"
	stepExpr  = `if(gte(t\,1)\,0.25118864*sin(2*PI*440*t)\,0)|if(gte(t\,1)\,0.25118864*sin(2*PI*1000*t)\,0)`
	toneRMSdB = -15.0103 // peak −12 dBFS sine
)

var (
	mediaOnce sync.Once
	mediaDir  string
	mediaErr  error
)

// fixtures are generated once per test binary with ffmpeg.
type fixture struct {
	name string
	args []string // ffmpeg output options
	expr string
	rate int
}

var fixtures = []fixture{
	{"s16_44k.wav", []string{"-c:a", "pcm_s16le"}, toneExpr, 44100},
	{"f32_48k.wav", []string{"-c:a", "pcm_f32le"}, toneExpr, 48000},
	{"s24_96k.wav", []string{"-c:a", "pcm_s24le"}, toneExpr, 96000},
	{"s32_22k.wav", []string{"-c:a", "pcm_s32le"}, toneExpr, 22050},
	{"u8_48k.wav", []string{"-c:a", "pcm_u8"}, toneExpr, 48000},
	{"f64_48k.wav", []string{"-c:a", "pcm_f64le"}, toneExpr, 48000},
	{"mono_48k.wav", []string{"-c:a", "pcm_s16le", "-ac", "1"}, "0.25118864*sin(2*PI*440*t)", 48000},
	{"tone.opus", []string{"-c:a", "libopus", "-b:a", "160k", "-frame_duration", "20"}, toneExpr, 48000},
	{"tone60.opus", []string{"-c:a", "libopus", "-b:a", "160k", "-frame_duration", "60"}, toneExpr, 48000},
	{"s16_44k.flac", []string{"-c:a", "flac"}, toneExpr, 44100},
	{"s24_96k.flac", []string{"-c:a", "flac", "-sample_fmt", "s32"}, toneExpr, 96000},
	{"tone.mp3", []string{"-c:a", "libmp3lame", "-b:a", "192k"}, toneExpr, 44100},
	{"tone.ogg", []string{"-c:a", "libvorbis", "-q:a", "5"}, toneExpr, 44100},
	{"tone.webm", []string{"-c:a", "libopus", "-b:a", "160k"}, toneExpr, 48000},
	{"tone.mka", []string{"-c:a", "libopus", "-b:a", "160k", "-cluster_size_limit", "2000"}, toneExpr, 48000},
	{"step.webm", []string{"-c:a", "libopus", "-b:a", "160k"}, stepExpr, 48000},
	{"step.wav", []string{"-c:a", "pcm_s16le"}, stepExpr, 44100},
	{"step.flac", []string{"-c:a", "flac"}, stepExpr, 44100},
	{"step.mp3", []string{"-c:a", "libmp3lame", "-b:a", "192k"}, stepExpr, 44100},
	{"tone_vbr.mp3", []string{"-c:a", "libmp3lame", "-q:a", "2"}, toneExpr, 44100},
	{"tone_22k.mp3", []string{"-c:a", "libmp3lame", "-b:a", "96k", "-ar", "22050"}, toneExpr, 22050},
	{"step_vbr.mp3", []string{"-c:a", "libmp3lame", "-q:a", "2"}, stepExpr, 44100},
	{"step_22k.mp3", []string{"-c:a", "libmp3lame", "-b:a", "64k", "-ar", "22050"}, stepExpr, 22050},
	{"step.ogg", []string{"-c:a", "libvorbis", "-q:a", "5"}, stepExpr, 44100},
	{"step.opus", []string{"-c:a", "libopus", "-b:a", "160k"}, stepExpr, 48000},
	{"vorbis.webm", []string{"-c:a", "libvorbis", "-q:a", "5"}, toneExpr, 48000},
	{"step_vorbis.webm", []string{"-c:a", "libvorbis", "-q:a", "5"}, stepExpr, 48000},
}

// media returns the path of a generated fixture, skipping without ffmpeg.
func media(t testing.TB, name string) string {
	t.Helper()
	mediaOnce.Do(func() {
		if _, err := exec.LookPath("ffmpeg"); err != nil {
			mediaErr = errSkip
			return
		}
		mediaDir, mediaErr = os.MkdirTemp("", "media-test-")
		if mediaErr != nil {
			return
		}
		for _, f := range fixtures {
			args := []string{"-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
				"aevalsrc=" + f.expr + ":s=" + itoa(f.rate) + ":d=" + itoa(toneSecs)}
			args = append(args, f.args...)
			args = append(args, "-map_metadata", "-1", filepath.Join(mediaDir, f.name))
			if out, err := exec.Command("ffmpeg", args...).CombinedOutput(); err != nil {
				mediaErr = errors.New(f.name + ": " + err.Error() + ": " + string(out))
				return
			}
		}
	})
	if mediaErr == errSkip {
		t.Skip("ffmpeg not installed")
	}
	if mediaErr != nil {
		t.Fatal(mediaErr)
	}
	return filepath.Join(mediaDir, name)
}

var errSkip = errors.New("skip")

func itoa(n int) string {
	b := []byte{}
	if n == 0 {
		return "0"
	}
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}

func TestMain(m *testing.M) {
	code := m.Run()
	if mediaDir != "" {
		os.RemoveAll(mediaDir)
	}
	os.Exit(code)
}

func openFile(t testing.TB, name string, opts Options) *Stream {
	t.Helper()
	f, err := os.Open(media(t, name))
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(context.Background(), f, opts)
	if err != nil {
		f.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// decodeAll reads every frame of s (or max frames) and decodes them to
// stereo float32 at 48 kHz; each frame's Passthrough flag is recorded.
func decodeAll(t testing.TB, s *Stream, max int, each func(i int)) (pcm []float32, passed []bool) {
	t.Helper()
	dec, err := opus.NewDecoder(audio.SampleRate, audio.Channels)
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	buf := make([]byte, audio.MaxOpusFrame)
	out := make([]float32, 2*5760)
	for i := 0; max <= 0 || i < max; i++ {
		if each != nil {
			each(i)
		}
		n, err := s.ReadFrame(buf)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		k, err := dec.DecodeFloat(buf[:n], out)
		if err != nil {
			t.Fatalf("frame %d: decode: %v", i, err)
		}
		if k != audio.FrameSamples {
			t.Fatalf("frame %d: %d samples, want %d", i, k, audio.FrameSamples)
		}
		pcm = append(pcm, out[:2*k]...)
		passed = append(passed, s.Passthrough())
	}
	return pcm, passed
}

// channel extracts one channel of interleaved stereo.
func channel(pcm []float32, c int) []float64 {
	x := make([]float64, len(pcm)/2)
	for i := range x {
		x[i] = float64(pcm[2*i+c])
	}
	return x
}

// goertzel returns the power of x at freq (Hz, 48 kHz rate).
func goertzel(x []float64, freq float64) float64 {
	w := 2 * math.Pi * freq / audio.SampleRate
	c := 2 * math.Cos(w)
	var s1, s2 float64
	for _, v := range x {
		s0 := v + c*s1 - s2
		s2, s1 = s1, s0
	}
	return s1*s1 + s2*s2 - c*s1*s2
}

// dominant scans 50–5000 Hz in 10 Hz steps.
func dominant(x []float64) float64 {
	best, bestP := 0.0, -1.0
	for f := 50.0; f <= 5000; f += 10 {
		if p := goertzel(x, f); p > bestP {
			best, bestP = f, p
		}
	}
	return best
}

func rmsDB(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v * v
	}
	return 10 * math.Log10(s/float64(len(x)))
}

// sineResidualDB fits a·sin+b·cos at freq over x and returns the
// residual (dB relative to the fitted tone's RMS) of each block of n
// samples.
func sineResidualDB(x []float64, freq float64, n int) []float64 {
	w := 2 * math.Pi * freq / audio.SampleRate
	var ss, sc, cc, xs, xc float64
	for i, v := range x {
		si, co := math.Sin(w*float64(i)), math.Cos(w*float64(i))
		ss += si * si
		sc += si * co
		cc += co * co
		xs += v * si
		xc += v * co
	}
	det := ss*cc - sc*sc
	a := (xs*cc - xc*sc) / det
	b := (xc*ss - xs*sc) / det
	sig := (a*a + b*b) / 2
	var res []float64
	for s := 0; s+n <= len(x); s += n {
		var e float64
		for i := s; i < s+n; i++ {
			d := x[i] - a*math.Sin(w*float64(i)) - b*math.Cos(w*float64(i))
			e += d * d
		}
		res = append(res, 10*math.Log10(e/float64(n)/sig))
	}
	return res
}

// wavBytes builds a WAV file in memory (for fuzz seeds and tests that must
// run without ffmpeg).
func wavBytes(tag uint16, channels, rate, bits int, frames int) []byte {
	var b bytes.Buffer
	block := channels * bits / 8
	data := make([]byte, frames*block)
	for i := range data {
		data[i] = byte(i * 7)
	}
	le := binary.LittleEndian
	b.WriteString("RIFF")
	b.Write(le.AppendUint32(nil, uint32(36+len(data))))
	b.WriteString("WAVEfmt ")
	b.Write(le.AppendUint32(nil, 16))
	b.Write(le.AppendUint16(nil, tag))
	b.Write(le.AppendUint16(nil, uint16(channels)))
	b.Write(le.AppendUint32(nil, uint32(rate)))
	b.Write(le.AppendUint32(nil, uint32(rate*block)))
	b.Write(le.AppendUint16(nil, uint16(block)))
	b.Write(le.AppendUint16(nil, uint16(bits)))
	b.WriteString("data")
	b.Write(le.AppendUint32(nil, uint32(len(data))))
	b.Write(data)
	return b.Bytes()
}

// oggBytes builds an Ogg stream of packets, cutting pages every pageBody
// bytes of segment data so packets span pages; granules count samples.
func oggBytes(packets [][]byte, samples []int, pageBody int) []byte {
	var out bytes.Buffer
	var segs []byte
	var body []byte
	seq := uint32(0)
	gran := int64(0)
	cont := false
	flush := func(granule int64, flags byte) {
		h := make([]byte, 27)
		copy(h, "OggS")
		h[5] = flags
		if cont {
			h[5] |= flagContinued
		}
		binary.LittleEndian.PutUint64(h[6:], uint64(granule))
		binary.LittleEndian.PutUint32(h[14:], 0x1234)
		binary.LittleEndian.PutUint32(h[18:], seq)
		h[26] = byte(len(segs))
		crc := oggCRC(oggCRC(oggCRC(0, h), segs), body)
		binary.LittleEndian.PutUint32(h[22:], crc)
		out.Write(h)
		out.Write(segs)
		out.Write(body)
		seq++
		segs, body = nil, nil
		cont = false
	}
	for i, p := range packets {
		rest := p
		for {
			l := min(len(rest), 255)
			segs = append(segs, byte(l))
			body = append(body, rest[:l]...)
			rest = rest[l:]
			if len(segs) == 255 || len(body) >= pageBody {
				if l == 255 || len(rest) > 0 {
					flush(-1, 0)
					cont = true
					continue
				}
			}
			if l < 255 {
				break
			}
		}
		gran += int64(samples[i])
		flags := byte(0)
		if i == 0 {
			flags = flagBOS
		}
		if i < 2 || len(body) >= pageBody || i == len(packets)-1 {
			if i == len(packets)-1 {
				flags |= flagEOS
			}
			flush(gran, flags)
		}
	}
	return out.Bytes()
}

// opusHead is an OpusHead for stereo with the given pre-skip.
func opusHead(preSkip int) []byte {
	h := []byte("OpusHead\x01\x02\x00\x00\x80\xbb\x00\x00\x00\x00\x00")
	binary.LittleEndian.PutUint16(h[10:], uint16(preSkip))
	return h
}

// opusBytes encodes frames of a stereo tone with libopus into Ogg Opus.
func opusBytes(t testing.TB, frames, pageBody int) []byte {
	t.Helper()
	enc, err := opus.NewEncoder(audio.SampleRate, audio.Channels, opus.DefaultEncoderOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	pre, _ := enc.Lookahead()
	pkts := [][]byte{opusHead(pre), []byte("OpusTags\x00\x00\x00\x00\x00\x00\x00\x00")}
	samples := []int{0, 0}
	pcm := make([]float32, frameLen)
	buf := make([]byte, audio.MaxOpusFrame)
	for f := range frames {
		for i := range audio.FrameSamples {
			tt := float64(f*audio.FrameSamples+i) / audio.SampleRate
			pcm[2*i] = float32(toneAmp * math.Sin(2*math.Pi*toneL*tt))
			pcm[2*i+1] = float32(toneAmp * math.Sin(2*math.Pi*toneR*tt))
		}
		n, err := enc.EncodeFloat(pcm, buf)
		if err != nil {
			t.Fatal(err)
		}
		pkts = append(pkts, append([]byte(nil), buf[:n]...))
		samples = append(samples, audio.FrameSamples)
	}
	return oggBytes(pkts, samples, pageBody)
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }

// ebml encodes one element with an 8-byte size.
func ebml(id uint32, body ...[]byte) []byte {
	var b []byte
	switch {
	case id >= 1<<24:
		b = binary.BigEndian.AppendUint32(b, id)
	case id >= 1<<16:
		b = append(b, byte(id>>16), byte(id>>8), byte(id))
	case id >= 1<<8:
		b = append(b, byte(id>>8), byte(id))
	default:
		b = append(b, byte(id))
	}
	n := 0
	for _, p := range body {
		n += len(p)
	}
	b = binary.BigEndian.AppendUint64(b, uint64(n)|1<<56)
	for _, p := range body {
		b = append(b, p...)
	}
	return b
}

// webmBytes builds a WebM file with one Opus track and a SimpleBlock per
// packet of a tone, in clusters of 25 packets, optionally Xiph-laced in
// pairs.
func webmBytes(t testing.TB, frames int, laced bool) []byte {
	ogg := opusBytes(t, frames, 4096)
	o := newOggReader(newInput(bytes.NewReader(ogg)))
	h, _ := o.packet()
	head := append([]byte(nil), h...)
	o.packet()
	var clusters [][]byte
	var blocks [][]byte
	ts := 0
	for i := 0; ; i++ {
		p0, err := o.packet()
		if err != nil {
			break
		}
		p := append([]byte(nil), p0...)
		if i%25 == 0 && i > 0 {
			clusters = append(clusters, ebml(idCluster, append([][]byte{ebml(idTimestamp, []byte{byte(ts >> 8), byte(ts)})}, blocks...)...))
			blocks = nil
			ts = i * 20
		}
		rel := i*20 - ts
		if laced && i%2 == 0 {
			q, err := o.packet()
			if err == nil {
				blk := []byte{0x81, byte(rel >> 8), byte(rel), 0x80 | 0x02, 1}
				n := len(p)
				for ; n >= 255; n -= 255 {
					blk = append(blk, 255)
				}
				blk = append(append(append(blk, byte(n)), p...), q...)
				blocks = append(blocks, ebml(idSimpleBlock, blk))
				i++
				continue
			}
		}
		blocks = append(blocks, ebml(idSimpleBlock, append([]byte{0x81, byte(rel >> 8), byte(rel), 0x80}, p...)))
	}
	clusters = append(clusters, ebml(idCluster, append([][]byte{ebml(idTimestamp, []byte{byte(ts >> 8), byte(ts)})}, blocks...)...))
	track := ebml(idTrackEntry, ebml(idTrackNumber, []byte{1}), ebml(idTrackType, []byte{2}),
		ebml(idCodecID, []byte("A_OPUS")), ebml(idCodecPrivate, head))
	seg := append([][]byte{ebml(idInfo, ebml(idTimeScale, []byte{0x0f, 0x42, 0x40})), ebml(idTracks, track)}, clusters...)
	return append(ebml(idEBML, ebml(0x4282, []byte("webm"))), ebml(idSegment, seg...)...)
}
