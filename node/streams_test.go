package node

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/audionode/audionode/node/audio"
	"github.com/audionode/audionode/node/lavalink"
	"github.com/audionode/audionode/node/opus"
	"github.com/audionode/audionode/node/settings"
	"github.com/audionode/audionode/node/source"
	"github.com/audionode/audionode/node/voicetest"
)

// The standard tone at −12 dBFS: 440 Hz left, 1000 Hz right.
const toneExpr = "0.2512*sin(2*PI*440*t)|0.2512*sin(2*PI*1000*t)"

// stepExpr changes frequency every second (400, 500, … Hz) on both
// channels, so where playback is in the track can be heard.
const stepExpr = "0.2512*sin(2*PI*(400+100*floor(t))*t)|0.2512*sin(2*PI*(400+100*floor(t))*t)"

func ffmpeg(t testing.TB, args ...string) {
	t.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg not installed")
	}
	out, err := exec.Command("ffmpeg", append([]string{"-hide_banner", "-loglevel", "error", "-y"}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg %v: %v\n%s", args, err, out)
	}
}

// mp3Tone writes d of expr as a 128 kbit/s CBR MP3 without tags, as a
// radio stream sends it.
func mp3Tone(t testing.TB, expr string, d time.Duration) []byte {
	p := filepath.Join(t.TempDir(), "tone.mp3")
	ffmpeg(t, "-f", "lavfi", "-i", fmt.Sprintf("aevalsrc=%s:s=44100:d=%g", expr, d.Seconds()),
		"-c:a", "libmp3lame", "-b:a", "128k", "-write_xing", "0", "-id3v2_version", "0", p)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// hlsSegments cuts 8 s of stepExpr into 1 s packed-audio MP3 segments
// (each starting with ffmpeg's ID3 tag) and returns the directory and its
// VOD playlist.
func hlsSegments(t testing.TB) (dir string, playlist string) {
	dir = t.TempDir()
	ffmpeg(t, "-f", "lavfi", "-i", fmt.Sprintf("aevalsrc=%s:s=44100:d=8", stepExpr),
		"-c:a", "libmp3lame", "-b:a", "128k", "-f", "segment", "-segment_time", "1", "-segment_format", "mp3",
		"-segment_format_options", "write_xing=0", "-segment_list", filepath.Join(dir, "vod.m3u8"),
		"-segment_list_type", "m3u8", filepath.Join(dir, "seg%03d.mp3"))
	b, err := os.ReadFile(filepath.Join(dir, "vod.m3u8"))
	if err != nil {
		t.Fatal(err)
	}
	return dir, string(b)
}

func streamLoader(t *testing.T) (*source.Loader, *mediaOpener) {
	t.Helper()
	l, err := source.New(source.Config{HTTP: true, AllowPrivate: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l, newMediaOpener(l, settings.Default())
}

// playAll opens link at pos and returns every Opus frame until the end
// (or max frames).
func playAll(t *testing.T, o *mediaOpener, link string, pos time.Duration, max int) [][]byte {
	t.Helper()
	s, err := o.Open(context.Background(), lavalink.Track{Info: lavalink.TrackInfo{SourceName: "http", Identifier: link}}, pos)
	if err != nil {
		t.Fatalf("open %s: %v", link, err)
	}
	defer s.Close()
	return readFrames(t, s, max)
}

func readFrames(t *testing.T, s audio.TrackStream, max int) [][]byte {
	t.Helper()
	var out [][]byte
	buf := make([]byte, audio.MaxOpusFrame)
	for len(out) < max {
		n, err := s.ReadFrame(buf)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("frame %d: %v", len(out), err)
		}
		out = append(out, bytes.Clone(buf[:n]))
	}
	return out
}

// decodePCM decodes Opus frames to interleaved stereo float32 at 48 kHz.
func decodePCM(t *testing.T, frames [][]byte) []float32 {
	t.Helper()
	d, err := opus.NewDecoder(audio.SampleRate, audio.Channels)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	pcm := make([]float32, 0, len(frames)*audio.FrameSamples*2)
	buf := make([]float32, 5760*2)
	for _, f := range frames {
		n, err := d.DecodeFloat(f, buf)
		if err != nil {
			t.Fatal(err)
		}
		pcm = append(pcm, buf[:2*n]...)
	}
	return pcm
}

func chan0(pcm []float32, c int) []float64 {
	out := make([]float64, len(pcm)/2)
	for i := range out {
		out[i] = float64(pcm[2*i+c])
	}
	return out
}

func goertzelPower(x []float64, f float64) float64 {
	w := 2 * math.Pi * f / audio.SampleRate
	c := 2 * math.Cos(w)
	var s1, s2 float64
	for _, v := range x {
		s1, s2 = v+c*s1-s2, s1
	}
	return s1*s1 + s2*s2 - c*s1*s2
}

// dominantHz is the strongest frequency of x between 100 and 4000 Hz, in
// 5 Hz steps.
func dominantHz(x []float64) float64 {
	best, bestP := 0.0, -1.0
	for f := 100.0; f <= 4000; f += 5 {
		if p := goertzelPower(x, f); p > bestP {
			best, bestP = f, p
		}
	}
	return best
}

func rmsDBFS(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v * v
	}
	return 10 * math.Log10(s/float64(len(x)))
}

// checkTone checks the standard tone on both channels, after skipping the
// first 100 ms (decoder start-up).
func checkTone(t *testing.T, pcm []float32) {
	t.Helper()
	for c, want := range []float64{440, 1000} {
		x := chan0(pcm, c)[4800:]
		if f := dominantHz(x); math.Abs(f-want) > 5 {
			t.Errorf("channel %d: %v Hz, want %v", c, f, want)
		}
		// A −12 dBFS sine has an RMS of −15 dBFS; LAME's 128 kbit/s
		// encoding of this tone measures −15.46 (ffmpeg and our decoder
		// agree), and Opus adds a little.
		if l := rmsDBFS(x); math.Abs(l+15.0) > 0.65 {
			t.Errorf("channel %d: %.2f dBFS RMS, want −15", c, l)
		}
	}
	// No dropout anywhere: every 20 ms stays near the tone's level.
	x := chan0(pcm, 1)
	for i := 4800; i+960 <= len(x)-4800; i += 960 { // the encoder's tail fades
		if l := rmsDBFS(x[i : i+960]); math.Abs(l+15) > 1 {
			t.Fatalf("level %.1f dBFS at %v", l, time.Duration(i)*time.Second/audio.SampleRate)
		}
	}
}

// stepAt finds when (seconds into pcm) the step signal moves from f to
// f+100 Hz, to the millisecond: the first 10 ms window where f+100
// dominates after one where f did.
func stepAt(t *testing.T, pcm []float32, f float64) float64 {
	t.Helper()
	x := chan0(pcm, 0)
	const win = 480
	inF := false
	for i := 0; i+win <= len(x); i += 48 {
		w := x[i : i+win]
		pf, pn, pp := goertzelPower(w, f), goertzelPower(w, f+100), goertzelPower(w, f-100)
		switch {
		case pf > pn && pf > pp:
			inF = true
		case inF && pn > pf:
			return float64(i+win/2) / audio.SampleRate
		}
	}
	t.Fatalf("no step from %v Hz", f)
	return 0
}

// An Icecast server that interleaves changing titles every 8 KiB plays
// exactly like the same MP3 without metadata: the Opus frames are equal.
func TestICYPlaybackMatchesCleanStream(t *testing.T) {
	clean := mp3Tone(t, toneExpr, 6*time.Second)
	mux := http.NewServeMux()
	live := func(w http.ResponseWriter, body []byte) {
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush() // chunked: a stream of unknown length
		w.Write(body)
	}
	mux.HandleFunc("/clean", func(w http.ResponseWriter, r *http.Request) { live(w, clean) })
	mux.HandleFunc("/icy", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Icy-MetaData") != "1" {
			t.Error("no Icy-MetaData: 1 in the request")
		}
		w.Header().Set("icy-metaint", "8192")
		w.Header().Set("icy-name", "Test FM")
		live(w, icyInterleave(clean, 8192))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	_, o := streamLoader(t)
	want := playAll(t, o, srv.URL+"/clean", 0, 1000)
	if len(want) < 290 {
		t.Fatalf("clean stream: %d frames", len(want))
	}
	checkTone(t, decodePCM(t, want))
	for name, link := range map[string]string{
		"icecast":      srv.URL + "/icy",
		"icy scheme":   "icy://" + strings.TrimPrefix(srv.URL, "http://") + "/icy",
		"shoutcast v1": shoutcastV1(t, clean),
	} {
		t.Run(name, func(t *testing.T) {
			got := playAll(t, o, link, 0, 1000)
			if len(got) != len(want) {
				t.Fatalf("%d frames, want %d", len(got), len(want))
			}
			for i := range got {
				if !bytes.Equal(got[i], want[i]) {
					t.Fatalf("frame %d differs from the clean stream", i)
				}
			}
		})
	}
}

// icyInterleave puts a metadata block with a new title after every
// metaInt bytes (every fourth block is empty, as servers send between
// changes).
func icyInterleave(audio []byte, metaInt int) []byte {
	var b bytes.Buffer
	for i := 0; len(audio) > 0; i++ {
		n := min(metaInt, len(audio))
		b.Write(audio[:n])
		audio = audio[n:]
		if n < metaInt {
			break
		}
		if i%4 == 3 {
			b.WriteByte(0)
			continue
		}
		m := []byte(fmt.Sprintf("StreamTitle='Artist %d - Song ''%d''';StreamUrl='http://x/%d';", i, i, i))
		m = append(m, make([]byte, (16-len(m)%16)%16)...)
		b.WriteByte(byte(len(m) / 16))
		b.Write(m)
	}
	return b.Bytes()
}

// shoutcastV1 answers with "ICY 200 OK", which net/http alone rejects.
func shoutcastV1(t *testing.T, body []byte) string {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		defer c.Close()
		buf.WriteString("ICY 200 OK\r\nicy-name:Old FM\r\ncontent-type:audio/mpeg\r\nicy-metaint:8192\r\n\r\n")
		buf.Write(icyInterleave(body, 8192))
		buf.Flush()
	})
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.URL + "/;"
}

