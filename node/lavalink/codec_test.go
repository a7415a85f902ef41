package lavalink

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// Vectors from lavalink-v4.md §5 (A, B, stream) and the Lavalink4NET test
// suite it cites (C–E and more).
var trackVectors = map[string]struct {
	encoded string
	version int
	info    string // expected TrackInfo JSON
	probe   string // http/local probe info
	lavasrc bool
	noIdent bool // base64 differs only in padding
}{
	"A v2 youtube docs": {
		encoded: "QAAAjQIAJVJpY2sgQXN0bGV5IC0gTmV2ZXIgR29ubmEgR2l2ZSBZb3UgVXAADlJpY2tBc3RsZXlWRVZPAAAAAAADPCAAC2RRdzR3OVdnWGNRAAEAK2h0dHBzOi8vd3d3LnlvdXR1YmUuY29tL3dhdGNoP3Y9ZFF3NHc5V2dYY1EAB3lvdXR1YmUAAAAAAAAAAA==",
		version: 2,
		info:    `{"identifier":"dQw4w9WgXcQ","isSeekable":true,"author":"RickAstleyVEVO","length":212000,"isStream":false,"position":0,"title":"Rick Astley - Never Gonna Give You Up","uri":"https://www.youtube.com/watch?v=dQw4w9WgXcQ","sourceName":"youtube","artworkUrl":null,"isrc":null}`,
	},
	"B v3 youtube-source": {
		encoded: "QAAA1AMANktlbiBDYXJzb24gLSBGaWdodGluZyBNeSBEZW1vbnMgKE9mZmljaWFsIE11c2ljIFZpZGVvKQAQTHlyaWNhbCBMZW1vbmFkZQAAAAAAAoSIAAtZS2tNUjJsMDVScwABACtodHRwczovL3d3dy55b3V0dWJlLmNvbS93YXRjaD92PVlLa01SMmwwNVJzAQAwaHR0cHM6Ly9pLnl0aW1nLmNvbS92aS9ZS2tNUjJsMDVScy9tcWRlZmF1bHQuanBnAAAHeW91dHViZQAAAAAAAAAA",
		version: 3,
		info:    `{"identifier":"YKkMR2l05Rs","isSeekable":true,"author":"Lyrical Lemonade","length":165000,"isStream":false,"position":0,"title":"Ken Carson - Fighting My Demons (Official Music Video)","uri":"https://www.youtube.com/watch?v=YKkMR2l05Rs","sourceName":"youtube","artworkUrl":"https://i.ytimg.com/vi/YKkMR2l05Rs/mqdefault.jpg","isrc":null}`,
	},
	"stream v2 http ogg": {
		encoded: "QAAAhQIAA0VDRAAQRUMgRGlzY29yZCBSYWRpb3//////////ACZodHRwOi8vamFudXMuY2Ruc3RyZWFtLmNvbTo1Mzk3L2F1dG9kagEBACZodHRwOi8vamFudXMuY2Ruc3RyZWFtLmNvbTo1Mzk3L2F1dG9kagAEaHR0cAADb2dnAAAAAAAAAAA=",
		version: 2,
		info:    `{"identifier":"http://janus.cdnstream.com:5397/autodj","isSeekable":false,"author":"EC Discord Radio","length":9223372036854775807,"isStream":true,"position":0,"title":"ECD","uri":"http://janus.cdnstream.com:5397/autodj","sourceName":"http","artworkUrl":null,"isrc":null}`,
		probe:   "ogg",
	},
	"D v3 http mp3": {
		encoded: "QAAAjQMAC0RlYXRoIG9mIE1lAApTQUlOVCBQSE5YAAAAAAAAdVgAKGh0dHBzOi8vd3d3Lm1ib3hkcml2ZS5jb20vc3RhcnRtdXNpYy5tcDMAAQAoaHR0cHM6Ly93d3cubWJveGRyaXZlLmNvbS9zdGFydG11c2ljLm1wMwAAAARodHRwAANtcDMAAAAAAAAAAA==",
		version: 3,
		info:    `{"identifier":"https://www.mboxdrive.com/startmusic.mp3","isSeekable":true,"author":"SAINT PHNX","length":30040,"isStream":false,"position":0,"title":"Death of Me","uri":"https://www.mboxdrive.com/startmusic.mp3","sourceName":"http","artworkUrl":null,"isrc":null}`,
		probe:   "mp3",
	},
	"D v2 http mp3": {
		encoded: "QAAAiwIAC0RlYXRoIG9mIE1lAApTQUlOVCBQSE5YAAAAAAAAdVgAKGh0dHBzOi8vd3d3Lm1ib3hkcml2ZS5jb20vc3RhcnRtdXNpYy5tcDMAAQAoaHR0cHM6Ly93d3cubWJveGRyaXZlLmNvbS9zdGFydG11c2ljLm1wMwAEaHR0cAADbXAzAAAAAAAAAAA=",
		version: 2,
		info:    `{"identifier":"https://www.mboxdrive.com/startmusic.mp3","isSeekable":true,"author":"SAINT PHNX","length":30040,"isStream":false,"position":0,"title":"Death of Me","uri":"https://www.mboxdrive.com/startmusic.mp3","sourceName":"http","artworkUrl":null,"isrc":null}`,
		probe:   "mp3",
	},
	"C v2 youtube": {
		encoded: "QAAAjAIAJFZhbmNlIEpveSAtICdSaXB0aWRlJyBPZmZpY2lhbCBWaWRlbwAObXVzaHJvb212aWRlb3MAAAAAAAMgyAALdUpfMUhNQUdiNGsAAQAraHR0cHM6Ly93d3cueW91dHViZS5jb20vd2F0Y2g/dj11Sl8xSE1BR2I0awAHeW91dHViZQAAAAAAAAAA",
		version: 2,
		info:    `{"identifier":"uJ_1HMAGb4k","isSeekable":true,"author":"mushroomvideos","length":205000,"isStream":false,"position":0,"title":"Vance Joy - 'Riptide' Official Video","uri":"https://www.youtube.com/watch?v=uJ_1HMAGb4k","sourceName":"youtube","artworkUrl":null,"isrc":null}`,
	},
	"C v3 youtube": {
		encoded: "QAAAjgMAJFZhbmNlIEpveSAtICdSaXB0aWRlJyBPZmZpY2lhbCBWaWRlbwAObXVzaHJvb212aWRlb3MAAAAAAAMgyAALdUpfMUhNQUdiNGsAAQAraHR0cHM6Ly93d3cueW91dHViZS5jb20vd2F0Y2g/dj11Sl8xSE1BR2I0awAAAAd5b3V0dWJlAAAAAAAAAAA=",
		version: 3,
		info:    `{"identifier":"uJ_1HMAGb4k","isSeekable":true,"author":"mushroomvideos","length":205000,"isStream":false,"position":0,"title":"Vance Joy - 'Riptide' Official Video","uri":"https://www.youtube.com/watch?v=uJ_1HMAGb4k","sourceName":"youtube","artworkUrl":null,"isrc":null}`,
	},
	"E v3 youtube surrogate pair": {
		encoded: "QAAA2gMAN0NvenkgYW5pbWFsIGNyb3NzaW5nIG11c2ljIHRoYXQgY3VyZSBteSBoZWFkYWNoZXPtoLztvL8AC1RlbmRvIEZhcm1zAAAAAAA/26gACzhUYkx1Qk9DbFNnAAEAK2h0dHBzOi8vd3d3LnlvdXR1YmUuY29tL3dhdGNoP3Y9OFRiTHVCT0NsU2cBADpodHRwczovL2kueXRpbWcuY29tL3ZpX3dlYnAvOFRiTHVCT0NsU2cvbWF4cmVzZGVmYXVsdC53ZWJwAAAHeW91dHViZQAAAAAAAAAA",
		version: 3,
		info:    `{"identifier":"8TbLuBOClSg","isSeekable":true,"author":"Tendo Farms","length":4185000,"isStream":false,"position":0,"title":"Cozy animal crossing music that cure my headaches🌿","uri":"https://www.youtube.com/watch?v=8TbLuBOClSg","sourceName":"youtube","artworkUrl":"https://i.ytimg.com/vi_webp/8TbLuBOClSg/maxresdefault.webp","isrc":null}`,
	},
	"v2 empty source name": {
		encoded: "QAAAcQIADU1FVEFNT1JQSE9TSVMACklOVEVSV09STEQAAAAAAAIt7gAIOTU5OTA4ODcAAQA1aHR0cHM6Ly9tdXNpYy55YW5kZXgucnUvYWxidW0vMTk2MjI4MjYvdHJhY2svOTU5OTA4ODcAAAAAAAAAAAAA",
		version: 2,
		info:    `{"identifier":"95990887","isSeekable":true,"author":"INTERWORLD","length":142830,"isStream":false,"position":0,"title":"METAMORPHOSIS","uri":"https://music.yandex.ru/album/19622826/track/95990887","sourceName":"","artworkUrl":null,"isrc":null}`,
	},
	"v3 spotify LavaSrc extras": {
		encoded: "QAACLgMAIFZvaXMgc3VyIHRvbiBjaGVtaW4gLSBUZWNobm8gTWl4AAdCRU5ORVRUAAAAAAACt+wAFjMxbmZkRW9vTEVxN2RuM1VNY0llQjUAAQA1aHR0cHM6Ly9vcGVuLnNwb3RpZnkuY29tL3RyYWNrLzMxbmZkRW9vTEVxN2RuM1VNY0llQjUBAEBodHRwczovL2kuc2Nkbi5jby9pbWFnZS9hYjY3NjE2ZDAwMDBiMjczMWI5NmU2NDUwMTZjNGQ0MzE4NDJhYTkzAQAMREVBNjIyMzAxODAxAAdzcG90aWZ5AQAgVm9pcyBzdXIgdG9uIGNoZW1pbiAoVGVjaG5vIE1peCkBADVodHRwczovL29wZW4uc3BvdGlmeS5jb20vYWxidW0vNzlDeWM4R1JXbkx5amRKU015SjBkQgEANmh0dHBzOi8vb3Blbi5zcG90aWZ5LmNvbS9hcnRpc3QvMXI0M3dXNzB0bkdVYXVRWXZZNXc0OAEAQGh0dHBzOi8vaS5zY2RuLmNvL2ltYWdlL2FiNjc2MTYxMDAwMGU1ZWI4MTFiYzk2N2VlZDNkNjFlMThmZGE0OWIBAGtodHRwczovL3Auc2Nkbi5jby9tcDMtcHJldmlldy8zMzU0YWZlNDI5NmQyYjg4OWQzNjk2NTgwNGQ0MTRjNWMyYjM0MTJiP2NpZD1kZmI5ZjcxMDNmNDI0M2Q2Yjg5NzcyYjBhZDhmMTkwNgAAAAAAAAAAAA==",
		version: 3,
		info:    `{"identifier":"31nfdEooLEq7dn3UMcIeB5","isSeekable":true,"author":"BENNETT","length":178156,"isStream":false,"position":0,"title":"Vois sur ton chemin - Techno Mix","uri":"https://open.spotify.com/track/31nfdEooLEq7dn3UMcIeB5","sourceName":"spotify","artworkUrl":"https://i.scdn.co/image/ab67616d0000b2731b96e645016c4d431842aa93","isrc":"DEA622301801"}`,
		lavasrc: true,
	},
	"v3 youtube position 170167": {
		encoded: "QAAAjwMAK1JpdGEgT3JhIC0gWW91ciBTb25nIChPZmZpY2lhbCBMeXJpYyBWaWRlbykACFJpdGEgT3JhAAAAAAACwwgAC2k5NU5sYjdraVBvAAEAK2h0dHBzOi8vd3d3LnlvdXR1YmUuY29tL3dhdGNoP3Y9aTk1TmxiN2tpUG8AAAAHeW91dHViZQAAAAAAAAAA",
		version: 3,
		info:    `{"identifier":"i95Nlb7kiPo","isSeekable":true,"author":"Rita Ora","length":181000,"isStream":false,"position":0,"title":"Rita Ora - Your Song (Official Lyric Video)","uri":"https://www.youtube.com/watch?v=i95Nlb7kiPo","sourceName":"youtube","artworkUrl":null,"isrc":null}`,
	},
}

