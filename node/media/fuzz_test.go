package media

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/audionode/audionode/node/audio"
)

// fuzzStream opens data and plays, seeks and plays again, bounded.
func fuzzStream(t *testing.T, data []byte) {
	s, err := Open(context.Background(), bytes.NewReader(data), DefaultOptions())
	if err != nil {
		return
	}
	defer s.Close()
	buf := make([]byte, audio.MaxOpusFrame)
	for range 200 {
		if _, err := s.ReadFrame(buf); err != nil {
			break
		}
	}
	if err := s.Seek(40 * time.Millisecond); err != nil {
		return
	}
	for range 5 {
		if _, err := s.ReadFrame(buf); err != nil {
			break
		}
	}
}

func FuzzWAV(f *testing.F) {
	f.Add(wavBytes(1, 2, 44100, 16, 100))
	f.Add(wavBytes(1, 1, 8000, 8, 50))
	f.Add(wavBytes(1, 6, 96000, 24, 30))
	f.Add(wavBytes(3, 2, 48000, 32, 30))
	f.Add(wavBytes(3, 2, 48000, 64, 30))
	f.Add(wavBytes(wavExtensible, 2, 48000, 32, 30))
	f.Add(wavBytes(1, 2, 44100, 16, 100)[:50])
	f.Fuzz(fuzzStream)
}

func FuzzOgg(f *testing.F) {
	f.Add(opusBytes(f, 20, 4096))
	f.Add(opusBytes(f, 20, 300))
	f.Add(opusBytes(f, 20, 300)[:2000])
	f.Add(oggBytes([][]byte{opusHead(312), []byte("OpusTags"), make([]byte, 600)}, []int{0, 0, 960}, 100))
	f.Fuzz(fuzzStream)
}

// FuzzOggPackets drives the page and packet layer directly, including a
// bisection seek.
func FuzzOggPackets(f *testing.F) {
	f.Add(opusBytes(f, 10, 500), int64(2000))
	f.Add(oggBytes([][]byte{make([]byte, 70000), {1}}, []int{960, 960}, 1000), int64(0))
	f.Fuzz(func(t *testing.T, data []byte, target int64) {
		o := newOggReader(newInput(bytes.NewReader(data)))
		for range 1000 {
			if _, err := o.packet(); err != nil {
				break
			}
		}
		if _, err := o.seekGranule(target, 0, 0); err != nil {
			return
		}
		for range 10 {
			if _, err := o.packet(); err != nil {
				break
			}
		}
		o.lastGranule()
	})
}

// FuzzThirdParty covers the sniffing and the recover wrappers around the
// FLAC, MP3 and Vorbis libraries. With ffmpeg present, the heads of real
// files seed it too.
func FuzzThirdParty(f *testing.F) {
	f.Add([]byte("fLaC\x00\x00\x00\x22\x10\x00\x10\x00\x00\x00\x00\x00\x00\x00\x0a\xc4\x42\xf0\x00\x00\x00\x00"))
	f.Add([]byte("ID3\x04\x00\x00\x00\x00\x00\x00\xff\xfb\x90\x00"))
	f.Add([]byte("\xff\xfb\x90\x64\x00\x00\x00\x00\x00\x00\x00\x00"))
	f.Add(oggBytes([][]byte{[]byte("\x01vorbis\x00\x00\x00\x00\x02\x44\xac\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xb8\x01"), []byte("\x03vorbis")}, []int{0, 0}, 4096))
	if _, err := exec.LookPath("ffmpeg"); err == nil {
		for _, name := range []string{"s16_44k.flac", "tone.mp3", "tone.ogg"} {
			if b, err := os.ReadFile(media(f, name)); err == nil {
				f.Add(b[:min(len(b), 8192)])
			}
		}
	}
	f.Fuzz(fuzzStream)
}

func FuzzWebM(f *testing.F) {
	f.Add(webmBytes(f, 30, false))
	f.Add(webmBytes(f, 30, true))
	f.Add(webmBytes(f, 30, false)[:300])
	if _, err := exec.LookPath("ffmpeg"); err == nil {
		if b, err := os.ReadFile(media(f, "tone.mka")); err == nil {
			f.Add(b[:min(len(b), 16384)])
		}
	}
	f.Fuzz(fuzzStream)
}
