package media

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/audionode/audionode/node/audio"
)

// TestVorbisAllocs demands that the whole Vorbis path (Ogg demux,
// decode, downmix, resample, Opus encode) allocates nothing per 20 ms
// frame once playing: node/media/vorbis sizes every buffer at setup.
func TestVorbisAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocations differ under the race detector")
	}
	s := openFile(t, "tone.ogg", DefaultOptions())
	buf := make([]byte, audio.MaxOpusFrame)
	for range 10 {
		if _, err := s.ReadFrame(buf); err != nil {
			t.Fatal(err)
		}
	}
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := s.ReadFrame(buf); err != nil {
			t.Fatal(err)
		}
	})
	t.Logf("%.2f allocations per 20 ms frame", allocs)
	if allocs != 0 {
		t.Errorf("%v allocations per frame, want 0", allocs)
	}
}

// chainedOgg concatenates two Ogg files made by ffmpeg: the first with the
// standard tone, the second with 660 Hz on every channel (mono when
// mono2), as an Icecast source sends one logical stream per song.
func chainedOgg(t *testing.T, codec string, mono2 bool) []byte {
	t.Helper()
	dir := filepath.Dir(media(t, "tone.ogg"))
	var out []byte
	for i, expr := range []string{toneExpr, "0.25118864*sin(2*PI*660*t)|0.25118864*sin(2*PI*660*t)"} {
		p := filepath.Join(dir, "chain"+itoa(i)+codec+".ogg")
		args := []string{"-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "aevalsrc=" + expr + ":s=48000:d=1"}
		if codec == "vorbis" {
			args = append(args, "-c:a", "libvorbis", "-q:a", "5")
		} else {
			args = append(args, "-c:a", "libopus", "-b:a", "128k")
		}
		if i == 1 && mono2 {
			args = append(args, "-ac", "1")
		}
		if b, err := exec.Command("ffmpeg", append(args, "-map_metadata", "-1", p)...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %s", err, b)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b...)
	}
	return out
}

// TestOggChained plays two chained links through a stream (not
// seekable) and checks that the second link's audio follows the first.
func TestOggChained(t *testing.T) {
	for _, tc := range []struct {
		codec string
		mono2 bool
	}{{"vorbis", false}, {"vorbis", true}, {"opus", false}, {"opus", true}} {
		t.Run(tc.codec+map[bool]string{false: "", true: "-mono"}[tc.mono2], func(t *testing.T) {
			data := chainedOgg(t, tc.codec, tc.mono2)
			s, err := Open(context.Background(), struct{ io.Reader }{bytes.NewReader(data)}, DefaultOptions())
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			pcm, _ := decodeAll(t, s, 0, nil)
			frames := len(pcm) / frameLen
			if frames < 99 || frames > 102 {
				t.Errorf("%d frames, want 100", frames)
			}
			if f := dominant(channel(pcm[2*12000:2*36000], 1)); f != toneR {
				t.Errorf("first link: right channel at %v Hz", f)
			}
			for c := range 2 {
				if f := dominant(channel(pcm[2*60000:2*84000], c)); f != 660 {
					t.Errorf("second link: channel %d at %v Hz", c, f)
				}
			}
			if tc.codec == "vorbis" && s.pcm.(*vorbisDecoder).links != 1 {
				t.Errorf("%d links after the first", s.pcm.(*vorbisDecoder).links)
			}
		})
	}
}

// vorbisPCM reads n stereo frames (fewer at the end) from d.
func vorbisPCM(t *testing.T, d *vorbisDecoder, n int) []float32 {
	t.Helper()
	out := make([]float32, 2*n)
	k := 0
	for k < len(out) {
		m, err := d.read(out[k:])
		k += m
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return out[:k]
}

// TestVorbisSeekExact seeks a 20 s file (pages bisected) to single
// samples and compares what follows with a decode from the start: the
// samples must be the same, since a Vorbis packet depends only on the one
// before it.
func TestVorbisSeekExact(t *testing.T) {
	p := filepath.Join(filepath.Dir(media(t, "tone.ogg")), "long.ogg")
	if b, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
		"aevalsrc="+noiseExpr(2)+":s=44100:d=20", "-c:a", "libvorbis", "-q:a", "4", p).CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d, err := openVorbis(newInput(f))
	if err != nil {
		t.Fatal(err)
	}
	if d.frames() != 20*44100 {
		t.Errorf("%d frames, want %d", d.frames(), 20*44100)
	}
	all := vorbisPCM(t, d, 21*44100)
	if len(all) != 2*20*44100 {
		t.Errorf("decoded %d frames, want %d", len(all)/2, 20*44100)
	}
	// ffmpeg's own decoder agrees to float rounding, sample for sample.
	ref, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-i", p, "-f", "f32le", "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	if len(ref)/4 != len(all) {
		t.Errorf("ffmpeg decodes %d frames, we %d", len(ref)/8, len(all)/2)
	}
	var worst float64
	for i := range min(len(all), len(ref)/4) {
		v := math.Float32frombits(binary.LittleEndian.Uint32(ref[4*i:]))
		worst = max(worst, math.Abs(float64(v-all[i])))
	}
	if worst > 1e-4 {
		t.Errorf("differs from ffmpeg by up to %g", worst)
	}
	for _, target := range []int64{441000, 0, 1, 1000, 44100*7 + 13, 44100 * 19, 20*44100 - 5, 20 * 44100} {
		got, err := d.seek(target)
		if err != nil || got != target {
			t.Fatalf("seek %d: %d, %v", target, got, err)
		}
		pcm := vorbisPCM(t, d, 4096)
		want := all[2*target:]
		want = want[:min(len(want), len(pcm))]
		if len(pcm) != min(2*4096, len(all)-2*int(target)) {
			t.Fatalf("after seek to %d: %d frames", target, len(pcm)/2)
		}
		for i := range want {
			if pcm[i] != want[i] {
				t.Fatalf("after seek to %d: sample %d is %v, want %v", target, i, pcm[i], want[i])
			}
		}
	}
}

// FuzzVorbis plays Ogg Vorbis bytes through a stream, seeking once.
func FuzzVorbis(f *testing.F) {
	if _, err := exec.LookPath("ffmpeg"); err == nil {
		for _, name := range []string{"tone.ogg", "step.ogg"} {
			if b, err := os.ReadFile(media(f, name)); err == nil {
				f.Add(b[:min(len(b), 16000)])
			}
		}
	}
	if b, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
		"aevalsrc="+toneExpr+":s=48000:d=1", "-c:a", "libvorbis", "-f", "webm", "-").Output(); err == nil {
		f.Add(b[:min(len(b), 16000)])
	}
	f.Add(oggBytes([][]byte{[]byte("\x01vorbis\x00\x00\x00\x00\x02\x44\xac\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xb8\x01"), []byte("\x03vorbis"), []byte("\x05vorbis")}, []int{0, 0, 0}, 4096))
	f.Fuzz(fuzzStream)
}

// TestWebMVorbis plays A_VORBIS from WebM and Matroska files made by
// ffmpeg (headers Xiph-laced in CodecPrivate) and seeks by cues: after a
// seek the samples equal a decode from the start.
func TestWebMVorbis(t *testing.T) {
	for _, name := range []string{"vorbis.webm", "vorbis.mka"} {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(filepath.Dir(media(t, "tone.ogg")), name)
			if b, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
				"aevalsrc="+toneExpr+":s=48000:d=12", "-c:a", "libvorbis", "-q:a", "4", "-map_metadata", "-1", p).CombinedOutput(); err != nil {
				t.Fatalf("%v: %s", err, b)
			}
			s := openFile(t, name, DefaultOptions())
			if d := s.Duration() - 12*time.Second; d < -audio.FrameDuration || d > audio.FrameDuration {
				t.Errorf("duration %v", s.Duration())
			}
			pcm, _ := decodeAll(t, s, 0, nil)
			if n := len(pcm) / frameLen; n < 599 || n > 602 {
				t.Errorf("%d frames, want 600", n)
			}
			for c, want := range []float64{toneL, toneR} {
				x := channel(pcm[2*48000:2*96000], c)
				if f := dominant(x); f != want {
					t.Errorf("channel %d at %v Hz", c, f)
				}
				if db := rmsDB(x); math.Abs(db-toneRMSdB) > 0.3 {
					t.Errorf("channel %d: %.2f dBFS", c, db)
				}
			}
			// After a seek the samples are those of a decode from the start,
			// shifted by at most the timestamps' millisecond rounding.
			f, err := os.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			m, err := openWebM(newInput(f))
			if err != nil {
				t.Fatal(err)
			}
			d, err := openMkvVorbis(m)
			if err != nil {
				t.Fatal(err)
			}
			all := vorbisPCM(t, d, 13*48000)
			for _, target := range []int64{48000 * 7, 12345, 48000*11 + 77, 0} {
				if _, err := d.seek(target); err != nil {
					t.Fatal(err)
				}
				got := vorbisPCM(t, d, 2048)
				shift := -1
				for sh := -48; sh <= 48 && shift < 0; sh++ {
					ok := true
					for i := 0; i < len(got) && ok; i++ {
						j := 2*(int(target)+sh) + i
						ok = j >= 0 && j < len(all) && all[j] == got[i]
					}
					if ok {
						shift = sh + 48
					}
				}
				if shift < 0 {
					t.Errorf("after seek to %d: output is not the audio within 1 ms of the target", target)
				}
			}
		})
	}
}
