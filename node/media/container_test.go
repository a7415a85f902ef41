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
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/audionode/audionode/node/audio"
)

// Container fixtures: the standard tone in each container, made by ffmpeg.
var containerFixtures = []fixture{
	{"aac.m4a", []string{"-c:a", "aac", "-movflags", "+faststart"}, toneExpr, 44100},
	{"aac_end.m4a", []string{"-c:a", "aac"}, toneExpr, 44100},
	{"aac_frag.mp4", []string{"-c:a", "aac", "-movflags", "frag_keyframe+empty_moov+default_base_moof", "-frag_duration", "500000"}, toneExpr, 44100},
	{"aac_sidx.mp4", []string{"-c:a", "aac", "-movflags", "frag_keyframe+empty_moov+default_base_moof+global_sidx", "-frag_duration", "500000"}, toneExpr, 44100},
	{"opus.mp4", []string{"-c:a", "libopus", "-b:a", "160k", "-f", "mp4"}, toneExpr, 48000},
	{"opus_frag.mp4", []string{"-c:a", "libopus", "-b:a", "160k", "-f", "mp4", "-movflags", "frag_keyframe+empty_moov+default_base_moof", "-frag_duration", "500000"}, toneExpr, 48000},
	{"mp3.mp4", []string{"-c:a", "libmp3lame", "-b:a", "192k", "-f", "mp4"}, toneExpr, 44100},
	{"aac.ts", []string{"-c:a", "aac", "-f", "mpegts"}, toneExpr, 44100},
	{"mp3.ts", []string{"-c:a", "libmp3lame", "-b:a", "192k", "-f", "mpegts"}, toneExpr, 44100},
	{"tone.aac", []string{"-c:a", "aac", "-f", "adts"}, toneExpr, 44100},
	{"step_opus.mp4", []string{"-c:a", "libopus", "-b:a", "160k", "-f", "mp4"}, stepExpr, 48000},
	{"step_opus_frag.mp4", []string{"-c:a", "libopus", "-b:a", "160k", "-f", "mp4", "-movflags", "frag_keyframe+empty_moov+default_base_moof", "-frag_duration", "300000"}, stepExpr, 48000},
	{"step_mp3.ts", []string{"-c:a", "libmp3lame", "-b:a", "192k", "-f", "mpegts"}, stepExpr, 44100},
	{"step_mp3.mp4", []string{"-c:a", "libmp3lame", "-b:a", "192k", "-f", "mp4"}, stepExpr, 44100},
	{"step_aac.m4a", []string{"-c:a", "aac", "-movflags", "+faststart"}, stepExpr, 44100},
	{"step_aac_frag.mp4", []string{"-c:a", "aac", "-movflags", "frag_keyframe+empty_moov+default_base_moof", "-frag_duration", "300000"}, stepExpr, 44100},
	{"step_aac.ts", []string{"-c:a", "aac", "-f", "mpegts"}, stepExpr, 44100},
	{"step.aac", []string{"-c:a", "aac", "-f", "adts"}, stepExpr, 44100},
}

var (
	contOnce sync.Once
	contErr  error
)

// containerMedia returns the path of a generated container fixture.
func containerMedia(t testing.TB, name string) string {
	t.Helper()
	dir := filepath.Dir(media(t, "s16_44k.wav"))
	contOnce.Do(func() {
		for _, f := range containerFixtures {
			args := []string{"-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
				"aevalsrc=" + f.expr + ":s=" + itoa(f.rate) + ":d=" + itoa(toneSecs)}
			args = append(args, f.args...)
			args = append(args, "-map_metadata", "-1", filepath.Join(dir, f.name))
			if out, err := exec.Command("ffmpeg", args...).CombinedOutput(); err != nil {
				contErr = errors.New(f.name + ": " + err.Error() + ": " + string(out))
				return
			}
		}
	})
	if contErr != nil {
		t.Fatal(contErr)
	}
	return filepath.Join(dir, name)
}

type probePacket struct {
	dts  float64 // seconds
	size int
}

// ffprobePackets lists the first audio stream's packets.
func ffprobePackets(t testing.TB, path string) []probePacket {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "a:0", "-show_packets",
		"-show_entries", "packet=dts_time,size", "-of", "csv=p=0", path).Output()
	if err != nil {
		t.Fatal(err)
	}
	var ps []probePacket
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Split(line, ",")
		if len(f) < 2 {
			continue
		}
		d, err1 := strconv.ParseFloat(f[0], 64)
		n, err2 := strconv.Atoi(f[1])
		if err1 != nil || err2 != nil {
			continue
		}
		ps = append(ps, probePacket{d, n})
	}
	return ps
}

