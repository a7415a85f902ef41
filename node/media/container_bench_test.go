package media

import (
	"bytes"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/audionode/audionode/node/audio"
	"github.com/audionode/audionode/node/dsp"
)

// openDemux opens a container fixture's demuxer directly.
func openDemux(t testing.TB, name string, stream bool) auSource {
	t.Helper()
	b, err := os.ReadFile(containerMedia(t, name))
	if err != nil {
		t.Fatal(err)
	}
	var r io.Reader = bytes.NewReader(b)
	if stream {
		r = struct{ io.Reader }{r}
	}
	in := newInput(r)
	var src auSource
	switch {
	case strings.HasSuffix(name, ".ts"):
		src, err = openTS(in)
	case strings.HasSuffix(name, ".aac"):
		src, err = openADTS(in)
	default:
		src, err = openMP4(in)
	}
	if err != nil {
		t.Fatal(err)
	}
	return src
}

var demuxCases = []struct {
	name   string
	file   string
	stream bool
}{
	{"m4a", "aac.m4a", false},
	{"m4a-moov-at-end", "aac_end.m4a", false},
	{"fmp4", "aac_frag.mp4", false},
	{"fmp4-stream", "aac_frag.mp4", true},
	{"ts", "aac.ts", false},
	{"ts-stream", "aac.ts", true},
	{"adts", "tone.aac", false},
	{"adts-stream", "tone.aac", true},
}

// TestDemuxAllocs: reading an access unit allocates nothing once the
// buffers have grown (fragment tables, PES buffers).
func TestDemuxAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocations differ under the race detector")
	}
	for _, tc := range demuxCases {
		t.Run(tc.name, func(t *testing.T) {
			src := openDemux(t, tc.file, tc.stream)
			for range 30 {
				if _, _, err := src.next(); err != nil {
					t.Fatal(err)
				}
			}
			allocs := testing.AllocsPerRun(80, func() {
				if _, _, err := src.next(); err != nil {
					t.Fatal(err)
				}
			})
			if allocs != 0 {
				t.Errorf("%v allocations per access unit", allocs)
			}
		})
	}
}

// TestContainerAllocs: whole frames from Opus in MP4 allocate nothing.
func TestContainerAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocations differ under the race detector")
	}
	for _, tc := range []struct {
		name   string
		file   string
		stream bool
		volume int
	}{
		{"opus mp4 passthrough", "opus.mp4", false, 100},
		{"opus mp4 transcode", "opus.mp4", false, 50},
		{"opus fmp4 stream passthrough", "opus_frag.mp4", true, 100},
		{"opus fmp4 stream transcode filters", "opus_frag.mp4", true, 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openContainerFile(t, tc.file, tc.stream)
			s.SetVolume(tc.volume)
			if strings.Contains(tc.name, "filters") {
				if err := s.SetFilters(dsp.Filters{Equalizer: []dsp.EqualizerBand{{Band: 3, Gain: 0.2}}}); err != nil {
					t.Fatal(err)
				}
			}
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

// BenchmarkDemux measures demuxing alone, per access unit (1024 samples
// of AAC at 44.1 kHz: 23.2 ms).
func BenchmarkDemux(b *testing.B) {
	for _, tc := range demuxCases {
		if tc.stream {
			continue // a stream cannot rewind for b.Loop
		}
		b.Run(tc.name, func(b *testing.B) {
			src := openDemux(b, tc.file, false)
			first, err := src.seek(0)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := src.next(); err == io.EOF {
					if _, err := src.seek(first); err != nil {
						b.Fatal(err)
					}
				} else if err != nil {
					b.Fatal(err)
				}
			}
			per := b.Elapsed().Seconds() / float64(b.N)
			b.ReportMetric(per*1e6, "µs/packet")
			b.ReportMetric(1024.0/44100/per, "x_realtime")
		})
	}
}

// BenchmarkContainerReadFrame measures whole 20 ms frames from MP4 and TS.
func BenchmarkContainerReadFrame(b *testing.B) {
	for _, tc := range []struct {
		name   string
		file   string
		volume int
	}{
		{"opus-mp4-passthrough", "opus.mp4", 100},
		{"opus-mp4-transcode", "opus.mp4", 50},
		{"mp3-ts", "mp3.ts", 100},
	} {
		b.Run(tc.name, func(b *testing.B) {
			s := openContainerFile(b, tc.file, false)
			s.SetVolume(tc.volume)
			benchReadFrames(b, s)
		})
	}
}
