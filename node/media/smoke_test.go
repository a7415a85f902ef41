package media

import (
	"testing"
)

func TestSmoke(t *testing.T) {
	for _, name := range []string{"s16_44k.wav", "tone.opus"} {
		s := openFile(t, name, DefaultOptions())
		pcm, passed := decodeAll(t, s, 0, nil)
		l, r := channel(pcm, 0), channel(pcm, 1)
		t.Logf("%s: dur %v frames %d passed0 %v domL %v domR %v rms %.2f %.2f", name, s.Duration(), len(pcm)/frameLen, passed[0], dominant(l[9600:33600]), dominant(r[9600:33600]), rmsDB(l[9600:33600]), rmsDB(r[9600:33600]))
	}
}
