package source

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// mediaCase is one generated file: 2 s of a sine, tagged where the
// container allows it.
type mediaCase struct {
	file      string
	args      []string
	container string
	length    int64 // ms; -1 = stream (unknown)
	title     string
	author    string
	isrc      string
}

var mediaCases = []mediaCase{
	{"id3.mp3", []string{"-metadata", "title=Tïtle", "-metadata", "artist=Art", "-metadata", "TSRC=USRC17607839", "-b:a", "128k"}, "mp3", 2000, "Tïtle", "Art", "USRC17607839"},
	{"cbr.mp3", []string{"-write_xing", "0", "-write_id3v2", "0", "-b:a", "128k"}, "mp3", 2000, "", "", ""},
	{"tags.flac", []string{"-metadata", "title=Flac T", "-metadata", "artist=Flac A", "-metadata", "ISRC=GBAYE0000001"}, "flac", 2000, "Flac T", "Flac A", "GBAYE0000001"},
	{"tags.wav", []string{"-metadata", "title=Wav T", "-metadata", "artist=Wav A"}, "wav", 2000, "Wav T", "Wav A", ""},
	{"opus.ogg", []string{"-c:a", "libopus", "-metadata", "title=Opus T", "-metadata", "artist=Opus A"}, "ogg", 2000, "Opus T", "Opus A", ""},
	{"vorbis.ogg", []string{"-c:a", "libvorbis", "-metadata", "title=Vorbis T", "-metadata", "ARTIST=Vorbis A"}, "ogg", 2000, "Vorbis T", "Vorbis A", ""},
	{"flac.oga", []string{"-c:a", "flac", "-f", "ogg", "-metadata", "title=OggFlac"}, "ogg", 2000, "OggFlac", "", ""},
	{"opus.webm", []string{"-c:a", "libopus", "-metadata", "title=Webm T"}, "matroska/webm", 2000, "Webm T", "", ""},
	{"vorbis.mka", []string{"-c:a", "libvorbis"}, "matroska/webm", 2000, "", "", ""},
	{"end.m4a", []string{"-c:a", "aac", "-metadata", "title=M4a T", "-metadata", "artist=M4a A"}, "mp4", 2000, "M4a T", "M4a A", ""},
	{"fast.m4a", []string{"-c:a", "aac", "-movflags", "+faststart"}, "mp4", 2000, "", "", ""},
	{"raw.aac", []string{"-c:a", "aac", "-f", "adts"}, "adts", -1, "", "", ""},
	{"audio.ts", []string{"-c:a", "aac", "-f", "mpegts"}, "mpegts-adts", -1, "", "", ""},
}

var (
	mediaOnce sync.Once
	mediaDir  string
	mediaErr  error
)

// mediaFiles generates every mediaCase once per test binary with ffmpeg.
func mediaFiles(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg not installed (.ci/run installs it)")
	}
	mediaOnce.Do(func() {
		mediaDir, mediaErr = os.MkdirTemp("", "audionode-source-media")
		if mediaErr != nil {
			return
		}
		for _, c := range mediaCases {
			args := append([]string{"-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=2"}, c.args...)
			args = append(args, filepath.Join(mediaDir, c.file))
			if out, err := exec.Command("ffmpeg", args...).CombinedOutput(); err != nil {
				mediaErr = &exec.Error{Name: "ffmpeg " + c.file + ": " + string(out), Err: err}
				return
			}
		}
	})
	if mediaErr != nil {
		t.Fatal(mediaErr)
	}
	return mediaDir
}
