package media

import (
	"bytes"
	"context"
	"errors"
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

// TestMkvAAC: an A_AAC Matroska track demuxes to ffprobe's packets
// (timestamps to the millisecond the container stores) and, with an AAC
// decoder built in, plays the tone.
func TestMkvAAC(t *testing.T) {
	containerMedia(t, "aac.m4a") // ffmpeg present
	path := filepath.Join(t.TempDir(), "aac.mka")
	if out, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
		"aevalsrc="+toneExpr+":s=44100:d="+itoa(toneSecs), "-c:a", "aac", "-map_metadata", "-1", path).CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := openWebM(newInput(bytes.NewReader(b)))
	if err != nil {
		t.Fatal(err)
	}
	if rate, _, ok := ascRate(m.aacPriv); !ok || rate != 44100 {
		t.Fatalf("A_AAC config %x", m.aacPriv)
	}
	src := &mkvAU{m: m, step: 1024 * 48000 / 44100}
	want := ffprobePackets(t, path)
	sizes, ts := demuxAll(t, src)
	if len(sizes) != len(want) {
		t.Fatalf("%d packets, ffprobe has %d", len(sizes), len(want))
	}
	for i, w := range want {
		if d := float64(ts[i])/48000 - w.dts; sizes[i] != w.size || d > 0.001 || d < -0.001 {
			t.Fatalf("packet %d: %d B at %.4f s, ffprobe %d B at %.4f s", i, sizes[i], float64(ts[i])/48000, w.size, w.dts)
		}
	}
	s, err := Open(context.Background(), bytes.NewReader(b), DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	pcm, _ := decodeAll(t, s, 0, nil)
	if got := time.Duration(len(pcm)/frameLen) * audio.FrameDuration; got < toneSecs*time.Second || got > toneSecs*time.Second+3*audio.FrameDuration {
		t.Errorf("decoded %v", got)
	}
	x := channel(pcm[2*24000:2*72000], 1)
	if f := dominant(x); f < toneR-10 || f > toneR+10 {
		t.Errorf("right channel dominant %v Hz", f)
	}
	if err := s.Seek(1500 * time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if p := s.Position(); p > 1500*time.Millisecond || p < 1480*time.Millisecond {
		t.Errorf("position %v after seeking to 1.5 s", p)
	}
}

// TestTSBadCRC: a PMT whose CRC does not match is not believed.
func TestTSBadCRC(t *testing.T) {
	b, err := os.ReadFile(containerMedia(t, "aac.ts"))
	if err != nil {
		t.Fatal(err)
	}
	b = bytes.Clone(b)
	for off := 0; off+tsPacketLen <= len(b); off += tsPacketLen {
		if p := b[off : off+tsPacketLen]; int(p[1]&0x1F)<<8|int(p[2]) == 0x1000 {
			p[5+8] ^= 0x01 // the PCR PID, under the CRC
		}
	}
	if _, err := openTS(newInput(bytes.NewReader(b))); !errors.Is(err, ErrMalformed) {
		t.Fatalf("%v, want ErrMalformed (no PMT believed)", err)
	}
}
