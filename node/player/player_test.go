package player

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"

	"github.com/audionode/audionode/node/audio"
	"github.com/audionode/audionode/node/lavalink"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// countStream yields numbered one-byte frames up to n, then EOF.
type countStream struct {
	mu      sync.Mutex
	next    int
	n       int
	closed  bool
	panicAt int
}

func (s *countStream) ReadFrame(dst []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.panicAt > 0 && s.next == s.panicAt {
		panic("decoder exploded")
	}
	if s.next >= s.n {
		return 0, io.EOF
	}
	dst[0] = byte(s.next)
	s.next++
	return 1, nil
}
func (s *countStream) Seek(pos time.Duration) error {
	s.mu.Lock()
	s.next = int(pos / audio.FrameDuration)
	s.mu.Unlock()
	return nil
}
func (s *countStream) Close() error { s.mu.Lock(); s.closed = true; s.mu.Unlock(); return nil }

type opener struct{ s *countStream }

func (o opener) Open(context.Context, lavalink.Track, time.Duration) (audio.TrackStream, error) {
	return o.s, nil
}

type events struct {
	mu   sync.Mutex
	msgs []lavalink.Message
}

func (e *events) emit(m lavalink.Message) { e.mu.Lock(); e.msgs = append(e.msgs, m); e.mu.Unlock() }
func (e *events) ends() []lavalink.TrackEndReason {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []lavalink.TrackEndReason
	for _, m := range e.msgs {
		if end, ok := m.(lavalink.TrackEndEvent); ok {
			out = append(out, end.Reason)
		}
	}
	return out
}

func track(t *testing.T) string {
	t.Helper()
	enc, err := lavalink.EncodeTrack(lavalink.TrackInfo{Identifier: "/x.wav", Title: "x", Length: 10000, SourceName: "local", IsSeekable: true}, []byte{0, 3, 'w', 'a', 'v'})
	if err != nil {
		// probe info layout differs: fall back to no extra
		enc, err = lavalink.EncodeTrack(lavalink.TrackInfo{Identifier: "x", Title: "x", Length: 10000, SourceName: "unknown"}, nil)
		if err != nil {
			t.Fatal(err)
		}
	}
	return enc
}

func newTestPlayer(s *countStream, ev *events) *Player {
	cfg := &Config{Opener: opener{s}, BufferFrames: 8, StuckThreshold: time.Second, Log: slog.New(slog.DiscardHandler)}
	return New(cfg, "1", "2", ev.emit)
}

func play(t *testing.T, p *Player, enc string) {
	t.Helper()
	var u lavalink.PlayerUpdate
	u.Track = lavalink.Some(lavalink.PlayerUpdateTrack{Encoded: lavalink.Value(enc)})
	if err := p.Update(context.Background(), u, false); err != nil {
		t.Fatal(err)
	}
}

// TestPositionFollowsConsumedFrames drives ReadFrame as the scheduler
// would, every 20 ms in fake time: position advances only by frames pulled,
// and the track finishes after the last one.
func TestPositionFollowsConsumedFrames(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := &countStream{n: 100}
		ev := &events{}
		p := newTestPlayer(s, ev)
		defer p.Close("")
		play(t, p, track(t))
		synctest.Wait()
		if got := p.State().Position; got != 0 {
			t.Fatalf("position %d before any pull", got)
		}
		buf := make([]byte, audio.MaxOpusFrame)
		for i := range 50 {
			n, ok := p.ReadFrame(buf)
			if !ok || n != 1 || buf[0] != byte(i) {
				t.Fatalf("frame %d: n=%d ok=%v b=%d", i, n, ok, buf[0])
			}
			time.Sleep(audio.FrameDuration)
			synctest.Wait()
		}
		if got := p.State().Position; got != 1000 {
			t.Fatalf("position %d after 50 frames, want 1000", got)
		}
		// Paused: nothing is pulled, position holds.
		p.paused.Store(true)
		if _, ok := p.ReadFrame(buf); ok {
			t.Fatal("frame while paused")
		}
		p.paused.Store(false)
		for range 50 {
			p.ReadFrame(buf)
			time.Sleep(audio.FrameDuration)
			synctest.Wait()
		}
		time.Sleep(200 * time.Millisecond)
		synctest.Wait()
		if got := ev.ends(); len(got) != 1 || got[0] != lavalink.EndFinished {
			t.Fatalf("ends %v", got)
		}
		if p.HasTrack() {
			t.Fatal("track kept after finishing")
		}
	})
}

func TestReadFrameAllocatesNothing(t *testing.T) {
	s := &countStream{n: 1 << 30}
	ev := &events{}
	p := newTestPlayer(s, ev)
	defer p.Close("")
	play(t, p, track(t))
	buf := make([]byte, audio.MaxOpusFrame)
	for p.cur.Load().ring.len() == 0 {
		time.Sleep(time.Millisecond)
	}
	allocs := testing.AllocsPerRun(1000, func() {
		for {
			if _, ok := p.ReadFrame(buf); ok {
				return
			}
		}
	})
	if allocs != 0 {
		t.Fatalf("ReadFrame allocates %.1f per frame", allocs)
	}
}