// demuxAll reads every access unit of src.
func demuxAll(t testing.TB, src auSource) (sizes []int, ts []int64) {
	t.Helper()
	for {
		au, pts, err := src.next()
		if err != nil {
			if err.Error() != "EOF" {
				t.Fatal(err)
			}
			return
		}
		sizes = append(sizes, len(au))
		ts = append(ts, pts)
	}
}

// checkPackets compares demuxed units with ffprobe's; shift is subtracted
// from our timestamps (ffprobe shows MP4 times after the edit list).
func checkPackets(t *testing.T, path string, src auSource, shift int64, hdr int) {
	t.Helper()
	want := ffprobePackets(t, path)
	sizes, ts := demuxAll(t, src)
	if len(sizes) != len(want) {
		t.Fatalf("%d packets, ffprobe has %d", len(sizes), len(want))
	}
	scale := float64(src.timescale())
	for i, w := range want {
		if sizes[i]+hdr != w.size {
			t.Fatalf("packet %d: %d bytes, ffprobe %d", i, sizes[i], w.size)
		}
		if d := float64(ts[i]-shift)/scale - w.dts; d > 1e-4 || d < -1e-4 {
			t.Fatalf("packet %d: at %.6f s, ffprobe %.6f s", i, float64(ts[i]-shift)/scale, w.dts)
		}
	}
}

