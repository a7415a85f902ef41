package media

import (
	"math"
	"testing"
	"time"

	"github.com/audionode/audionode/node/audio"
)

// TestAACContainers plays the AAC tone from every container: dominant
// frequencies, level, and (gapless) length.
func TestAACContainers(t *testing.T) {
	tests := []struct {
		name   string
		stream bool
		durTol time.Duration // decoded length over the source length
	}{
		{name: "aac.m4a"},     // edit list: exact length
		{name: "aac_end.m4a"}, // moov at the end, edit list
		{name: "aac_frag.mp4", durTol: 3 * audio.FrameDuration},
		{name: "aac_frag.mp4", stream: true, durTol: 3 * audio.FrameDuration},
		{name: "aac.ts", durTol: 3 * audio.FrameDuration},
		{name: "aac.ts", stream: true, durTol: 3 * audio.FrameDuration},
		{name: "tone.aac", durTol: 3 * audio.FrameDuration},
		{name: "tone.aac", stream: true, durTol: 3 * audio.FrameDuration},
	}
	for _, tc := range tests {
		t.Run(tc.name+map[bool]string{true: "/stream"}[tc.stream], func(t *testing.T) {
			s := openContainerFile(t, tc.name, tc.stream)
			pcm, _ := decodeAll(t, s, 0, nil)
			got := time.Duration(len(pcm)/frameLen) * audio.FrameDuration
			if got < toneSecs*time.Second || got > toneSecs*time.Second+audio.FrameDuration+tc.durTol {
				t.Errorf("decoded %v of audio, want %ds", got, toneSecs)
			}
			win := pcm[2*24000 : 2*72000]
			for c, want := range []float64{toneL, toneR} {
				x := channel(win, c)
				if f := dominant(x); math.Abs(f-want) > 10 {
					t.Errorf("channel %d: dominant %v Hz, want %v", c, f, want)
				}
				if db := rmsDB(x); math.Abs(db-toneRMSdB) > 0.3 {
					t.Errorf("channel %d: RMS %.2f dBFS, want %.2f±0.3", c, db, toneRMSdB)
				}
			}
		})
	}
}

// TestAACSeek: seeks land within a frame and the tone starts on time
// (m4a: gapless by the edit list; TS and ADTS keep the 1024-frame
// priming, 23 ms late).
func TestAACSeek(t *testing.T) {
	for _, tc := range []struct {
		name string
		late time.Duration
	}{
		{"step_aac.m4a", 8 * time.Millisecond},
		{"step_aac_frag.mp4", 30 * time.Millisecond},
		{"step_aac.ts", 30 * time.Millisecond},
		{"step.aac", 30 * time.Millisecond},
	} {
		checkStepSeek(t, tc.name, tc.late)
	}
}

// TestAACAllocs: whole 20 ms frames of AAC (demux, decode, resample,
// encode) allocate nothing once running.
func TestAACAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocations differ under the race detector")
	}
	for _, name := range []string{"aac.m4a", "aac_frag.mp4", "aac.ts", "tone.aac"} {
		t.Run(name, func(t *testing.T) {
			s := openContainerFile(t, name, false)
			buf := make([]byte, audio.MaxOpusFrame)
			for range 10 {
				if _, err := s.ReadFrame(buf); err != nil {
					t.Fatal(err)
				}
			}
			if allocs := testing.AllocsPerRun(50, func() {
				if _, err := s.ReadFrame(buf); err != nil {
					t.Fatal(err)
				}
			}); allocs != 0 {
				t.Errorf("%v allocations per frame", allocs)
			}
		})
	}
}

// BenchmarkAACReadFrame measures whole 20 ms frames of AAC per container.
func BenchmarkAACReadFrame(b *testing.B) {
	for _, name := range []string{"aac.m4a", "aac.ts", "tone.aac"} {
		b.Run(name, func(b *testing.B) {
			s := openContainerFile(b, name, false)
			benchReadFrames(b, s)
		})
	}
}
