package media

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/audionode/audionode/node/audio"
)

// BenchmarkReadFrame measures one 20 ms frame through the whole pipeline
// (read, demux, decode, resample, chain, encode; or passthrough).
func BenchmarkReadFrame(b *testing.B) {
	tests := []struct {
		name   string
		file   string
		volume int
	}{
		{"wav-44k-resample-encode", "s16_44k.wav", 100},
		{"wav-48k-encode", "f32_48k.wav", 100},
		{"opus-passthrough", "tone.opus", 100},
		{"opus-transcode", "tone.opus", 50},
		{"flac-44k", "s16_44k.flac", 100},
		{"mp3-44k", "tone.mp3", 100},
		{"vorbis-44k", "tone.ogg", 100},
	}
	for _, tc := range tests {
		b.Run(tc.name, func(b *testing.B) {
			opts := DefaultOptions()
			opts.Volume = tc.volume
			s := openFile(b, tc.file, opts)
			benchReadFrames(b, s)
		})
	}
}

// BenchmarkPassthroughLong measures passthrough on a 60 s Ogg Opus file
// so that the seek back to the start is not part of the figure.
func BenchmarkPassthroughLong(b *testing.B) {
	data := opusBytes(b, 3000, 4096)
	s, err := Open(context.Background(), bytes.NewReader(data), DefaultOptions())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	buf := make([]byte, audio.MaxOpusFrame)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.ReadFrame(buf); err == io.EOF {
			if err := s.Seek(0); err != nil {
				b.Fatal(err)
			}
		} else if err != nil {
			b.Fatal(err)
		}
	}
	perFrame := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(perFrame*1e6, "µs/frame")
}

// BenchmarkOggDemux measures the Ogg packet layer alone (per 20 ms packet).
func BenchmarkOggDemux(b *testing.B) {
	data := opusBytes(b, 500, 4096)
	o := newOggReader(newInput(bytesReader(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := o.packet(); err != nil {
			o = newOggReader(newInput(bytesReader(data)))
		}
	}
}

// BenchmarkDecode measures the decoders alone: 20 ms of native-rate PCM
// per op, no resampling or encoding.
func BenchmarkDecode(b *testing.B) {
	for _, name := range []string{"s16_44k.wav", "s16_44k.flac", "tone.mp3", "tone.ogg"} {
		b.Run(name, func(b *testing.B) {
			s := openFile(b, name, DefaultOptions())
			d := s.pcm
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

// benchReadFrames reads whole 20 ms frames from s in a loop (seeking back
// to the start at the end) and reports µs per frame and ×realtime.
func benchReadFrames(b *testing.B, s *Stream) {
	buf := make([]byte, audio.MaxOpusFrame)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.ReadFrame(buf); err == io.EOF {
			if err := s.Seek(0); err != nil {
				b.Fatal(err)
			}
		} else if err != nil {
			b.Fatal(err)
		}
	}
	reportPerFrame(b)
}

// reportPerFrame reports µs per loop iteration and ×realtime, one
// iteration being a 20 ms frame.
func reportPerFrame(b *testing.B) {
	per := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(per*1e6, "µs/frame")
	b.ReportMetric(audio.FrameDuration.Seconds()/per, "x_realtime")
}
