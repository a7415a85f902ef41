package source

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func abs64(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

func TestProbeGeneratedMedia(t *testing.T) {
	dir := mediaFiles(t)
	for _, c := range mediaCases {
		t.Run(c.file, func(t *testing.T) {
			f, err := os.Open(filepath.Join(dir, c.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			st, _ := f.Stat()
			r, err := probe(fileSrc{f: f, size: st.Size()})
			if err != nil {
				t.Fatal(err)
			}
			if r.container != c.container {
				t.Errorf("container = %q, want %q", r.container, c.container)
			}
			if c.length < 0 {
				if r.length >= 0 {
					t.Errorf("length = %d, want unknown", r.length)
				}
			} else if abs64(r.length-c.length) > 120 {
				t.Errorf("length = %d ms, want %d ± 120", r.length, c.length)
			}
			if r.title != c.title || r.author != c.author || r.isrc != c.isrc {
				t.Errorf("tags = %q/%q/%q, want %q/%q/%q", r.title, r.author, r.isrc, c.title, c.author, c.isrc)
			}
		})
	}
}

// Unknown size (a stream without Content-Length): no length, no panic.
func TestProbeUnknownSize(t *testing.T) {
	dir := mediaFiles(t)
	for _, name := range []string{"id3.mp3", "opus.ogg", "tags.wav"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		r, err := probe(bytesSrc{b: b[:16<<10], size: -1})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		// The MP3 has a Xing frame count and the WAV header declares its
		// data size; only the Ogg needs the end of the file.
		if name == "opus.ogg" && r.length >= 0 {
			t.Errorf("%s: length %d, want unknown", name, r.length)
		}
	}
}

func TestProbePlaylists(t *testing.T) {
	cases := map[string]struct {
		in      string
		check   func(probeResult) bool
		wantErr error
	}{
		"m3u two": {"#EXTM3U\n#PLAYLIST:Mix\n#EXTINF:123,Artist - One\nhttp://a/1.mp3\n#EXTINF:-1,Radio\nhttps://b/live\nrelative.mp3\n", func(r probeResult) bool {
			return r.playlist && r.playlistName == "Mix" && len(r.entries) == 2 && r.entries[0] == entry{"http://a/1.mp3", "Artist - One", 123000} &&
				r.entries[1] == entry{"https://b/live", "Radio", -1}
		}, nil},
		"m3u bare extinf": {"#EXTINF:1,x\r\nicy://r/s\r\n", func(r probeResult) bool { return len(r.entries) == 1 && r.entries[0].url == "icy://r/s" }, nil},
		"hls live":        {"#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXTINF:6,\nseg1.ts\n", func(r probeResult) bool { return !r.playlist && r.stream && r.params == "hls-outer" }, nil},
		"hls vod": {"#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXTINF:6.5,\nseg1.ts\n#EXTINF:3.5,\nseg2.ts\n#EXT-X-ENDLIST\n", func(r probeResult) bool {
			return !r.stream && r.length == 10000 && r.probeInfo() == "m3u|hls-outer"
		}, nil},
		"hls master":   {"#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nlow.m3u8\n", func(r probeResult) bool { return r.stream }, nil},
		"m3u no links": {"#EXTM3U\nlocal.mp3\n", nil, ErrUnsupported},
		"pls": {"[playlist]\nFile2=http://x/2.mp3\nTitle2=Two\nFile1=http://x/1.mp3\nLength1=60\nNumberOfEntries=2\n", func(r probeResult) bool {
			return r.container == "pls" && len(r.entries) == 2 && r.entries[0] == entry{"http://x/1.mp3", "", 60000} && r.entries[1] == entry{"http://x/2.mp3", "Two", -1}
		}, nil},
		"pls empty": {"[Playlist]\nNumberOfEntries=0\n", nil, ErrUnsupported},
		"plain links": {"http://a/1.mp3\nhttp://a/2.mp3\n", func(r probeResult) bool {
			return r.container == "plain" && r.playlist && len(r.entries) == 2
		}, nil},
		"garbage": {"hello world, not audio", nil, ErrUnknownFormat},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			b := []byte(c.in)
			r, err := probe(bytesSrc{b: b, size: int64(len(b))})
			if c.check == nil {
				if err == nil || !errorsIs(err, c.wantErr) {
					t.Fatalf("err = %v, want %v", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !c.check(r) {
				t.Errorf("unexpected result %+v", r)
			}
		})
	}
}

func TestID3Versions(t *testing.T) {
	frame := func(id string, v2 bool, body []byte) []byte {
		if v2 {
			return append([]byte{id[0], id[1], id[2], 0, 0, byte(len(body))}, body...)
		}
		return append([]byte{id[0], id[1], id[2], id[3], 0, 0, 0, byte(len(body)), 0, 0}, body...)
	}
	utf16le := []byte{1, 0xFF, 0xFE, 'H', 0, 'i', 0, 0, 0}
	cases := map[string]struct {
		ver    byte
		frames []byte
		want   id3Tag
	}{
		"v2.2 latin1":    {2, bytes.Join([][]byte{frame("TT2", true, []byte("\x00Caf\xe9")), frame("TP1", true, []byte("\x00Me"))}, nil), id3Tag{title: "Café", artist: "Me"}},
		"v2.3 utf16":     {3, bytes.Join([][]byte{frame("TIT2", false, utf16le), frame("TLEN", false, []byte("\x001234"))}, nil), id3Tag{title: "Hi", lengthMs: 1234}},
		"v2.4 utf16be":   {4, frame("TPE1", false, []byte("\x02\x00A\x00B")), id3Tag{artist: "AB"}},
		"v2.4 utf8 isrc": {4, frame("TSRC", false, []byte("\x03XX1234\x00")), id3Tag{isrc: "XX1234"}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			if got := parseID3Frames(c.ver, 0, c.frames); got != c.want {
				t.Errorf("got %+v, want %+v", got, c.want)
			}
		})
	}
}
