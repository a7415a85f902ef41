package media

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/audionode/audionode/node/audio"
	"github.com/audionode/audionode/node/dsp"
)

func TestFormats(t *testing.T) {
	tests := []struct {
		name        string
		mono        bool
		tolDB       float64
		passthrough bool
		durTol      time.Duration // decoders that do not trim encoder delay and padding
	}{
		{name: "s16_44k.wav", tolDB: 0.2},
		{name: "f32_48k.wav", tolDB: 0.2},
		{name: "s24_96k.wav", tolDB: 0.2},
		{name: "s32_22k.wav", tolDB: 0.2},
		{name: "u8_48k.wav", tolDB: 0.3},
		{name: "f64_48k.wav", tolDB: 0.2},
		{name: "mono_48k.wav", mono: true, tolDB: 0.2},
		{name: "tone.opus", tolDB: 0.2, passthrough: true},
		{name: "tone60.opus", tolDB: 0.2},
		{name: "s16_44k.flac", tolDB: 0.2},
		{name: "s24_96k.flac", tolDB: 0.2},
		{name: "tone.mp3", tolDB: 0.3, durTol: time.Millisecond},
		{name: "tone_vbr.mp3", tolDB: 0.3, durTol: time.Millisecond},
		// LAME itself loses 0.45 dB on this tone at 22.05 kHz (ffmpeg's decode
		// measures the same −15.46 dBFS).
		{name: "tone_22k.mp3", tolDB: 0.5, durTol: time.Millisecond},
		{name: "tone.ogg", tolDB: 0.3},
		{name: "vorbis.webm", tolDB: 0.3, durTol: audio.FrameDuration},
		{name: "tone.webm", tolDB: 0.2, passthrough: true, durTol: audio.FrameDuration},
		{name: "tone.mka", tolDB: 0.2, passthrough: true, durTol: audio.FrameDuration},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := openFile(t, tc.name, DefaultOptions())
			if d := s.Duration() - toneSecs*time.Second; d < 0 || d > tc.durTol {
				t.Errorf("duration %v, want %ds", s.Duration(), toneSecs)
			}
			pcm, passed := decodeAll(t, s, 0, nil)
			got := time.Duration(len(pcm)/frameLen) * audio.FrameDuration
			// Opus files also carry the pre-skip (under one frame here).
			if got < toneSecs*time.Second || got > toneSecs*time.Second+audio.FrameDuration+tc.durTol {
				t.Errorf("decoded %v of audio, want %ds", got, toneSecs)
			}
			wantR := toneR
			if tc.mono {
				wantR = toneL
			}
			win := pcm[2*24000 : 2*72000] // 0.5 s to 1.5 s
			for c, want := range []float64{toneL, wantR} {
				x := channel(win, c)
				if f := dominant(x); math.Abs(f-want) > 10 {
					t.Errorf("channel %d: dominant %v Hz, want %v", c, f, want)
				}
				if db := rmsDB(x); math.Abs(db-toneRMSdB) > tc.tolDB {
					t.Errorf("channel %d: RMS %.2f dBFS, want %.2f±%.1f", c, db, toneRMSdB, tc.tolDB)
				}
			}
			for i, p := range passed {
				if p != tc.passthrough {
					t.Fatalf("frame %d: passthrough %v, want %v", i, p, tc.passthrough)
				}
			}
		})
	}
}

// TestSeek seeks into a file that is silent until 1 s and checks where the
// tone starts in the output, and the position reported.
func TestSeek(t *testing.T) {
	for _, name := range []string{"step.wav", "step.opus", "step.flac", "step.ogg", "step.mp3", "step_vbr.mp3", "step_22k.mp3", "step.webm", "step_vorbis.webm"} {
		late := 8 * time.Millisecond
		for _, target := range []time.Duration{900 * time.Millisecond, 973 * time.Millisecond} {
			t.Run(name+"/"+target.String(), func(t *testing.T) {
				s := openFile(t, name, DefaultOptions())
				// Play a little first so the seek starts from a warm state.
				decodeAll(t, s, 20, nil)
				if err := s.Seek(target); err != nil {
					t.Fatal(err)
				}
				pos := s.Position()
				if d := pos - target; d > 0 || d < -audio.FrameDuration {
					t.Fatalf("position %v after seek to %v", pos, target)
				}
				pcm, _ := decodeAll(t, s, 20, nil)
				onset := -1
				for i := 0; i < len(pcm); i += 2 {
					if math.Abs(float64(pcm[i])) > 0.05 {
						onset = i / 2
						break
					}
				}
				if onset < 0 {
					t.Fatal("no tone after the seek")
				}
				at := pos + time.Duration(onset)*time.Second/audio.SampleRate
				// The encoder's look-ahead (6.5 ms) delays PCM sources; Opus
				// sources are aligned.
				if d := at - time.Second; d < -2*time.Millisecond || d > late {
					t.Errorf("tone starts at %v of the track, want 1s", at)
				}
			})
		}
	}
}