func TestDecodeVectors(t *testing.T) {
	for name, v := range trackVectors {
		t.Run(name, func(t *testing.T) {
			tr, err := DecodeTrack(v.encoded)
			if err != nil {
				t.Fatal(err)
			}
			if tr.Encoded != v.encoded {
				t.Errorf("Encoded not kept verbatim")
			}
			got, _ := json.Marshal(tr.Info)
			if string(got) != v.info {
				t.Errorf("info\n got %s\nwant %s", got, v.info)
			}
			et, err := ParseEncodedTrack(v.encoded)
			if err != nil {
				t.Fatal(err)
			}
			if et.Version != v.version || et.Unversioned {
				t.Errorf("version %d unversioned %v, want %d", et.Version, et.Unversioned, v.version)
			}
			if v.probe != "" {
				p, err := ParseProbeInfo(et.Extra)
				if err != nil || p != v.probe {
					t.Errorf("probe = %q, %v; want %q", p, err, v.probe)
				}
			}
			if v.lavasrc {
				x, err := ParseLavaSrcExtra(et.Extra)
				if err != nil || x.AlbumName == nil || *x.AlbumName != "Vois sur ton chemin (Techno Mix)" || x.IsPreview {
					t.Errorf("lavasrc = %+v, %v", x, err)
				}
				back, _ := x.Append(nil)
				if !bytes.Equal(back, et.Extra) {
					t.Errorf("lavasrc re-encode differs")
				}
			}
			// Byte-identical round trip (the base64 text too: all vectors are padded).
			re, err := et.Encode()
			if err != nil {
				t.Fatal(err)
			}
			if re != v.encoded {
				t.Errorf("re-encoded\n got %s\nwant %s", re, v.encoded)
			}
			// Rebuilding from the decoded fields alone gives the same bytes.
			var extra []byte
			if v.probe != "" {
				extra, _ = AppendProbeInfo(nil, v.probe)
			} else {
				extra = et.Extra
			}
			fresh := EncodedTrack{Version: v.version, Info: tr.Info, Extra: extra}
			if s, _ := fresh.Encode(); s != v.encoded {
				t.Errorf("rebuilt\n got %s\nwant %s", s, v.encoded)
			}
		})
	}
}