// A PLS or M3U radio link plays its first playable stream.
func TestRadioPlaylistPlayback(t *testing.T) {
	clean := mp3Tone(t, toneExpr, 3*time.Second)
	var base string
	mux := http.NewServeMux()
	mux.HandleFunc("/radio", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("icy-metaint", "8192")
		w.(http.Flusher).Flush()
		w.Write(icyInterleave(clean, 8192))
	})
	mux.HandleFunc("/listen.pls", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "audio/x-scpls")
		fmt.Fprintf(w, "[playlist]\nNumberOfEntries=2\nFile1=%[1]s/down\nTitle1=Mirror 1\nFile2=%[1]s/radio\nTitle2=Mirror 2\n", base)
	})
	mux.HandleFunc("/listen.m3u", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "#EXTM3U\n#EXTINF:-1,Radio\n%[1]s/listen.pls\n", base)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	base = srv.URL
	l, o := streamLoader(t)
	for _, p := range []string{"/listen.pls", "/listen.m3u"} {
		t.Run(p, func(t *testing.T) {
			frames := playAll(t, o, srv.URL+p, 0, 1000)
			if len(frames) < 140 {
				t.Fatalf("%d frames", len(frames))
			}
			checkTone(t, decodePCM(t, frames))
			// Loading agrees: the list refers to the stream it plays.
			r := l.Load(context.Background(), srv.URL+p)
			if r.LoadType != lavalink.LoadTypeTrack || r.Track.Info.Identifier != srv.URL+"/radio" || !r.Track.Info.IsStream || r.Track.Info.Title != "Mirror 2" {
				t.Fatalf("load %+v", r)
			}
		})
	}
}