// TestSeekForgetsOldAudio: after a seek from loud audio into silence, the
// first frames are silent — the encoder's lookahead does not replay what
// played before the seek.
func TestSeekForgetsOldAudio(t *testing.T) {
	for _, tc := range []struct {
		name   string
		volume int
	}{{"step.wav", 100}, {"step.flac", 100}, {"step.mp3", 100}, {"step.ogg", 100}, {"step.opus", 100}, {"step.opus", 50}} {
		t.Run(fmt.Sprintf("%s/volume%d", tc.name, tc.volume), func(t *testing.T) {
			opts := DefaultOptions()
			opts.Volume = tc.volume
			s := openFile(t, tc.name, opts)
			if err := s.Seek(2 * time.Second); err != nil {
				t.Fatal(err)
			}
			if pcm, _ := decodeAll(t, s, 10, nil); rmsDB(channel(pcm[len(pcm)/2:], 0)) < -25 {
				t.Fatalf("no tone at 2 s: %.1f dB", rmsDB(channel(pcm[len(pcm)/2:], 0)))
			}
			if err := s.Seek(300 * time.Millisecond); err != nil {
				t.Fatal(err)
			}
			pcm, _ := decodeAll(t, s, 5, nil)
			peak := 0.0
			for _, v := range pcm {
				peak = max(peak, math.Abs(float64(v)))
			}
			t.Logf("peak after seeking into the silence: %.5f", peak)
			if peak > 0.003 {
				t.Errorf("peak %.5f after seeking into the silence", peak)
			}
		})
	}
}

func TestSeekEnds(t *testing.T) {
	for _, name := range []string{"s16_44k.wav", "tone.opus", "s16_44k.flac", "tone.mp3", "tone.ogg", "tone.mka", "vorbis.webm"} {
		t.Run(name, func(t *testing.T) {
			s := openFile(t, name, DefaultOptions())
			if err := s.Seek(time.Hour); err != nil {
				t.Fatal(err)
			}
			if pcm, _ := decodeAll(t, s, 10, nil); len(pcm) > frameLen {
				t.Errorf("%d frames after seeking past the end", len(pcm)/frameLen)
			}
			if err := s.Seek(-time.Second); err != nil {
				t.Fatal(err)
			}
			if s.Position() != 0 {
				t.Errorf("position %v after seeking before the start", s.Position())
			}
			if pcm, _ := decodeAll(t, s, 0, nil); len(pcm)/frameLen < toneSecs*50 {
				t.Errorf("%d frames after seeking to the start", len(pcm)/frameLen)
			}
		})
	}
}

func TestNotSeekable(t *testing.T) {
	for _, name := range []string{"tone.opus", "tone.webm", "s16_44k.flac", "tone.mp3", "tone.ogg", "s16_44k.wav", "vorbis.webm"} {
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(media(t, name))
			if err != nil {
				t.Fatal(err)
			}
			s, err := Open(context.Background(), struct{ io.Reader }{bytes.NewReader(b)}, DefaultOptions())
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if err := s.Seek(time.Second); !errors.Is(err, audio.ErrNotSeekable) {
				t.Errorf("Seek: %v, want ErrNotSeekable", err)
			}
			if s.Seekable() {
				t.Error("Seekable() on a stream")
			}
			if pcm, _ := decodeAll(t, s, 0, nil); len(pcm)/frameLen < toneSecs*50 {
				t.Errorf("%d frames", len(pcm)/frameLen)
			}
		})
	}
}