// The annotated example of §5: vector D's bytes, field by field.
func TestVectorDLayout(t *testing.T) {
	b, _ := base64.StdEncoding.DecodeString(trackVectors["D v3 http mp3"].encoded)
	if len(b) != 145 || !bytes.Equal(b[:5], []byte{0x40, 0, 0, 0x8D, 3}) {
		t.Fatalf("len %d head % x", len(b), b[:5])
	}
	if !bytes.HasSuffix(b, []byte("\x00\x04http\x00\x03mp3\x00\x00\x00\x00\x00\x00\x00\x00")) {
		t.Fatalf("tail % x", b[len(b)-20:])
	}
}

func TestEncodeTrackMatchesVector(t *testing.T) {
	uri := "https://www.mboxdrive.com/startmusic.mp3"
	extra, _ := AppendProbeInfo(nil, "mp3")
	got, err := EncodeTrack(TrackInfo{Title: "Death of Me", Author: "SAINT PHNX", Length: 30040, Identifier: uri, URI: &uri, SourceName: "http"}, extra)
	if err != nil || got != trackVectors["D v3 http mp3"].encoded {
		t.Fatalf("got %s, %v", got, err)
	}
}

func TestModifiedUTF8(t *testing.T) {
	cases := map[string]struct {
		s    string
		want []byte
	}{
		"ascii":     {"A", []byte{0, 1, 'A'}},
		"nul":       {"a\x00", []byte{0, 3, 'a', 0xC0, 0x80}},
		"two byte":  {"é", []byte{0, 2, 0xC3, 0xA9}},
		"three":     {"€", []byte{0, 3, 0xE2, 0x82, 0xAC}},
		"emoji":     {"🌿", []byte{0, 6, 0xED, 0xA0, 0xBC, 0xED, 0xBC, 0xBF}},
		"empty":     {"", []byte{0, 0}},
		"bad utf-8": {"\xff", []byte{0, 3, 0xEF, 0xBF, 0xBD}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := appendUTF(nil, c.s)
			if err != nil || !bytes.Equal(got, c.want) {
				t.Fatalf("got % x, %v; want % x", got, err, c.want)
			}
			if c.s == "\xff" {
				return
			}
			back, err := decodeModifiedUTF8(got[2:])
			if err != nil || back != c.s {
				t.Fatalf("decode = %q, %v", back, err)
			}
		})
	}
	if _, err := appendUTF(nil, strings.Repeat("a", 65536)); !errors.Is(err, ErrStringTooLong) {
		t.Errorf("65536 bytes: %v", err)
	}
	if _, err := appendUTF(nil, strings.Repeat("a", 65535)); err != nil {
		t.Errorf("65535 bytes: %v", err)
	}
	for name, b := range map[string][]byte{
		"4-byte utf-8":       {0xF0, 0x9F, 0x8C, 0xBF},
		"raw nul":            {0},
		"overlong A":         {0xC1, 0x81},
		"overlong 3":         {0xE0, 0x81, 0x81},
		"lone high":          {0xED, 0xA0, 0xBC},
		"lone low":           {0xED, 0xBC, 0xBF},
		"truncated":          {0xE2, 0x82},
		"bad continuation":   {0xC3, 0x41},
		"stray continuation": {0x80},
	} {
		if _, err := decodeModifiedUTF8(b); !errors.Is(err, ErrMalformedTrack) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	valid := trackVectors["D v3 http mp3"].encoded
	raw, _ := base64.StdEncoding.DecodeString(valid)
	enc := func(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
	mod := func(f func(b []byte) []byte) string { return enc(f(append([]byte(nil), raw...))) }
	cases := map[string]struct {
		in   string
		want error
	}{
		"empty":        {"", ErrMalformedTrack},
		"not base64":   {"!!!!", ErrBadBase64},
		"url-safe":     {strings.ReplaceAll(enc([]byte{0xfb, 0xff}), "+", "-"), ErrBadBase64},
		"newline":      {valid[:10] + "\n" + valid[10:], ErrBadBase64},
		"bad padding":  {"QQ=", ErrBadBase64},
		"short":        {enc(raw[:3]), ErrMalformedTrack},
		"size too big": {mod(func(b []byte) []byte { b[3]++; return b }), ErrMalformedTrack},
		"truncated":    {enc(raw[:60]), ErrMalformedTrack},
		"version 4":    {mod(func(b []byte) []byte { b[4] = 4; return b }), ErrUnsupportedVersion},
		"version 0":    {mod(func(b []byte) []byte { b[4] = 0; return b }), ErrUnsupportedVersion},
		"flag bit 2":   {mod(func(b []byte) []byte { b[0] |= 0x80; return b }), ErrMalformedTrack},
		"bool byte 2":  {mod(func(b []byte) []byte { b[len(b)-8-5-6-1] = 2; return b }), ErrMalformedTrack},
		"4-byte utf8 title (Lavalink4NET bad vector)": {"QAAA2AMANUNvenkgYW5pbWFsIGNyb3NzaW5nIG11c2ljIHRoYXQgY3VyZSBteSBoZWFkYWNoZXPwn4y/AAtUZW5kbyBGYXJtcwAAAAAAP9uoAAs4VGJMdUJPQ2xTZwABACtodHRwczovL3d3dy55b3V0dWJlLmNvbS93YXRjaD92PThUYkx1Qk9DbFNnAQA6aHR0cHM6Ly9pLnl0aW1nLmNvbS92aV93ZWJwLzhUYkx1Qk9DbFNnL21heHJlc2RlZmF1bHQud2VicAAAB3lvdXR1YmUAAAAAAAKYtw==", ErrMalformedTrack},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := DecodeTrack(c.in); !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
		})
	}
}