// hlsServer serves the segment directory, the VOD playlist, and variants
// built from it.
func hlsServer(t *testing.T, dir, vod string) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("/", http.FileServer(http.Dir(dir)))
	mux.HandleFunc("/master.m3u8", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "#EXTM3U\n"+
			"#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"a\",NAME=\"main\",DEFAULT=YES,URI=\"vod.m3u8\"\n"+
			"#EXT-X-STREAM-INF:BANDWIDTH=3000000,CODECS=\"avc1.64001f,mp4a.40.2\",RESOLUTION=1280x720,AUDIO=\"a\"\nvideo-hi.m3u8\n"+
			"#EXT-X-STREAM-INF:BANDWIDTH=900000,CODECS=\"avc1.64001f,mp4a.40.2\",RESOLUTION=640x360,AUDIO=\"a\"\nvideo-lo.m3u8\n")
	})
	return httptest.NewServer(mux)
}

// HLS VOD: the track has the playlist's length, plays whole, and a seek
// lands within a frame of where linear playback is at the same time.
func TestHLSVODPlaybackAndSeek(t *testing.T) {
	dir, vod := hlsSegments(t)
	srv := hlsServer(t, dir, vod)
	defer srv.Close()
	l, o := streamLoader(t)
	for _, p := range []string{"/vod.m3u8", "/master.m3u8"} {
		r := l.Load(context.Background(), srv.URL+p)
		if r.LoadType != lavalink.LoadTypeTrack || r.Track.Info.IsStream || !r.Track.Info.IsSeekable || math.Abs(float64(r.Track.Info.Length)-8000) > 30 {
			t.Fatalf("load %s: %+v", p, r.Track)
		}
	}
	linear := playAll(t, o, srv.URL+"/vod.m3u8", 0, 1000)
	// 5→6 s happens at the same track time whether playback started at 0,
	// opened at 5.5 s, or sought to 5.5 s.
	want := checkStepTrack(t, o, srv.URL+"/vod.m3u8", linear, 20*time.Millisecond)
	// The master playlist plays its audio rendition: the same bytes.
	if m := playAll(t, o, srv.URL+"/master.m3u8", 0, 1000); len(m) != len(linear) || !bytes.Equal(m[100], linear[100]) {
		t.Errorf("master: %d frames", len(m))
	}
	s, err := o.Open(context.Background(), lavalink.Track{Info: lavalink.TrackInfo{SourceName: "http", Identifier: srv.URL + "/vod.m3u8"}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	readFrames(t, s, 50)
	if err := s.Seek(5500 * time.Millisecond); err != nil {
		t.Fatal(err)
	}
	got := stepAt(t, decodePCM(t, readFrames(t, s, 1000)), 900) + 5.5
	t.Logf("5→6 s step after a seek to 5.5 s: %.3f s", got)
	if math.Abs(got-want) > 0.020 {
		t.Errorf("sought to 5.5 s: step at %.3f s, linear %.3f s", got, want)
	}
	if err := s.Seek(3 * time.Second); err != nil {
		t.Fatal(err)
	}
	if f := dominantHz(chan0(decodePCM(t, readFrames(t, s, 20)), 0)[9600:]); f != 700 {
		t.Errorf("after a second seek to 3 s: %v Hz", f)
	}
}

// HLS live: a playlist that gains one segment per reload is followed to
// its ENDLIST without gaps or repeats: the Opus frames equal the VOD's.
func TestHLSLivePlayback(t *testing.T) {
	dir, vod := hlsSegments(t)
	var durs []string
	for _, ln := range strings.Split(vod, "\n") {
		if strings.HasPrefix(ln, "#EXTINF") {
			durs = append(durs, ln)
		}
	}
	const total = 8 // the ninth segment is ffmpeg's few-ms tail
	var mu sync.Mutex
	published := 3
	hits := map[string]int{}
	files := http.FileServer(http.Dir(dir))
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits[r.URL.Path]++
		mu.Unlock()
		files.ServeHTTP(w, r)
	})
	mux.HandleFunc("/live.m3u8", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n := published
		published = min(published+1, total)
		mu.Unlock()
		first := max(n-5, 0)
		fmt.Fprintf(w, "#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:%d\n", first)
		for i := first; i < n; i++ {
			fmt.Fprintf(w, "%s\nseg%03d.mp3\n", durs[i], i)
		}
		if n == total {
			fmt.Fprint(w, "#EXT-X-ENDLIST\n")
		}
	})
	mux.HandleFunc("/first8.m3u8", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "#EXTM3U\n#EXT-X-TARGETDURATION:1\n")
		for i := range total {
			fmt.Fprintf(w, "%s\nseg%03d.mp3\n", durs[i], i)
		}
		fmt.Fprint(w, "#EXT-X-ENDLIST\n")
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	l, o := streamLoader(t)
	if r := l.Load(context.Background(), srv.URL+"/live.m3u8"); r.LoadType != lavalink.LoadTypeTrack || !r.Track.Info.IsStream || r.Track.Info.IsSeekable {
		t.Fatalf("load %+v", r.Track)
	}
	mu.Lock()
	published = 3
	mu.Unlock()
	want := playAll(t, o, srv.URL+"/first8.m3u8", 0, 1000)
	s, err := o.Open(context.Background(), lavalink.Track{Info: lavalink.TrackInfo{SourceName: "http", Identifier: srv.URL + "/live.m3u8"}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Seek(time.Second); !errors.Is(err, audio.ErrNotSeekable) {
		t.Errorf("seek on live: %v", err)
	}
	got := readFrames(t, s, 1000)
	if len(got) != len(want) {
		t.Fatalf("live: %d frames, VOD %d", len(got), len(want))
	}
	for i := range got {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("frame %d differs", i)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for i := range total {
		if n := hits[fmt.Sprintf("/seg%03d.mp3", i)]; n != 2 { // once live, once for the VOD reference
			t.Errorf("segment %d fetched %d times", i, n)
		}
	}
}

// AES-128 segments play exactly like the clear ones.
func TestHLSAES128Playback(t *testing.T) {
	dir, vod := hlsSegments(t)
	key := []byte("audionode-key-16")
	block, _ := aes.NewCipher(key)
	var pl strings.Builder
	n := 0
	for _, ln := range strings.Split(vod, "\n") {
		if !strings.HasSuffix(ln, ".mp3") {
			if strings.HasPrefix(ln, "#EXT-X-MEDIA-SEQUENCE") {
				ln += "\n#EXT-X-KEY:METHOD=AES-128,URI=\"key.bin\""
			}
			pl.WriteString(ln + "\n")
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, ln))
		if err != nil {
			t.Fatal(err)
		}
		pad := 16 - len(b)%16
		b = append(b, bytes.Repeat([]byte{byte(pad)}, pad)...)
		iv := make([]byte, 16)
		iv[15] = byte(n) // the media sequence number
		cipher.NewCBCEncrypter(block, iv).CryptBlocks(b, b)
		if err := os.WriteFile(filepath.Join(dir, "enc-"+ln), b, 0o644); err != nil {
			t.Fatal(err)
		}
		pl.WriteString("enc-" + ln + "\n")
		n++
	}
	os.WriteFile(filepath.Join(dir, "key.bin"), key, 0o644)
	os.WriteFile(filepath.Join(dir, "enc.m3u8"), []byte(pl.String()), 0o644)
	srv := hlsServer(t, dir, vod)
	defer srv.Close()
	_, o := streamLoader(t)
	want := playAll(t, o, srv.URL+"/vod.m3u8", 0, 1000)
	got := playAll(t, o, srv.URL+"/enc.m3u8", 0, 1000)
	if len(got) != len(want) {
		t.Fatalf("%d frames, clear %d", len(got), len(want))
	}
	for i := range got {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("frame %d differs", i)
		}
	}
}

