package media

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/audionode/audionode/node/media/mp3"
)

// TestTaggedADTS: ADTS behind an ID3v2 tag goes to the ADTS demuxer, not
// to the MP3 decoder, and the tag is not read as frames.
func TestTaggedADTS(t *testing.T) {
	raw, err := os.ReadFile(containerMedia(t, "tone.aac"))
	if err != nil {
		t.Fatal(err)
	}
	tag := append([]byte("ID3\x04\x00\x00\x00\x00\x01\x00"), make([]byte, 128)...) // 128-byte body
	tag[20], tag[21] = 0xFF, 0xF1                                                  // a false sync inside the tag
	b := append(tag, raw...)
	s, err := Open(context.Background(), bytes.NewReader(b), DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	want, _ := openADTS(newInput(bytes.NewReader(raw)))
	if got := s.Duration(); got <= 0 || want.total <= 0 {
		t.Fatalf("duration %v", got)
	}
}

// TestTaggedADTSFrames: after the tag, the frames are those of the file.
func TestTaggedADTSFrames(t *testing.T) {
	raw, err := os.ReadFile(containerMedia(t, "tone.aac"))
	if err != nil {
		t.Fatal(err)
	}
	b := append(append([]byte("ID3\x04\x00\x00\x00\x00\x00\x20"), make([]byte, 32)...), raw...)
	in := newInput(bytes.NewReader(b))
	if err := in.skip(int64(mp3.ID3v2Size(b))); err != nil {
		t.Fatal(err)
	}
	a, err := openADTS(in)
	if err != nil {
		t.Fatal(err)
	}
	checkPackets(t, containerMedia(t, "tone.aac"), a, 0, 7)
}