func TestDecodeLenient(t *testing.T) {
	// Extras that are not a valid probe info still decode (the common
	// fields are all there); reading the probe info then fails.
	raw, _ := base64.StdEncoding.DecodeString(trackVectors["D v3 http mp3"].encoded)
	raw[len(raw)-8-5]--
	et, err := ParseEncodedTrack(base64.StdEncoding.EncodeToString(raw))
	if err != nil || et.Info.Title != "Death of Me" {
		t.Fatalf("odd extras: %v", err)
	}
	if _, err := ParseProbeInfo(et.Extra); !errors.Is(err, ErrMalformedTrack) {
		t.Errorf("ParseProbeInfo: %v", err)
	}

	v := trackVectors["D v3 http mp3"].encoded
	if _, err := DecodeTrack(strings.TrimRight(v, "=")); err != nil {
		t.Errorf("unpadded: %v", err)
	}
	// Unknown source with extras: common fields kept, position from the end.
	uri := "u"
	et = EncodedTrack{Version: 3, Info: TrackInfo{Title: "t", Identifier: "i", URI: &uri, SourceName: "mystery", Position: 4242, IsSeekable: true}, Extra: []byte{1, 2, 3, 4, 5}}
	s, err := et.Encode()
	if err != nil {
		t.Fatal(err)
	}
	tr, err := DecodeTrack(s)
	if g, w := mustJSON(t, tr.Info), mustJSON(t, et.Info); err != nil || g != w {
		t.Fatalf("got %s, %v; want %s", g, err, w)
	}
	// Trailing bytes after the message are ignored (lavaplayer's stream
	// terminator, for instance).
	raw, _ = base64.StdEncoding.DecodeString(v)
	if _, err := DecodeTrack(base64.StdEncoding.EncodeToString(append(raw, 0, 0, 0, 0))); err != nil {
		t.Errorf("trailing terminator: %v", err)
	}
	// Unversioned (version 1) messages.
	v1 := EncodedTrack{Version: 1, Unversioned: true, Info: TrackInfo{Title: "old", SourceName: "soundcloud", Length: 5, IsSeekable: true}}
	s, err = v1.Encode()
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseEncodedTrack(s)
	if err != nil || !back.Unversioned || back.Version != 1 || mustJSON(t, back.Info) != mustJSON(t, v1.Info) {
		t.Fatalf("v1: %+v %v", back, err)
	}
}