// Aborting ends a read that waits for a live playlist at once.
func TestHLSAbort(t *testing.T) {
	dir, vod := hlsSegments(t)
	_ = vod
	mux := http.NewServeMux()
	mux.Handle("/", http.FileServer(http.Dir(dir)))
	mux.HandleFunc("/stuck.m3u8", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "#EXTM3U\n#EXT-X-TARGETDURATION:60\n#EXTINF:1.018776,\nseg000.mp3\n")
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	_, o := streamLoader(t)
	s, err := o.Open(context.Background(), lavalink.Track{Info: lavalink.TrackInfo{SourceName: "http", Identifier: srv.URL + "/stuck.m3u8"}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	done := make(chan error, 1)
	go func() {
		buf := make([]byte, audio.MaxOpusFrame)
		for {
			if _, err := s.ReadFrame(buf); err != nil {
				done <- err
				return
			}
		}
	}()
	time.Sleep(300 * time.Millisecond)
	start := time.Now()
	s.(interface{ Abort() }).Abort()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Logf("read ended with %v", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("abort did not end the read")
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("abort took %v", d)
	}
}

// A PLS radio link loads and plays through the real node: the client
// loads the list, gets the stream it refers to, and the fake Discord voice
// server hears the tone.
func TestRealNodePlaysPLSRadio(t *testing.T) {
	clean := mp3Tone(t, toneExpr, 20*time.Second)
	var base string
	mux := http.NewServeMux()
	mux.HandleFunc("/radio", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("icy-metaint", "8192")
		w.Header().Set("icy-name", "Node FM")
		w.(http.Flusher).Flush()
		w.Write(icyInterleave(clean, 8192))
	})
	mux.HandleFunc("/listen.pls", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "[playlist]\nFile1=%s/radio\nTitle1=Node FM live\nNumberOfEntries=1\n", base)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	base = srv.URL

	fake, err := voicetest.NewServer(voicetest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	creds := voicetest.Credentials{GuildID: "78", UserID: "1", SessionID: "vs", Token: "tk"}
	fake.Expect(creds)
	n, api := testNodeWith(t, func(s *settings.Settings) {
		s.Lavalink.Sources["http"] = true
		s.AudioNode.HTTPAllowPrivate = true
	}, nil)
	c, ready, _ := dialWS(t, n, "")
	defer c.Close()
	code, body := do(t, "GET", api+"/v4/loadtracks?identifier="+url.QueryEscape(srv.URL+"/listen.pls"), "")
	var res struct {
		LoadType string
		Data     struct {
			Encoded string
			Info    lavalink.TrackInfo
		}
	}
	if code != 200 || json.Unmarshal(body, &res) != nil || res.LoadType != "track" || res.Data.Info.Identifier != srv.URL+"/radio" || !res.Data.Info.IsStream {
		t.Fatalf("load: %d %s", code, body)
	}
	player := api + "/v4/sessions/" + ready["sessionId"].(string) + "/players/78"
	patch := fmt.Sprintf(`{"track":{"encoded":%q},"voice":{"token":"tk","endpoint":%q,"sessionId":"vs","channelId":"5"}}`, res.Data.Encoded, fake.Endpoint())
	if code, body := do(t, "PATCH", player, patch); code != 200 {
		t.Fatalf("play: %d %s", code, body)
	}
	var vs *voicetest.Session
	for deadline := time.Now().Add(10 * time.Second); vs == nil && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		vs = fake.Session("78")
	}
	if vs == nil {
		t.Fatal("no voice session")
	}
	r := waitReport(t, vs, "100 frames", func(r voicetest.Report) bool { return r.DecodedFrames >= 100 })
	if r.DecryptFailed != 0 || r.SeqGaps != 0 || math.Abs(r.Channels[0].DominantHz-440) > 5 || math.Abs(r.Channels[1].DominantHz-1000) > 5 {
		t.Fatalf("report %+v", r)
	}
	// A seek on a live stream is refused quietly, as in Lavalink.
	if code, _ := do(t, "PATCH", player, `{"position":5000}`); code != 200 {
		t.Fatal(code)
	}
	if code, _ := do(t, "DELETE", player, ""); code != 204 {
		t.Fatalf("delete: %d", code)
	}
}

// At an EXT-X-DISCONTINUITY the encoding may change: MP3 segments at
// 44.1 kHz followed by ones at 32 kHz with other tones both play at the
// right pitch and length (a fresh decoder after the discontinuity).
func TestHLSDiscontinuity(t *testing.T) {
	dir := t.TempDir()
	ffmpeg(t, "-f", "lavfi", "-i", "aevalsrc="+toneExpr+":s=44100:d=2",
		"-c:a", "libmp3lame", "-b:a", "128k", "-f", "segment", "-segment_time", "1", "-segment_format", "mp3",
		"-segment_format_options", "write_xing=0", filepath.Join(dir, "a%d.mp3"))
	ffmpeg(t, "-f", "lavfi", "-i", "aevalsrc=0.2512*sin(2*PI*600*t)|0.2512*sin(2*PI*1500*t):s=32000:d=2",
		"-c:a", "libmp3lame", "-b:a", "96k", "-f", "segment", "-segment_time", "1", "-segment_format", "mp3",
		"-segment_format_options", "write_xing=0", filepath.Join(dir, "b%d.mp3"))
	pl := "#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\na0.mp3\n#EXTINF:1,\na1.mp3\n" +
		"#EXT-X-DISCONTINUITY\n#EXTINF:1,\nb0.mp3\n#EXTINF:1,\nb1.mp3\n#EXT-X-ENDLIST\n"
	os.WriteFile(filepath.Join(dir, "disc.m3u8"), []byte(pl), 0o644)
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	defer srv.Close()
	_, o := streamLoader(t)
	frames := playAll(t, o, srv.URL+"/disc.m3u8", 0, 1000)
	if d := len(frames) * 20; math.Abs(float64(d)-4000) > 120 {
		t.Fatalf("played %d ms, want 4000", d)
	}
	pcm := decodePCM(t, frames)
	for _, c := range []struct {
		from, to time.Duration
		l, r     float64
	}{{300 * time.Millisecond, 1800 * time.Millisecond, 440, 1000}, {2300 * time.Millisecond, 3800 * time.Millisecond, 600, 1500}} {
		a, b := int(c.from.Milliseconds())*96, int(c.to.Milliseconds())*96
		if l, r := dominantHz(chan0(pcm[a:b], 0)), dominantHz(chan0(pcm[a:b], 1)); l != c.l || r != c.r {
			t.Errorf("%v–%v: %v/%v Hz, want %v/%v", c.from, c.to, l, r, c.l, c.r)
		}
	}
}

// BenchmarkHLSPlayback is one 20 ms frame of an HLS MP3 stream through the
// whole chain (segment fetch, ID3 strip, MP3 decode, resampler, libopus).
func BenchmarkHLSPlayback(b *testing.B) {
	dir, _ := hlsSegments(b)
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	defer srv.Close()
	l, err := source.New(source.Config{HTTP: true, AllowPrivate: true})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	o := newMediaOpener(l, settings.Default())
	open := func() audio.TrackStream {
		s, err := o.Open(context.Background(), lavalink.Track{Info: lavalink.TrackInfo{SourceName: "http", Identifier: srv.URL + "/vod.m3u8"}}, 0)
		if err != nil {
			b.Fatal(err)
		}
		return s
	}
	s := open()
	defer func() { s.Close() }()
	buf := make([]byte, audio.MaxOpusFrame)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.ReadFrame(buf); err != nil {
			s.Close() // the end of the 8 s playlist: start over
			s = open()
		}
	}
	b.ReportMetric(float64(20*time.Millisecond)/(float64(b.Elapsed())/float64(b.N)), "x_realtime")
}