// TestPassthroughSwitch switches an Opus source from passthrough to
// transcoding and back mid-track and checks that the decoded output stays
// one continuous tone: a gap, click or time jump at a switch would leave a
// large residual against the fitted sine.
func TestPassthroughSwitch(t *testing.T) {
	s := openFile(t, "tone.opus", DefaultOptions())
	pcm, passed := decodeAll(t, s, 0, func(i int) {
		switch i {
		case 30:
			s.SetVolume(99)
		case 80:
			s.SetVolume(100)
		}
	})
	for i := range 30 {
		if !passed[i] {
			t.Fatalf("frame %d not passed through", i)
		}
	}
	for i := 30; i < 80; i++ {
		if passed[i] {
			t.Fatalf("frame %d passed through at volume 99", i)
		}
	}
	back := -1
	for i := 80; i < len(passed); i++ {
		if passed[i] {
			back = i
			break
		}
	}
	if back < 0 || back > 83 {
		t.Fatalf("passthrough resumed at frame %d, want 80–83", back)
	}
	for i := back; i < len(passed); i++ {
		if !passed[i] {
			t.Fatalf("frame %d not passed through after the switch back", i)
		}
	}
	// Skip the codec's start-up; stop before the end. A time jump would
	// leave the residual high from the switch on; a gap or click shows as
	// a loud block. The handover itself costs a short dip in quality (the
	// receiving decoder's state came from the other encoder), as in
	// lavaplayer.
	const block = 120 // 2.5 ms
	start := 2400
	for c, f := range []float64{toneL, toneR} {
		res := sineResidualDB(channel(pcm[2*start:2*140*audio.FrameSamples], c), f, block)
		for i, db := range res {
			at := time.Duration(start+i*block) * time.Second / audio.SampleRate
			nearSwitch := (at >= 590*time.Millisecond && at < 700*time.Millisecond) ||
				(at >= 1590*time.Millisecond && at < 1700*time.Millisecond)
			limit := -25.0
			if nearSwitch {
				limit = -8
			}
			if db > limit {
				t.Errorf("channel %d: residual %.1f dB at %v (limit %v)", c, db, at, limit)
			}
		}
	}
}

func TestVolumeAndFilters(t *testing.T) {
	for _, name := range []string{"tone.opus", "f32_48k.wav"} {
		t.Run(name, func(t *testing.T) {
			opts := DefaultOptions()
			opts.Volume = 50
			s := openFile(t, name, opts)
			pcm, passed := decodeAll(t, s, 60, nil)
			if passed[len(passed)-1] {
				t.Error("passthrough at volume 50")
			}
			want := toneRMSdB + 20*math.Log10(float64(dsp.VolumeMultiplier(50)))
			x := channel(pcm[2*24000:2*48000], 0)
			if db := rmsDB(x); math.Abs(db-want) > 0.3 {
				t.Errorf("RMS %.2f dB at volume 50, want %.2f", db, want)
			}
			if err := s.SetFilters(dsp.Filters{Timescale: &dsp.Timescale{Speed: 0, Pitch: 1, Rate: 1}}); !errors.Is(err, dsp.ErrInvalidFilter) {
				t.Errorf("SetFilters(bad): %v", err)
			}
			// Karaoke at level 1 cancels the centre; our channels differ, so
			// a strong low-pass is the measurable filter here.
			if err := s.SetFilters(dsp.Filters{LowPass: &dsp.LowPass{Smoothing: 100}}); err != nil {
				t.Fatal(err)
			}
			pcm, _ = decodeAll(t, s, 30, nil)
			x = channel(pcm[2*9600:], 1)
			if db := rmsDB(x); db > want-20 {
				t.Errorf("RMS %.2f dB of 1 kHz under low-pass 100, want < %.2f", db, want-20)
			}
		})
	}
}

// TestStartVolume checks that a track opened at volume 0 is silent from
// its first frame (no ramp down from 100).
func TestStartVolume(t *testing.T) {
	opts := DefaultOptions()
	opts.Volume = 0
	s := openFile(t, "f32_48k.wav", opts)
	pcm, _ := decodeAll(t, s, 3, nil)
	if db := rmsDB(channel(pcm, 0)); db > -60 {
		t.Errorf("first frames at volume 0: %.1f dBFS", db)
	}
}