func BenchmarkReadFrame(b *testing.B) {
	s := &countStream{n: 1 << 62}
	p := newTestPlayer(s, &events{})
	defer p.Close("")
	var u lavalink.PlayerUpdate
	enc, _ := lavalink.EncodeTrack(lavalink.TrackInfo{Identifier: "x", Title: "x", Length: 1 << 40, SourceName: "unknown"}, nil)
	u.Track = lavalink.Some(lavalink.PlayerUpdateTrack{Encoded: lavalink.Value(enc)})
	_ = p.Update(context.Background(), u, false)
	buf := make([]byte, audio.MaxOpusFrame)
	b.ReportAllocs()
	for b.Loop() {
		for {
			if _, ok := p.ReadFrame(buf); ok {
				break
			}
		}
	}
}

func TestEndReasons(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ev := &events{}
		s := &countStream{n: 1000}
		p := newTestPlayer(s, ev)
		enc := track(t)
		play(t, p, enc)
		play(t, p, enc) // replaced
		var stop lavalink.PlayerUpdate
		stop.Track = lavalink.Some(lavalink.PlayerUpdateTrack{Encoded: lavalink.Null[string]()})
		if err := p.Update(context.Background(), stop, false); err != nil {
			t.Fatal(err)
		}
		play(t, p, enc)
		p.Close(lavalink.EndCleanup)
		p.Close(lavalink.EndStopped) // idempotent
		synctest.Wait()
		want := []lavalink.TrackEndReason{lavalink.EndReplaced, lavalink.EndStopped, lavalink.EndCleanup}
		got := ev.ends()
		if len(got) != len(want) {
			t.Fatalf("ends %v, want %v", got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("ends %v, want %v", got, want)
			}
		}
	})
}

func TestDecoderPanicEndsOnlyTheTrack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ev := &events{}
		s := &countStream{n: 1000, panicAt: 3}
		p := newTestPlayer(s, ev)
		defer p.Close("")
		play(t, p, track(t))
		synctest.Wait()
		var sawException bool
		ev.mu.Lock()
		for _, m := range ev.msgs {
			if _, ok := m.(lavalink.TrackExceptionEvent); ok {
				sawException = true
			}
		}
		ev.mu.Unlock()
		if !sawException || p.HasTrack() {
			t.Fatalf("exception %v, track kept %v", sawException, p.HasTrack())
		}
		if got := ev.ends(); len(got) != 1 || got[0] != lavalink.EndFinished {
			t.Fatalf("ends %v", got)
		}
	})
}

func TestStuckEventOncePerTrack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ev := &events{}
		s := &countStream{n: 0} // EOF at once would finish; use a stream that never yields
		blocked := &blockStream{release: make(chan struct{})}
		cfg := &Config{Opener: blockOpener{blocked}, BufferFrames: 8, StuckThreshold: time.Second, Log: slog.New(slog.DiscardHandler)}
		_ = s
		p := New(cfg, "1", "2", ev.emit)
		play(t, p, track(t))
		buf := make([]byte, audio.MaxOpusFrame)
		for range 150 { // 3 s of polling with nothing to send
			p.ReadFrame(buf)
			time.Sleep(audio.FrameDuration)
			p.CheckStuck()
		}
		synctest.Wait()
		n := 0
		ev.mu.Lock()
		for _, m := range ev.msgs {
			if _, ok := m.(lavalink.TrackStuckEvent); ok {
				n++
			}
		}
		ev.mu.Unlock()
		if n != 1 {
			t.Fatalf("%d stuck events, want 1", n)
		}
		close(blocked.release)
		p.Close("")
	})
}

type blockStream struct{ release chan struct{} }

func (b *blockStream) ReadFrame([]byte) (int, error) { <-b.release; return 0, io.EOF }
func (b *blockStream) Seek(time.Duration) error      { return nil }
func (b *blockStream) Close() error                  { return nil }

type blockOpener struct{ s *blockStream }

func (o blockOpener) Open(context.Context, lavalink.Track, time.Duration) (audio.TrackStream, error) {
	return o.s, nil
}

func TestCleanupWithoutPolls(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ev := &events{}
		p := newTestPlayer(&countStream{n: 1 << 20}, ev)
		defer p.Close("")
		play(t, p, track(t))
		p.CheckCleanup(time.Now().Add(30 * time.Second))
		if !p.HasTrack() {
			t.Fatal("cleaned up too early")
		}
		p.CheckCleanup(time.Now().Add(61 * time.Second))
		synctest.Wait()
		if got := ev.ends(); len(got) != 1 || got[0] != lavalink.EndCleanup || p.HasTrack() {
			t.Fatalf("ends %v", got)
		}
	})
}