func openMP4File(t *testing.T, name string, stream bool) *mp4 {
	t.Helper()
	b, err := os.ReadFile(containerMedia(t, name))
	if err != nil {
		t.Fatal(err)
	}
	var in *input
	if stream {
		in = newInput(struct{ *bytes.Reader }{bytes.NewReader(b)})
	} else {
		in = newInput(bytes.NewReader(b))
	}
	m, err := openMP4(in)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestMP4Packets(t *testing.T) {
	for _, tc := range []struct {
		name   string
		stream bool
		codec  int
	}{
		{"aac.m4a", false, codecAAC},
		{"aac.m4a", true, codecAAC},
		{"aac_end.m4a", false, codecAAC},
		{"aac_frag.mp4", false, codecAAC},
		{"aac_frag.mp4", true, codecAAC},
		{"aac_sidx.mp4", false, codecAAC},
		{"opus.mp4", false, codecOpus},
		{"opus_frag.mp4", true, codecOpus},
		{"mp3.mp4", false, codecMP3},
	} {
		t.Run(tc.name+map[bool]string{true: "/stream"}[tc.stream], func(t *testing.T) {
			m := openMP4File(t, tc.name, tc.stream)
			if m.t.info.codec != tc.codec {
				t.Fatalf("codec %d, want %d", m.t.info.codec, tc.codec)
			}
			checkPackets(t, containerMedia(t, tc.name), m, m.t.editStart, 0)
		})
	}
}

func openContainerFile(t testing.TB, name string, stream bool) *Stream {
	t.Helper()
	f, err := os.Open(containerMedia(t, name))
	if err != nil {
		t.Fatal(err)
	}
	var r io.Reader = f
	if stream {
		r = struct{ io.ReadCloser }{f}
	}
	s, err := Open(context.Background(), r, DefaultOptions())
	if err != nil {
		f.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestContainerFormats plays the tone from each container end to end:
// duration, decoded length, dominant frequencies, level, passthrough.
func TestContainerFormats(t *testing.T) {
	tests := []struct {
		name        string
		stream      bool
		tolDB       float64
		passthrough bool
		durTol      time.Duration
		noDuration  bool
	}{
		{name: "opus.mp4", tolDB: 0.2, passthrough: true},
		{name: "opus_frag.mp4", tolDB: 0.2, passthrough: true, durTol: audio.FrameDuration},
		{name: "opus_frag.mp4", stream: true, tolDB: 0.2, passthrough: true, noDuration: true, durTol: audio.FrameDuration},
		{name: "mp3.mp4", tolDB: 0.3, durTol: 2 * audio.FrameDuration},
		{name: "mp3.ts", tolDB: 0.3, durTol: 3 * audio.FrameDuration},
		{name: "mp3.ts", stream: true, tolDB: 0.3, durTol: 3 * audio.FrameDuration, noDuration: true},
	}
	for _, tc := range tests {
		t.Run(tc.name+map[bool]string{true: "/stream"}[tc.stream], func(t *testing.T) {
			s := openContainerFile(t, tc.name, tc.stream)
			if tc.noDuration {
				if s.Duration() != -1 {
					t.Errorf("stream duration %v, want -1", s.Duration())
				}
			} else if d := s.Duration() - toneSecs*time.Second; d < 0 || d > tc.durTol {
				t.Errorf("duration %v, want %ds", s.Duration(), toneSecs)
			}
			pcm, passed := decodeAll(t, s, 0, nil)
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

// TestMP4MoovAtEndStream: without seeking, moov after mdat cannot be read.
func TestMP4MoovAtEndStream(t *testing.T) {
	f, err := os.Open(containerMedia(t, "aac_end.m4a"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	_, err = Open(context.Background(), struct{ io.Reader }{f}, DefaultOptions())
	if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "faststart") {
		t.Fatalf("err %v, want ErrUnsupported naming faststart", err)
	}
}

func TestADTSPackets(t *testing.T) {
	b, err := os.ReadFile(containerMedia(t, "tone.aac"))
	if err != nil {
		t.Fatal(err)
	}
	// Garbage in front must be skipped, as on a joined radio stream.
	junk := append([]byte{0xFF, 0xF1, 0x00, 0x12, 0xFF, 0x47}, b...)
	for _, tc := range []struct {
		name string
		r    io.Reader
	}{
		{"file", bytes.NewReader(b)},
		{"stream", struct{ io.Reader }{bytes.NewReader(b)}},
		{"garbage", struct{ io.Reader }{bytes.NewReader(junk)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := openADTS(newInput(tc.r))
			if err != nil {
				t.Fatal(err)
			}
			if tc.name == "file" {
				want := int64(len(ffprobePackets(t, containerMedia(t, "tone.aac"))))
				if a.total != want {
					t.Fatalf("%d frames indexed, ffprobe has %d", a.total, want)
				}
			}
			checkPackets(t, containerMedia(t, "tone.aac"), a, 0, 7)
		})
	}
}

func TestADTSSeek(t *testing.T) {
	b, err := os.ReadFile(containerMedia(t, "tone.aac"))
	if err != nil {
		t.Fatal(err)
	}
	a, err := openADTS(newInput(bytes.NewReader(b)))
	if err != nil {
		t.Fatal(err)
	}
	_, all := demuxAll(t, a)
	for _, ts := range []int64{0, 1023, 1024, 44100, 100000, all[len(all)-1]} {
		got, err := a.seek(ts)
		if err != nil {
			t.Fatal(err)
		}
		if got > ts || ts-got >= 1024 {
			t.Fatalf("seek %d landed at %d", ts, got)
		}
		_, pts, err := a.next()
		if err != nil || pts != got {
			t.Fatalf("after seek %d: next at %d, %v", ts, pts, err)
		}
	}
}

func TestTSPackets(t *testing.T) {
	for _, tc := range []struct {
		name   string
		stream bool
		codec  int
		hdr    int
	}{
		{"aac.ts", false, codecAAC, 7},
		{"aac.ts", true, codecAAC, 7},
		{"mp3.ts", false, codecMP3, 0},
	} {
		t.Run(tc.name+map[bool]string{true: "/stream"}[tc.stream], func(t *testing.T) {
			b, err := os.ReadFile(containerMedia(t, tc.name))
			if err != nil {
				t.Fatal(err)
			}
			var r io.Reader = bytes.NewReader(b)
			if tc.stream {
				r = struct{ io.Reader }{r}
			}
			ts, err := openTS(newInput(r))
			if err != nil {
				t.Fatal(err)
			}
			if ts.codec != tc.codec {
				t.Fatalf("codec %d, want %d", ts.codec, tc.codec)
			}
			checkPackets(t, containerMedia(t, tc.name), ts, -ts.pts0, tc.hdr)
		})
	}
}

// TestContainerSeek seeks into files silent until 1 s (as TestSeek).
func TestContainerSeek(t *testing.T) {
	for _, name := range []string{"step_opus.mp4", "step_opus_frag.mp4", "step_mp3.ts", "step_mp3.mp4"} {
		late := 8 * time.Millisecond
		if strings.Contains(name, "mp3") {
			late = 30 * time.Millisecond // no gapless info: the encoder delay stays in
		}
		checkStepSeek(t, name, late)
	}
}

// checkStepSeek seeks a step file (silent until 1 s) before and into the
// frame the tone starts in: the position lands within a frame before the
// target, and the tone starts at 1 s of the track (late by at most late).
func checkStepSeek(t *testing.T, name string, late time.Duration) {
	for _, target := range []time.Duration{900 * time.Millisecond, 973 * time.Millisecond} {
		t.Run(name+"/"+target.String(), func(t *testing.T) {
			s := openContainerFile(t, name, false)
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
			if d := at - time.Second; d < -2*time.Millisecond || d > late {
				t.Errorf("tone starts at %v of the track, want 1s", at)
			}
		})
	}
}

func TestContainerSeekEnds(t *testing.T) {
	for _, name := range []string{"opus.mp4", "opus_frag.mp4", "mp3.ts", "mp3.mp4"} {
		t.Run(name, func(t *testing.T) {
			s := openContainerFile(t, name, false)
			if err := s.Seek(time.Hour); err != nil {
				t.Fatal(err)
			}
			if pcm, _ := decodeAll(t, s, 10, nil); len(pcm) > 2*frameLen {
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

func TestContainerNotSeekable(t *testing.T) {
	for _, name := range []string{"opus_frag.mp4", "mp3.ts"} {
		t.Run(name, func(t *testing.T) {
			s := openContainerFile(t, name, true)
			if err := s.Seek(time.Second); !errors.Is(err, audio.ErrNotSeekable) {
				t.Errorf("Seek: %v, want ErrNotSeekable", err)
			}
		})
	}
}

// TestDemuxSeek seeks each demuxer (AAC tracks too) and checks that the
// next unit holds the target.
func TestDemuxSeek(t *testing.T) {
	for _, name := range []string{"aac.m4a", "aac_end.m4a", "aac_frag.mp4", "aac_sidx.mp4", "opus_frag.mp4", "aac.ts", "mp3.ts", "tone.aac"} {
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(containerMedia(t, name))
			if err != nil {
				t.Fatal(err)
			}
			in := newInput(bytes.NewReader(b))
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
			if m, ok := src.(*mp4); ok && strings.Contains(name, "sidx") && len(m.sidx) != 6 {
				t.Fatalf("%d sidx references, want 6", len(m.sidx))
			}
			sizes, all := demuxAll(t, src)
			sc := src.timescale()
			for _, sec := range []float64{0, 0.5, 1.2345, 2.9, 0.49, 2.01} {
				ts := all[0] + int64(sec*float64(sc))
				got, err := src.seek(ts)
				if err != nil {
					t.Fatal(err)
				}
				au, pts, err := src.next()
				if err != nil || pts != got {
					t.Fatalf("seek %v s: landed at %d, next at %d, %v", sec, got, pts, err)
				}
				i := sort.Search(len(all), func(i int) bool { return all[i] > ts }) - 1
				if i < 0 {
					i = 0
				}
				if pts != all[i] || len(au) != sizes[i] {
					t.Fatalf("seek %v s (ts %d): unit at %d (%d B), want unit %d at %d (%d B)", sec, ts, pts, len(au), i, all[i], sizes[i])
				}
			}
		})
	}
}

// hlsFMP4 makes an HLS fMP4 rendition with ffmpeg and returns its init
// segment followed by its media segments, as a player receives them.
func hlsFMP4(t *testing.T, codec ...string) []byte {
	t.Helper()
	containerMedia(t, "aac.m4a") // ffmpeg present
	dir := t.TempDir()
	args := []string{"-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
		"aevalsrc=" + toneExpr + ":s=48000:d=" + itoa(toneSecs)}
	args = append(args, codec...)
	args = append(args, "-f", "hls", "-hls_segment_type", "fmp4", "-hls_time", "1", "-hls_playlist_type", "vod",
		"-hls_segment_filename", filepath.Join(dir, "seg%d.m4s"), filepath.Join(dir, "index.m3u8"))
	if out, err := exec.Command("ffmpeg", args...).CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	all, err := os.ReadFile(filepath.Join(dir, "init.mp4"))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		b, err := os.ReadFile(filepath.Join(dir, "seg"+itoa(i)+".m4s"))
		if err != nil {
			if i < 2 {
				t.Fatalf("%d segments", i)
			}
			break
		}
		all = append(all, b...)
	}
	return all
}

// TestHLSFMP4 plays init + media segments as one stream.
func TestHLSFMP4(t *testing.T) {
	t.Run("aac packets", func(t *testing.T) {
		b := hlsFMP4(t, "-c:a", "aac")
		path := filepath.Join(t.TempDir(), "joined.mp4")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		m, err := openMP4(newInput(struct{ io.Reader }{bytes.NewReader(b)}))
		if err != nil {
			t.Fatal(err)
		}
		checkPackets(t, path, m, m.t.editStart, 0)
	})
	t.Run("opus play", func(t *testing.T) {
		b := hlsFMP4(t, "-c:a", "libopus", "-b:a", "160k")
		s, err := Open(context.Background(), struct{ io.Reader }{bytes.NewReader(b)}, DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		pcm, passed := decodeAll(t, s, 0, nil)
		got := time.Duration(len(pcm)/frameLen) * audio.FrameDuration
		if got < toneSecs*time.Second || got > toneSecs*time.Second+2*audio.FrameDuration {
			t.Errorf("decoded %v, want %ds", got, toneSecs)
		}
		win := pcm[2*24000 : 2*72000]
		for c, want := range []float64{toneL, toneR} {
			x := channel(win, c)
			if f := dominant(x); math.Abs(f-want) > 10 {
				t.Errorf("channel %d: dominant %v Hz, want %v", c, f, want)
			}
			if db := rmsDB(x); math.Abs(db-toneRMSdB) > 0.2 {
				t.Errorf("channel %d: RMS %.2f dBFS", c, db)
			}
		}
		if !passed[len(passed)/2] {
			t.Error("Opus from HLS fMP4 not passed through")
		}
	})
}

// TestM4AEditList: the edit list names the AAC priming (1024 frames)
// and the exact source length, which auPCM trims to (gapless).
func TestM4AEditList(t *testing.T) {
	for _, name := range []string{"aac.m4a", "aac_end.m4a"} {
		t.Run(name, func(t *testing.T) {
			m := openDemux(t, name, false).(*mp4)
			if m.t.editStart != 1024 {
				t.Errorf("priming %d, want 1024", m.t.editStart)
			}
			if n := m.end() - m.t.editStart; n != toneSecs*44100 {
				t.Errorf("%d frames after the priming, want %d", n, toneSecs*44100)
			}
			info := m.t.info
			info.skip = m.t.editStart
			p := newAUPCM(m, &rampDecoder{}, info, m.end(), 1024)
			if p.frames() != toneSecs*44100 {
				t.Errorf("auPCM length %d", p.frames())
			}
		})
	}
}

// TestContainerSniff: ADTS is not taken for MP3, a stray 0x47 is not TS.
func TestContainerSniff(t *testing.T) {
	adts := []byte{0xFF, 0xF1, 0x50, 0x80, 0x01, 0x1F, 0xFC}
	if isMP3Sync(adts) || !isADTSSync(adts) || !isContainer(adts) {
		t.Error("ADTS header sniffed wrong")
	}
	mp3 := []byte{0xFF, 0xFB, 0x90, 0x64}
	if isADTSSync(mp3) {
		t.Error("MP3 header taken for ADTS")
	}
	_, err := Open(context.Background(), bytes.NewReader([]byte("G is not a transport stream, only text.")), DefaultOptions())
	if !errors.Is(err, ErrUnknownFormat) {
		t.Errorf("text starting with G: %v, want ErrUnknownFormat", err)
	}
	for _, name := range []string{"aac.ts", "tone.aac", "aac.m4a"} {
		b, err := os.ReadFile(containerMedia(t, name))
		if err != nil {
			t.Fatal(err)
		}
		s, err := Open(context.Background(), bytes.NewReader(b), DefaultOptions())
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		s.Close()
	}
}

// TestTSUnsupported: a transport stream with only LATM audio is refused
// by name.
func TestTSUnsupported(t *testing.T) {
	b, err := os.ReadFile(containerMedia(t, "aac.ts"))
	if err != nil {
		t.Fatal(err)
	}
	b = bytes.Clone(b)
	// Rewrite the PMT's stream type 0x0F to 0x11 (LATM).
	for off := 0; off+tsPacketLen <= len(b); off += tsPacketLen {
		p := b[off : off+tsPacketLen]
		if pid := int(p[1]&0x1F)<<8 | int(p[2]); pid == 0x1000 {
			s := p[5:]
			i := 12 + (int(s[10]&0x0F)<<8 | int(s[11]))
			if s[i] != 0x0F {
				t.Fatalf("stream type 0x%02x", s[i])
			}
			s[i] = 0x11
			n := 3 + (int(s[1]&0x0F)<<8 | int(s[2]))
			binary.BigEndian.PutUint32(s[n-4:], oggCRC(0xFFFFFFFF, s[:n-4]))
		}
	}
	_, err = openTS(newInput(bytes.NewReader(b)))
	if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "0x11") {
		t.Fatalf("%v, want ErrUnsupported naming 0x11", err)
	}
}