func TestOpen(t *testing.T) {
	// Valid headers built in Go, so these run without ffmpeg.
	head := opusHead(312)
	surround := append([]byte(nil), head...)
	surround[9], surround[18] = 6, 1
	badCRC := oggBytes([][]byte{head, []byte("OpusTags\x00\x00\x00\x00\x00\x00\x00\x00")}, []int{0, 0}, 4096)
	badCRC[len(badCRC)-1] ^= 1
	wav12 := wavBytes(1, 2, 48000, 12, 10)
	tests := []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, ErrUnknownFormat},
		{"text", []byte("hello world, this is not audio at all"), ErrUnknownFormat},
		{"riff only", []byte("RIFF\x00\x00\x00\x00WAVE"), ErrMalformed},
		{"wav 12-bit", wav12, ErrUnsupported},
		{"wav 0 channels", wavBytes(1, 0, 48000, 16, 0), ErrMalformed},
		{"wav alaw", wavBytes(6, 1, 8000, 8, 10), ErrUnsupported},
		{"wav huge rate", wavBytes(1, 2, 4000000, 16, 10), ErrUnsupported},
		{"ogg surround", oggBytes([][]byte{surround, []byte("OpusTags")}, []int{0, 0}, 4096), ErrUnsupported},
		{"ogg vorbis garbage", oggBytes([][]byte{[]byte("\x01vorbis\x00\x00\x00\x00\x02\x44\xac\x00\x00"), []byte("x")}, []int{0, 0}, 4096), ErrMalformed},
		{"ogg speex", oggBytes([][]byte{[]byte("Speex   1.2rc1\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"), []byte("x")}, []int{0, 0}, 4096), ErrUnsupported},
		{"flac garbage", []byte("fLaC\x00\x00\x00\x22garbage garbage garbage garbage garbage"), ErrMalformed},
		{"mp3 garbage", []byte("ID3\x04\x00\x00\x00\x00\x00\x10garbage garbage"), ErrMalformed},
		{"ogg bad crc", badCRC, ErrMalformed},
		{"ogg truncated", opusBytes(t, 3, 4096)[:60], ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := &closeCounter{Reader: bytes.NewReader(tc.data)}
			s, err := Open(context.Background(), r, DefaultOptions())
			if err == nil {
				s.Close()
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("Open: %v, want %v", err, tc.want)
			}
			if r.closed != 0 {
				t.Error("Open closed the reader it failed on")
			}
		})
	}
}