func TestEncodedTrackTrack(t *testing.T) {
	v := trackVectors["B v3 youtube-source"].encoded
	et, _ := ParseEncodedTrack(v)
	tr, err := et.Track()
	if err != nil || tr.Encoded != v || tr.Info.Identifier != "YKkMR2l05Rs" {
		t.Fatalf("%+v %v", tr, err)
	}
}

func TestWithPosition(t *testing.T) {
	s, err := WithPosition(trackVectors["B v3 youtube-source"].encoded, 60000)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := DecodeTrack(s)
	if err != nil || tr.Info.Position != 60000 || tr.Info.Identifier != "YKkMR2l05Rs" {
		t.Fatalf("%+v %v", tr.Info, err)
	}
}

func TestEncodeErrors(t *testing.T) {
	if _, err := (EncodedTrack{Version: 4}).Encode(); !errors.Is(err, ErrUnsupportedVersion) {
		t.Errorf("version 4: %v", err)
	}
	if _, err := (EncodedTrack{Version: 2, Unversioned: true}).Encode(); !errors.Is(err, ErrUnsupportedVersion) {
		t.Errorf("unversioned v2: %v", err)
	}
	if _, err := EncodeTrack(TrackInfo{Title: strings.Repeat("x", 70000)}, nil); !errors.Is(err, ErrStringTooLong) {
		t.Errorf("long title: %v", err)
	}
}

