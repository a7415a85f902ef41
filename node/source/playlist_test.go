package source

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestParseHLS(t *testing.T) {
	base, _ := url.Parse("http://127.0.0.1/hls/master.m3u8")
	master := `#EXTM3U
#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="English, main",DEFAULT=YES,URI="audio/en.m3u8"
#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="French",URI="audio/fr.m3u8"
#EXT-X-STREAM-INF:BANDWIDTH=2000000,CODECS="avc1.4d401f,mp4a.40.2",AUDIO="aud",RESOLUTION=1280x720
video/hi.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=800000,CODECS="avc1.4d401f,mp4a.40.2",AUDIO="aud"
video/lo.m3u8
`
	cases := map[string]struct {
		in    string
		check func(t *testing.T, p *hlsPlaylist)
		err   error
	}{
		"master: audio rendition over muxed video": {in: master, check: func(t *testing.T, p *hlsPlaylist) {
			if u, err := p.audioURL(); err != nil || u != "http://127.0.0.1/hls/audio/en.m3u8" {
				t.Errorf("audio %q, %v", u, err)
			}
		}},
		"master: best audio-only variant": {in: master + "#EXT-X-STREAM-INF:BANDWIDTH=64000,CODECS=\"mp4a.40.5\"\na64.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH=192000,CODECS=\"mp4a.40.2\"\na192.m3u8\n",
			check: func(t *testing.T, p *hlsPlaylist) {
				if u, _ := p.audioURL(); u != "http://127.0.0.1/hls/a192.m3u8" {
					t.Errorf("audio %q", u)
				}
			}},
		"master: lowest muxed variant": {in: "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=5,RESOLUTION=1x1\nhi.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH=2,RESOLUTION=1x1\nlo.m3u8\n",
			check: func(t *testing.T, p *hlsPlaylist) {
				if u, _ := p.audioURL(); u != "http://127.0.0.1/hls/lo.m3u8" {
					t.Errorf("audio %q", u)
				}
			}},
		"vod with map, byte ranges, keys and a discontinuity": {in: `#EXTM3U
#EXT-X-VERSION:7
#EXT-X-TARGETDURATION:6
#EXT-X-MEDIA-SEQUENCE:41
#EXT-X-MAP:URI="init.mp4",BYTERANGE="700@0"
#EXTINF:5.995,
#EXT-X-BYTERANGE:1000@700
all.m4s
#EXTINF:6.0,title
#EXT-X-BYTERANGE:500
all.m4s
#EXT-X-DISCONTINUITY
#EXT-X-KEY:METHOD=AES-128,URI="k.bin",IV=0x0102
#EXTINF:2,
https://cdn.example/x.m4s
#EXT-X-ENDLIST
`, check: func(t *testing.T, p *hlsPlaylist) {
			s := p.segments
			if p.master || !p.ended || p.target != 6*time.Second || len(s) != 3 || p.duration() != 13995*time.Millisecond {
				t.Fatalf("playlist %+v", p)
			}
			if s[0].seq != 41 || s[0].rng != (hlsRange{1000, 700}) || s[1].rng != (hlsRange{500, 1700}) || s[1].start != 5995*time.Millisecond {
				t.Errorf("ranges %+v %+v", s[0], s[1])
			}
			if s[0].init != "http://127.0.0.1/hls/init.mp4" || s[0].initRange != (hlsRange{700, 0}) || s[1].discontinuity || !s[2].discontinuity {
				t.Errorf("map/discontinuity %+v", s)
			}
			if k := s[2].key; k.method != "AES-128" || k.url != "http://127.0.0.1/hls/k.bin" || k.iv[15] != 2 || k.iv[14] != 1 || s[1].key.method != "NONE" {
				t.Errorf("key %+v", k)
			}
		}},
		"live": {in: "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:7\n#EXTINF:2,\na.mp3\n", check: func(t *testing.T, p *hlsPlaylist) {
			if p.ended || p.firstSeq != 7 || p.segments[0].seq != 7 {
				t.Errorf("playlist %+v", p)
			}
		}},
		"no header":                                        {in: "#EXTINF:1,\na.ts\n", err: ErrBadPlaylist},
		"segment without EXTINF":                           {in: "#EXTM3U\n#EXT-X-TARGETDURATION:1\na.ts\n", err: ErrBadPlaylist},
		"live without target duration":                     {in: "#EXTM3U\n#EXTINF:1,\na.ts\n", err: ErrBadPlaylist},
		"negative duration":                                {in: "#EXTM3U\n#EXTINF:-1,\na.ts\n#EXT-X-ENDLIST\n", err: ErrBadPlaylist},
		"huge target duration":                             {in: "#EXTM3U\n#EXT-X-TARGETDURATION:99999999999\n", err: ErrBadPlaylist},
		"byte range without offset after another resource": {in: "#EXTM3U\n#EXTINF:1,\n#EXT-X-BYTERANGE:10\na.ts\n#EXT-X-ENDLIST\n", err: ErrBadPlaylist},
		"key without uri":                                  {in: "#EXTM3U\n#EXT-X-KEY:METHOD=AES-128\n#EXTINF:1,\na.ts\n#EXT-X-ENDLIST\n", err: ErrBadPlaylist},
		"bad IV":                                           {in: "#EXTM3U\n#EXT-X-KEY:METHOD=AES-128,URI=\"k\",IV=0xzz\n", err: ErrBadPlaylist},
		"file URI":                                         {in: "#EXTM3U\n#EXTINF:1,\nfile:///etc/passwd\n#EXT-X-ENDLIST\n", err: ErrBadPlaylist},
		"too many segments":                                {in: "#EXTM3U\n#EXT-X-TARGETDURATION:1\n" + strings.Repeat("#EXTINF:1,\na\n", maxSegments+1), err: ErrPlaylistTooLarge},
		"too many variants":                                {in: "#EXTM3U\n" + strings.Repeat("#EXT-X-STREAM-INF:BANDWIDTH=1\nv\n", maxVariants+1), err: ErrPlaylistTooLarge},
		"line too long":                                    {in: "#EXTM3U\n#" + strings.Repeat("x", maxLineBytes) + "\n#EXT-X-ENDLIST\n", err: ErrBadPlaylist},
		"too large":                                        {in: "#EXTM3U\n#" + strings.Repeat("x", maxPlaylistBytes), err: ErrPlaylistTooLarge},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			p, err := parseHLS([]byte(c.in), base)
			if c.err != nil {
				if !errors.Is(err, c.err) {
					t.Fatalf("err %v, want %v", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			c.check(t, p)
		})
	}
}

func TestPlaylistEntries(t *testing.T) {
	cases := map[string]struct {
		in    string
		first string
		n     int
		err   error
	}{
		"pls by index":   {in: "[playlist]\nFile2=http://b/\nFile1=http://a/\nTitle1=A\nNumberOfEntries=2\n", first: "http://a/", n: 2},
		"m3u":            {in: "#EXTM3U\n#EXTINF:-1,Radio\nhttp://r/live\nrelative.mp3\nicy://x/y\n", first: "http://r/live", n: 2},
		"plain links":    {in: "http://a/1\nhttp://a/2\n", first: "http://a/1", n: 2},
		"hls is no list": {in: "#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\nhttp://a/s.ts\n", err: ErrBadPlaylist},
		"no links":       {in: "[playlist]\nNumberOfEntries=0\n", err: ErrBadPlaylist},
		"relative only":  {in: "#EXTM3U\nfoo.mp3\n", err: ErrBadPlaylist},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			es, err := playlistEntries([]byte(c.in))
			if c.err != nil {
				if !errors.Is(err, c.err) {
					t.Fatalf("err %v, want %v", err, c.err)
				}
				return
			}
			if err != nil || len(es) != c.n || es[0].url != c.first {
				t.Fatalf("entries %+v, %v", es, err)
			}
		})
	}
}