// A segment that is gone mid-playback ends the track with an error the
// player reports (TrackExceptionEvent), after the audio before it.
func TestHLSMissingSegmentErrors(t *testing.T) {
	dir, vod := hlsSegments(t)
	os.WriteFile(filepath.Join(dir, "holes.m3u8"), []byte(strings.Replace(vod, "seg003.mp3", "gone.mp3", 1)), 0o644)
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	defer srv.Close()
	_, o := streamLoader(t)
	s, err := o.Open(context.Background(), lavalink.Track{Info: lavalink.TrackInfo{SourceName: "http", Identifier: srv.URL + "/holes.m3u8"}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	buf := make([]byte, audio.MaxOpusFrame)
	frames := 0
	for ; ; frames++ {
		if _, err = s.ReadFrame(buf); err != nil {
			break
		}
	}
	if !errors.Is(err, source.ErrSegment) || frames < 140 || frames > 160 {
		t.Fatalf("after %d frames: %v", frames, err)
	}
}

// HLS of Opus in fragmented MP4 (init + .m4s, as Opus HLS services send):
// it plays as passthrough, and a start part-way lands on the packet that
// holds the target, so the 5→6 s step is where linear playback has it.
func TestHLSOpusFMP4(t *testing.T) {
	dir := t.TempDir()
	ffmpeg(t, "-f", "lavfi", "-i", fmt.Sprintf("aevalsrc=%s:s=48000:d=8", stepExpr),
		"-c:a", "libopus", "-b:a", "128k", "-frame_duration", "20", "-f", "hls", "-hls_time", "1",
		"-hls_playlist_type", "vod", "-hls_segment_type", "fmp4", "-hls_fmp4_init_filename", "init.mp4",
		"-hls_segment_filename", filepath.Join(dir, "seg%03d.m4s"), filepath.Join(dir, "vod.m3u8"))
	srv := hlsServer(t, dir, "vod.m3u8")
	defer srv.Close()
	l, o := streamLoader(t)
	if r := l.Load(context.Background(), srv.URL+"/vod.m3u8"); r.LoadType != lavalink.LoadTypeTrack || !r.Track.Info.IsSeekable {
		t.Fatalf("load: %+v %+v", r.Track, r.Exception)
	}
	s, err := o.Open(context.Background(), lavalink.Track{Info: lavalink.TrackInfo{SourceName: "http", Identifier: srv.URL + "/vod.m3u8"}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	frames := readFrames(t, s, 1000)
	passed := s.(interface{ Passthrough() bool }).Passthrough()
	s.Close()
	if !passed {
		t.Error("Opus HLS was not passed through")
	}
	checkStepTrack(t, o, srv.URL+"/vod.m3u8", frames, 25*time.Millisecond)
}

// checkStepTrack checks a track of stepExpr whose frames from the start
// are linear: 8 s long, each second's tone, and opened at 5.5 s the 5→6 s
// step comes where linear playback has it, within tol. It returns that
// step's track time in linear playback.
func checkStepTrack(t *testing.T, o *mediaOpener, link string, linear [][]byte, tol time.Duration) float64 {
	t.Helper()
	if d := len(linear) * 20; math.Abs(float64(d)-8000) > 100 {
		t.Fatalf("played %d ms, want 8000", d)
	}
	pcm := decodePCM(t, linear)
	for sec := range 7 {
		x := chan0(pcm, 0)[(sec*1000+300)*48 : (sec*1000+700)*48]
		if f := dominantHz(x); math.Abs(f-float64(400+100*sec)) > 5 {
			t.Errorf("second %d: %v Hz", sec, f)
		}
	}
	want := stepAt(t, pcm[5000*96:], 900) + 5.0
	opened := playAll(t, o, link, 5500*time.Millisecond, 1000)
	got := stepAt(t, decodePCM(t, opened), 900) + 5.5
	t.Logf("5→6 s step: linear %.3f s, opened at 5.5 s %.3f s", want, got)
	if math.Abs(got-want) > tol.Seconds() {
		t.Errorf("opened at 5.5 s: step at %.3f s, linear %.3f s", got, want)
	}
	return want
}

// HLS with AAC in each segment type HLS uses (MPEG-TS, packed ADTS
// audio, fMP4): the track plays whole, every second has its tone, and
// opening at 5.5 s lands where linear playback has the 5→6 s step.
func TestHLSAAC(t *testing.T) {
	src := []string{"-f", "lavfi", "-i", fmt.Sprintf("aevalsrc=%s:s=44100:d=8", stepExpr), "-c:a", "aac", "-b:a", "128k"}
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"ts", []string{"-f", "hls", "-hls_time", "1", "-hls_playlist_type", "vod", "-hls_segment_filename", "seg%03d.ts"}},
		{"adts", []string{"-f", "segment", "-segment_time", "1", "-segment_format", "adts", "-segment_list", "vod.m3u8",
			"-segment_list_type", "m3u8", "seg%03d.aac"}},
		{"fmp4", []string{"-f", "hls", "-hls_time", "1", "-hls_playlist_type", "vod", "-hls_segment_type", "fmp4",
			"-hls_fmp4_init_filename", "init.mp4", "-hls_segment_filename", "seg%03d.m4s"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			args := append(slices.Clone(src), tc.args...)
			for i, a := range args {
				if strings.HasPrefix(a, "seg%") || a == "vod.m3u8" { // init.mp4 is relative to the playlist
					args[i] = filepath.Join(dir, a)
				}
			}
			if tc.args[1] == "hls" {
				args = append(args, filepath.Join(dir, "vod.m3u8"))
			}
			ffmpeg(t, args...)
			srv := hlsServer(t, dir, "vod.m3u8")
			defer srv.Close()
			l, o := streamLoader(t)
			if r := l.Load(context.Background(), srv.URL+"/vod.m3u8"); r.LoadType != lavalink.LoadTypeTrack || !r.Track.Info.IsSeekable || math.Abs(float64(r.Track.Info.Length)-8000) > 100 {
				t.Fatalf("load: %+v %+v", r.Track, r.Exception)
			}
			linear := playAll(t, o, srv.URL+"/vod.m3u8", 0, 1000)
			checkStepTrack(t, o, srv.URL+"/vod.m3u8", linear, 25*time.Millisecond)
		})
	}
}
