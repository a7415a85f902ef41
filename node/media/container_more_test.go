package media

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/audionode/audionode/node/audio"
)

// TestHLSFMP4Joined: a live fMP4 stream joined at its second segment
// starts at position 0 and plays the tone.
func TestHLSFMP4Joined(t *testing.T) {
	containerMedia(t, "aac.m4a") // ffmpeg present
	dir := t.TempDir()
	args := []string{"-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
		"aevalsrc=" + toneExpr + ":s=48000:d=" + itoa(toneSecs), "-c:a", "libopus", "-b:a", "160k",
		"-f", "hls", "-hls_segment_type", "fmp4", "-hls_time", "1", "-hls_playlist_type", "vod",
		"-hls_segment_filename", filepath.Join(dir, "seg%d.m4s"), filepath.Join(dir, "index.m3u8")}
	if out, err := exec.Command("ffmpeg", args...).CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	b, err := os.ReadFile(filepath.Join(dir, "init.mp4"))
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; ; i++ {
		seg, err := os.ReadFile(filepath.Join(dir, "seg"+itoa(i)+".m4s"))
		if err != nil {
			break
		}
		b = append(b, seg...)
	}
	s, err := Open(context.Background(), struct{ io.Reader }{bytes.NewReader(b)}, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	pcm, _ := decodeAll(t, s, 10, nil)
	if p := s.Position(); p > 10*audio.FrameDuration+time.Millisecond {
		t.Errorf("position %v after 10 frames of a joined stream", p)
	}
	rest, _ := decodeAll(t, s, 0, nil)
	pcm = append(pcm, rest...)
	if n := len(pcm) / frameLen; n < 50 || n > 2*50+1 {
		t.Errorf("%d frames from the last two segments", n)
	}
	x := channel(pcm[2*4800:2*43200], 0)
	if f := dominant(x); f < toneL-10 || f > toneL+10 {
		t.Errorf("dominant %v Hz", f)
	}
}

// TestTSGarbage: a transport stream joined mid-packet (as a radio
// stream is) resynchronises and yields the same frames after the cut.
func TestTSGarbage(t *testing.T) {
	b, err := os.ReadFile(containerMedia(t, "aac.ts"))
	if err != nil {
		t.Fatal(err)
	}
	clean, err := openTS(newInput(bytes.NewReader(b)))
	if err != nil {
		t.Fatal(err)
	}
	want, wantTS := demuxAll(t, clean)
	junk := append([]byte{0x47, 1, 2, 3, 0x47, 0x47}, b...)
	ts, err := openTS(newInput(struct{ io.Reader }{bytes.NewReader(junk)}))
	if err != nil {
		t.Fatal(err)
	}
	got, gotTS := demuxAll(t, ts)
	if len(got) != len(want) || gotTS[len(gotTS)-1] != wantTS[len(wantTS)-1] {
		t.Fatalf("%d frames ending at %d, want %d ending at %d", len(got), gotTS[len(gotTS)-1], len(want), wantTS[len(wantTS)-1])
	}
	// A lost packet drops only the PES it belonged to.
	cut := append(bytes.Clone(b[:188*40]), b[188*41:]...)
	ts, err = openTS(newInput(bytes.NewReader(cut)))
	if err != nil {
		t.Fatal(err)
	}
	got, _ = demuxAll(t, ts)
	if len(got) >= len(want) || len(got) < len(want)-8 {
		t.Fatalf("%d frames after losing a packet, had %d", len(got), len(want))
	}
}

// TestADTSEstimate: a file too large to index at open estimates its
// length from the first frames and still seeks exactly.
func TestADTSEstimate(t *testing.T) {
	defer func(v int64) { adtsIndexAtOpen = v }(adtsIndexAtOpen)
	adtsIndexAtOpen = 0
	b, err := os.ReadFile(containerMedia(t, "tone.aac"))
	if err != nil {
		t.Fatal(err)
	}
	a, err := openADTS(newInput(bytes.NewReader(b)))
	if err != nil {
		t.Fatal(err)
	}
	exact := int64(len(ffprobePackets(t, containerMedia(t, "tone.aac"))))
	if d := a.total - exact; d < -exact/20 || d > exact/20 {
		t.Errorf("estimated %d frames, file has %d", a.total, exact)
	}
	got, err := a.seek(2 * 44100)
	if err != nil {
		t.Fatal(err)
	}
	if got > 2*44100 || 2*44100-got >= 1024 {
		t.Fatalf("seek to 2 s landed at %d", got)
	}
	if _, ts, err := a.next(); err != nil || ts != got {
		t.Fatalf("next at %d, %v", ts, err)
	}
}