// TestOggPackets checks the demuxer against packets that span pages,
// fill whole pages and end exactly on a 255-byte lacing boundary.
func TestOggPackets(t *testing.T) {
	var pkts [][]byte
	var samples []int
	for i, n := range []int{19, 16, 100, 255, 510, 0, 70000, 1, 65025, 300} {
		p := make([]byte, n)
		for j := range p {
			p[j] = byte(i + j)
		}
		pkts = append(pkts, p)
		samples = append(samples, 960)
	}
	for _, pageBody := range []int{1, 700, 4096, 1 << 20} {
		data := oggBytes(pkts, samples, pageBody)
		o := newOggReader(newInput(bytes.NewReader(data)))
		for i, want := range pkts {
			got, err := o.packet()
			if err != nil {
				t.Fatalf("page body %d: packet %d: %v", pageBody, i, err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("page body %d: packet %d: %d bytes, want %d", pageBody, i, len(got), len(want))
			}
		}
		if _, err := o.packet(); err != io.EOF {
			t.Fatalf("page body %d: after the last packet: %v", pageBody, err)
		}
	}
}

// TestOggSeekGenerated seeks in an Ogg Opus file built here with pages of
// odd sizes, so packets span pages.
func TestOggSeekGenerated(t *testing.T) {
	data := opusBytes(t, 400, 700) // 8 s
	s, err := Open(context.Background(), bytes.NewReader(data), DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if d := s.Duration(); d < 7980*time.Millisecond || d > 8*time.Second {
		t.Errorf("duration %v", d)
	}
	for _, target := range []time.Duration{5 * time.Second, 1234 * time.Millisecond, 7 * time.Second, 10 * time.Millisecond} {
		if err := s.Seek(target); err != nil {
			t.Fatal(err)
		}
		pos := s.Position()
		if d := pos - target; d > 0 || d < -audio.FrameDuration {
			t.Errorf("position %v after seek to %v", pos, target)
		}
		pcm, _ := decodeAll(t, s, 10, nil)
		x := channel(pcm[2*960:], 0)
		if f := dominant(x); math.Abs(f-toneL) > 10 {
			t.Errorf("after seek to %v: dominant %v Hz", target, f)
		}
	}
}

// TestWebMGenerated plays WebM built here, laced and not, with no cues
// (seeking scans clusters from the first).
func TestWebMGenerated(t *testing.T) {
	for _, laced := range []bool{false, true} {
		data := webmBytes(t, 150, laced)
		s, err := Open(context.Background(), bytes.NewReader(data), DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		pcm, passed := decodeAll(t, s, 0, nil)
		if len(pcm)/frameLen != 150 || !passed[0] {
			t.Errorf("laced %v: %d frames, passthrough %v", laced, len(pcm)/frameLen, passed[0])
		}
		if err := s.Seek(2 * time.Second); err != nil {
			t.Fatal(err)
		}
		if d := s.Position() - 2*time.Second; d > 0 || d < -audio.FrameDuration {
			t.Errorf("laced %v: position %v after seek to 2s", laced, s.Position())
		}
		pcm, _ = decodeAll(t, s, 0, nil)
		if n := len(pcm) / frameLen; n < 49 || n > 51 {
			t.Errorf("laced %v: %d frames after seek to 2s of 3s", laced, n)
		}
		if f := dominant(channel(pcm[2*960:], 1)); math.Abs(f-toneR) > 10 {
			t.Errorf("laced %v: dominant %v Hz after the seek", laced, f)
		}
	}
}

// TestOggDamage flips a byte in the middle of an Ogg Opus file: the
// damaged page is skipped and playback goes on, seekable or not.
func TestOggDamage(t *testing.T) {
	data := opusBytes(t, 250, 4096) // 5 s, pages of ~10 packets
	data[len(data)/2] ^= 0x55
	for _, seekable := range []bool{true, false} {
		var r io.Reader = bytes.NewReader(data)
		if !seekable {
			r = struct{ io.Reader }{r}
		}
		s, err := Open(context.Background(), r, DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		pcm, _ := decodeAll(t, s, 0, nil)
		s.Close()
		if n := len(pcm) / frameLen; n < 200 || n >= 250 {
			t.Errorf("seekable %v: %d frames of 250 after damage", seekable, n)
		}
		if s.pkts.(*oggOpus).o.resyncs != 1 {
			t.Errorf("seekable %v: %d resyncs", seekable, s.pkts.(*oggOpus).o.resyncs)
		}
	}
}

func TestAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocations differ under the race detector")
	}
	eq := dsp.Filters{Equalizer: []dsp.EqualizerBand{{Band: 3, Gain: 0.2}}, Timescale: &dsp.Timescale{Speed: 1.2, Pitch: 1, Rate: 1}}
	tests := []struct {
		name    string
		file    string
		volume  int
		filters dsp.Filters
	}{
		{"wav 44.1k resampled", "s16_44k.wav", 100, dsp.Filters{}},
		{"wav 48k filters", "f32_48k.wav", 100, eq},
		{"opus passthrough", "tone.opus", 100, dsp.Filters{}},
		{"opus transcode", "tone.opus", 50, dsp.Filters{}},
		{"opus 60 ms filters", "tone60.opus", 100, eq},
		{"webm passthrough", "tone.mka", 100, dsp.Filters{}},
		{"webm transcode", "tone.webm", 50, dsp.Filters{}},
		{"flac 44.1k", "s16_44k.flac", 100, dsp.Filters{}},
		{"flac 96k 24-bit", "s24_96k.flac", 100, dsp.Filters{}},
		{"mp3 44.1k", "tone.mp3", 100, dsp.Filters{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := DefaultOptions()
			opts.Volume = tc.volume
			opts.Filters = tc.filters
			s := openFile(t, tc.file, opts)
			buf := make([]byte, audio.MaxOpusFrame)
			for range 10 {
				if _, err := s.ReadFrame(buf); err != nil {
					t.Fatal(err)
				}
			}
			allocs := testing.AllocsPerRun(50, func() {
				if _, err := s.ReadFrame(buf); err != nil {
					t.Fatal(err)
				}
			})
			if allocs != 0 {
				t.Errorf("%v allocations per frame", allocs)
			}
		})
	}
}

func TestCloseOwnsReader(t *testing.T) {
	r := &closeCounter{Reader: bytes.NewReader(wavBytes(1, 2, 48000, 16, 4800))}
	s, err := Open(context.Background(), r, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	s.Close()
	if r.closed != 1 {
		t.Errorf("reader closed %d times, want 1", r.closed)
	}
}

func TestClose(t *testing.T) {
	s := openFile(t, "tone.opus", DefaultOptions())
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := s.ReadFrame(make([]byte, audio.MaxOpusFrame)); !errors.Is(err, ErrClosed) {
		t.Errorf("ReadFrame after Close: %v", err)
	}
}

// TestConcurrentControl changes volume and filters and reads the position
// from another goroutine while frames are read (run with -race).
func TestConcurrentControl(t *testing.T) {
	s := openFile(t, "tone.opus", DefaultOptions())
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-done:
				return
			default:
			}
			s.SetVolume(50 + i%100)
			if i%7 == 0 {
				_ = s.SetFilters(dsp.Filters{LowPass: &dsp.LowPass{Smoothing: float64(2 + i%30)}})
			}
			_ = s.Position()
			_ = s.Passthrough()
			time.Sleep(time.Millisecond)
		}
	}()
	pcm, _ := decodeAll(t, s, 0, nil)
	close(done)
	wg.Wait()
	if n := len(pcm) / frameLen; n < 150 {
		t.Errorf("%d frames", n)
	}
}

type closeCounter struct {
	*bytes.Reader
	closed int
}

func (c *closeCounter) Close() error { c.closed++; return nil }