func FuzzParseHLS(f *testing.F) {
	f.Add("#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXT-X-MEDIA-SEQUENCE:3\n#EXTINF:4,\n#EXT-X-BYTERANGE:10@5\ns.ts\n#EXTINF:4,\n#EXT-X-BYTERANGE:10\ns.ts\n#EXT-X-ENDLIST\n")
	f.Add("#EXTM3U\n#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"a\",URI=\"a.m3u8\"\n#EXT-X-STREAM-INF:BANDWIDTH=1,AUDIO=\"a\",CODECS=\"avc1,mp4a\"\nv.m3u8\n")
	f.Add("#EXTM3U\n#EXT-X-MAP:URI=\"i.mp4\",BYTERANGE=\"5@0\"\n#EXT-X-KEY:METHOD=AES-128,URI=\"k\",IV=0x00ff\n#EXTINF:1,\n#EXT-X-DISCONTINUITY\ns.m4s\n#EXT-X-ENDLIST\n")
	f.Add("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1,CODECS=\"a\nx\n#EXT-X-MAP:URI=\"\n#EXTINF:1\ns\n")
	base, _ := url.Parse("http://127.0.0.1/x/p.m3u8")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := parseHLS([]byte(s), base)
		if err != nil {
			return
		}
		if len(p.segments) > maxSegments || len(p.variants) > maxVariants {
			t.Fatalf("%d segments, %d variants", len(p.segments), len(p.variants))
		}
		for _, s := range p.segments {
			if s.duration < 0 || s.rng.length < 0 || s.rng.offset < 0 {
				t.Fatalf("segment %+v", s)
			}
		}
		if p.master {
			_, _ = p.audioURL()
		}
		_ = p.duration()
	})
}

func FuzzPlaylistEntries(f *testing.F) {
	f.Add("#EXTM3U\n#EXTINF:1,a\nhttp://b/\n")
	f.Add("[playlist]\nFile1=http://x/\nTitle1=t\nLength1=5\n")
	f.Add("http://a/\n")
	f.Fuzz(func(t *testing.T, s string) {
		es, err := playlistEntries([]byte(s))
		if err == nil && len(es) == 0 {
			t.Fatal("no entries and no error")
		}
		if len(es) > maxEntries {
			t.Fatalf("%d entries", len(es))
		}
		_ = fmt.Sprint(es)
	})
}
