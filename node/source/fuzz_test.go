package source

import (
	"encoding/binary"
	"testing"
)

// probeSeeds are minimal headers of every container the probe knows.
func probeSeeds() [][]byte {
	le32 := func(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
	wav := append([]byte("RIFF\x00\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x02\x00\x80\xbb\x00\x00\x00\xee\x02\x00\x04\x00\x10\x00data"), le32(192000)...)
	oggOpus := append([]byte("OggS\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x13"), []byte("OpusHead\x01\x02\x38\x01\x80\xbb\x00\x00\x00\x00\x00")...)
	flac := append([]byte("fLaC\x80\x00\x00\x22"), make([]byte, 34)...)
	flac[8+10], flac[8+11], flac[8+12], flac[8+17] = 0x0B, 0xB8, 0x02, 0xFF
	mp4 := []byte("\x00\x00\x00\x10ftypM4A \x00\x00\x00\x00\x00\x00\x00\x2cmoov\x00\x00\x00\x24mvhd\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x03\xe8\x00\x00\x07\xd0\x00\x00\x00\x00")
	mkv := []byte("\x1a\x45\xdf\xa3\x84\x42\x82\x81w\x18\x53\x80\x67\x90\x15\x49\xa9\x66\x8a\x2a\xd7\xb1\x83\x0f\x42\x40\x44\x89\x84\x45\x9c\x40\x00")
	id3 := []byte("ID3\x03\x00\x00\x00\x00\x00\x0fTIT2\x00\x00\x00\x05\x00\x00\x00Song\xff\xfb\x90\x64\x00\x00\x00\x00")
	mp3 := append([]byte{0xFF, 0xFB, 0x90, 0x64}, make([]byte, 413)...)
	mp3 = append(mp3, 0xFF, 0xFB, 0x90, 0x64)
	adts := []byte{0xFF, 0xF1, 0x50, 0x80, 0x01, 0x1F, 0xFC, 0, 0, 0xFF, 0xF1, 0x50, 0x80, 0x01, 0x1F, 0xFC}
	ts := make([]byte, 377)
	ts[0], ts[188], ts[376] = 0x47, 0x47, 0x47
	return [][]byte{
		wav, oggOpus, flac, mp4, mkv, id3, mp3, adts, ts,
		[]byte("#EXTM3U\n#EXTINF:10,T\nhttp://a/b.mp3\nhttp://a/c.mp3\n"),
		[]byte("#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4,\ns.ts\n#EXT-X-ENDLIST\n"),
		[]byte("[playlist]\nFile1=http://x/1\nTitle1=a\nLength1=5\n"),
		[]byte("OggS\x00"), []byte("ID3\x04\x00\x40\x7f\x7f\x7f\x7f"), []byte{},
	}
}

// FuzzProbe: the probe never panics or runs away on arbitrary bytes, with a
// known or unknown size.
func FuzzProbe(f *testing.F) {
	for _, s := range probeSeeds() {
		f.Add(s, true)
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, b []byte, known bool) {
		size := int64(len(b))
		if !known {
			size = -1
		}
		r, err := probe(bytesSrc{b: b, size: size})
		if err == nil && r.container == "" {
			t.Fatal("success without a container")
		}
		_ = r.probeInfo()
	})
}

// FuzzID3Frames covers the tag parser on its own, for every version and
// header flag combination.
func FuzzID3Frames(f *testing.F) {
	f.Add(byte(3), byte(0), []byte("TIT2\x00\x00\x00\x05\x00\x00\x01\xff\xfeA\x00"))
	f.Add(byte(4), byte(0x40), []byte("\x00\x00\x00\x06\x01\x00TPE1\x00\x00\x00\x03\x00\x03\x03ab"))
	f.Add(byte(2), byte(0x80), []byte("TT2\x00\x00\x03\x00\xff\x00"))
	f.Fuzz(func(t *testing.T, version, flags byte, b []byte) {
		_ = parseID3Frames(version, flags, b)
	})
}

// FuzzVorbisComment covers the comment block parser shared by Ogg and FLAC.
func FuzzVorbisComment(f *testing.F) {
	f.Add([]byte("\x03\x00\x00\x00abc\x02\x00\x00\x00\x07\x00\x00\x00TITLE=x\x08\x00\x00\x00ARTIST=y"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var r probeResult
		parseVorbisComment(b, &r)
	})
}