// FuzzDecodeTrack: decoding never panics, and whatever decodes re-encodes
// to exactly the message bytes.
func FuzzDecodeTrack(f *testing.F) {
	for _, v := range trackVectors {
		b, _ := base64.StdEncoding.DecodeString(v.encoded)
		f.Add(b)
	}
	f.Add([]byte{0x40, 0, 0, 1, 3})
	f.Add([]byte{0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		var et EncodedTrack
		if err := et.UnmarshalBinary(b); err != nil {
			return
		}
		out, err := et.MarshalBinary()
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		size := int(b[0]&0x3F)<<24 | int(b[1])<<16 | int(b[2])<<8 | int(b[3])
		if !bytes.Equal(out, b[:4+size]) {
			t.Fatalf("round trip differs:\n in % x\nout % x", b[:4+size], out)
		}
		// And through base64 as the API sees it.
		if _, err := DecodeTrack(base64.StdEncoding.EncodeToString(b)); err != nil {
			t.Fatalf("base64 path: %v", err)
		}
	})
}

func BenchmarkDecodeTrack(b *testing.B) {
	s := trackVectors["B v3 youtube-source"].encoded
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeTrack(s); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeTrack(b *testing.B) {
	et, _ := ParseEncodedTrack(trackVectors["B v3 youtube-source"].encoded)
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = et.AppendBinary(buf[:0]); err != nil {
			b.Fatal(err)
		}
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestDecodeTracks(t *testing.T) {
	a, b := trackVectors["A v2 youtube docs"].encoded, trackVectors["D v3 http mp3"].encoded
	got, err := DecodeTracks([]string{a, b})
	if err != nil || len(got) != 2 || got[0].Encoded != a || got[1].Info.SourceName != "http" {
		t.Fatalf("%+v %v", got, err)
	}
	if _, err := DecodeTracks(nil); !errors.Is(err, ErrNoTracks) {
		t.Errorf("empty: %v", err)
	}
	if _, err := DecodeTracks([]string{a, "!"}); !errors.Is(err, ErrBadBase64) || !strings.Contains(err.Error(), "track 1") {
		t.Errorf("bad: %v", err)
	}
}
