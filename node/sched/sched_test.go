package sched

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/audionode/audionode/node/audio"
	"go.uber.org/goleak"
	"golang.org/x/crypto/chacha20poly1305"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func gcm(t testing.TB) cipher.AEAD {
	b, err := aes.NewCipher(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	a, err := cipher.NewGCM(b)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// source yields n numbered frames (or forever when n < 0), with an
// optional one-off stall inside ReadFrame.
type source struct {
	n     atomic.Int64
	i     atomic.Int64
	off   atomic.Bool
	stall atomic.Int64 // ns to sleep in the next ReadFrame
}

func (s *source) ReadFrame(dst []byte) (int, bool) {
	if d := s.stall.Swap(0); d > 0 {
		time.Sleep(time.Duration(d))
	}
	if s.off.Load() {
		return 0, false
	}
	i := s.i.Add(1) - 1
	if n := s.n.Load(); n >= 0 && i >= n {
		return 0, false
	}
	binary.BigEndian.PutUint32(dst, uint32(i))
	dst[4] = 0xAA
	return 5, true
}

type packet struct {
	at time.Time
	b  []byte
}

// recorder is the sender's "socket" in fake time.
type recorder struct {
	mu   sync.Mutex
	pkts []packet
}

func (r *recorder) Write(b []byte) (int, error) {
	r.mu.Lock()
	r.pkts = append(r.pkts, packet{time.Now(), append([]byte(nil), b...)})
	r.mu.Unlock()
	return len(b), nil
}

func (r *recorder) all() []packet {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]packet(nil), r.pkts...)
}

type speakEvent struct {
	at time.Time
	on bool
}

// owner plays the voice connection's part of the speaking handshake.
func owner(snd *Sender, ch <-chan struct{}, quit <-chan struct{}, mu *sync.Mutex, events *[]speakEvent) {
	for {
		select {
		case <-ch:
			req, on := snd.SpeakingRequest()
			mu.Lock()
			*events = append(*events, speakEvent{time.Now(), on})
			mu.Unlock()
			snd.SpeakingSent(req)
		case <-quit:
			return
		}
	}
}

func open(t *testing.T, a cipher.AEAD, p []byte) []byte {
	t.Helper()
	n := make([]byte, a.NonceSize())
	copy(n, p[len(p)-4:])
	out, err := a.Open(nil, n, p[12:len(p)-4], p[:12])
	if err != nil {
		t.Fatalf("packet does not decrypt: %v", err)
	}
	return out
}

// xform is a stand-in DAVE transform: it appends two marker bytes and can
// refuse frames.
type xform struct{ refuse atomic.Bool }

func (x *xform) TransformFrame(dst, frame []byte) (int, bool) {
	if x.refuse.Load() {
		return 0, false
	}
	n := copy(dst, frame)
	dst[n], dst[n+1] = 0xFA, 0xFA
	return n + 2, true
}

func TestSenderInFakeTime(t *testing.T) {
	for _, withX := range []bool{false, true} {
		synctest.Test(t, func(t *testing.T) {
			s := New(Options{Shards: 2})
			defer s.Close()
			rec := &recorder{}
			src := &source{}
			src.n.Store(10)
			ch := make(chan struct{}, 1)
			a := gcm(t)
			cfg := SenderConfig{Source: src, Conn: rec, SSRC: 77, AEAD: a, Speaking: ch, Seq: 65530, Timestamp: 1<<32 - 960, Nonce: 1<<32 - 2}
			var x *xform
			if withX {
				x = &xform{}
				cfg.Transform = x
			}
			snd, err := NewSender(cfg)
			if err != nil {
				t.Fatal(err)
			}
			quit := make(chan struct{})
			var mu sync.Mutex
			var events []speakEvent
			go owner(snd, ch, quit, &mu, &events)
			defer close(quit)
			if err := s.Add(snd); err != nil {
				t.Fatal(err)
			}
			if err := s.Add(snd); err != ErrAdded {
				t.Errorf("second Add: %v", err)
			}
			time.Sleep(time.Second)
			synctest.Wait()
			pk := rec.all()
			if len(pk) != 15 {
				t.Fatalf("%d packets, want 10 audio + 5 silence", len(pk))
			}
			mu.Lock()
			ev := append([]speakEvent(nil), events...)
			mu.Unlock()
			if len(ev) != 2 || !ev[0].on || ev[1].on {
				t.Fatalf("speaking events %+v", ev)
			}
			if !pk[0].at.After(ev[0].at) || !ev[1].at.After(pk[14].at) {
				t.Errorf("speaking on %v, first packet %v, last packet %v, off %v", ev[0].at, pk[0].at, pk[14].at, ev[1].at)
			}
			for i, p := range pk {
				h := p.b[:12]
				if h[0] != 0x80 || h[1] != 0x78 || binary.BigEndian.Uint32(h[8:]) != 77 {
					t.Fatalf("packet %d header %x", i, h)
				}
				if seq := binary.BigEndian.Uint16(h[2:]); seq != uint16(65530+i) {
					t.Errorf("packet %d seq %d", i, seq)
				}
				if ts := binary.BigEndian.Uint32(h[4:]); ts != uint32(1<<32-960+960*i) {
					t.Errorf("packet %d timestamp %d", i, ts)
				}
				if n := binary.BigEndian.Uint32(p.b[len(p.b)-4:]); n != uint32(1<<32-2+i) {
					t.Errorf("packet %d nonce %d", i, n)
				}
				if i > 0 && p.at.Sub(pk[i-1].at) != 20*time.Millisecond {
					t.Errorf("packet %d after %v", i, p.at.Sub(pk[i-1].at))
				}
				pl := open(t, a, p.b)
				if withX {
					if len(pl) < 2 || pl[len(pl)-1] != 0xFA {
						t.Fatalf("packet %d not transformed: %x", i, pl)
					}
					pl = pl[:len(pl)-2]
				}
				if i < 10 && (len(pl) != 5 || binary.BigEndian.Uint32(pl) != uint32(i)) {
					t.Errorf("packet %d payload %x", i, pl)
				}
				if i >= 10 && string(pl) != string(audio.SilenceFrame[:]) {
					t.Errorf("packet %d not silence: %x", i, pl)
				}
			}
			st := snd.Stats()
			if st.Sent != 15 || st.Silence != 5 || st.Ticks != st.Sent+st.Nulled+st.Deficit() || st.Deficit() != 1+speakingDelayTicks {
				t.Errorf("stats %+v deficit %d", st, st.Deficit())
			}
			if g := s.Stats(); g.Sent != st.Sent || g.Nulled != st.Nulled || g.Deficit != st.Deficit() {
				t.Errorf("scheduler stats %+v, sender %+v", g, st)
			}
			if withX {
				// A refusing transform (DAVE not ready) sends nothing.
				x.refuse.Store(true)
				src.n.Store(-1)
				time.Sleep(200 * time.Millisecond)
				synctest.Wait()
				if n := len(rec.all()); n != 15 {
					t.Errorf("%d packets while the transform refused", n)
				}
			}
			s.Remove(snd)
			s.Remove(snd)
		})
	}
}

func TestKeepaliveAndRemove(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := New(Options{Shards: 1})
		defer s.Close()
		rec := &recorder{}
		src := &source{}
		ch := make(chan struct{}, 1)
		snd, _ := NewSender(SenderConfig{Source: src, Conn: rec, SSRC: 9, AEAD: gcm(t), Speaking: ch})
		_ = s.Add(snd)
		time.Sleep(11 * time.Second)
		synctest.Wait()
		pk := rec.all()
		if len(pk) != 2 {
			t.Fatalf("%d keepalives in 11 s, want 2", len(pk))
		}
		for _, p := range pk {
			if len(p.b) != 8 || binary.BigEndian.Uint32(p.b) != 9 {
				t.Errorf("keepalive %x", p.b)
			}
		}
		if st := snd.Stats(); st.Keepalives != 2 || st.Nulled != st.Ticks {
			t.Errorf("stats %+v", st)
		}
		s.Remove(snd)
		before := src.i.Load()
		time.Sleep(time.Second)
		synctest.Wait()
		if src.i.Load() != before {
			t.Error("source pulled after Remove")
		}
		if st := s.Stats(); st.Senders != 0 || st.Ticks < 500 {
			t.Errorf("scheduler stats %+v", st)
		}
	})
}

func TestResyncInsteadOfBurst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := New(Options{Shards: 1})
		defer s.Close()
		rec := &recorder{}
		src := &source{}
		src.n.Store(-1)
		ch := make(chan struct{}, 1)
		snd, _ := NewSender(SenderConfig{Source: src, Conn: rec, SSRC: 1, AEAD: gcm(t), Speaking: ch})
		quit := make(chan struct{})
		defer close(quit)
		var mu sync.Mutex
		var ev []speakEvent
		go owner(snd, ch, quit, &mu, &ev)
		_ = s.Add(snd)
		time.Sleep(500 * time.Millisecond)
		src.stall.Store(int64(150 * time.Millisecond)) // the shard stalls for 7.5 frames
		time.Sleep(time.Second)
		synctest.Wait()
		pk := rec.all()
		for i := 1; i < len(pk); i++ {
			if d := pk[i].at.Sub(pk[i-1].at); d < 20*time.Millisecond {
				t.Fatalf("burst: packets %d and %d %v apart", i-1, i, d)
			}
		}
		if st := s.Stats(); st.Resyncs != 1 {
			t.Errorf("resyncs %d", st.Resyncs)
		}
		s.Remove(snd)
	})
}

func TestNewSenderChecks(t *testing.T) {
	ch := make(chan struct{}, 1)
	if _, err := NewSender(SenderConfig{Conn: &recorder{}, AEAD: gcm(t), Speaking: ch}); err != ErrBadConfig {
		t.Errorf("no source: %v", err)
	}
	s := New(Options{Shards: 1})
	s.Close()
	snd, _ := NewSender(SenderConfig{Source: &source{}, Conn: &recorder{}, AEAD: gcm(t), Speaking: ch})
	if err := s.Add(snd); err != ErrClosed {
		t.Errorf("Add after Close: %v", err)
	}
	s.Close()
}

// udpPair returns a connected client socket and its listening peer.
func udpPair(t testing.TB) (*net.UDPConn, *net.UDPConn) {
	srv, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	cl, err := net.DialUDP("udp", nil, srv.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	return cl, srv
}

// speakingSender returns a sender already past the speaking handshake.
func speakingSender(t testing.TB, a cipher.AEAD, w interface{ Write([]byte) (int, error) }, x FrameTransformer) *Sender {
	ch := make(chan struct{}, 1)
	snd, err := NewSender(SenderConfig{Source: &passthrough{}, Conn: w, SSRC: 5, AEAD: a, Speaking: ch, Transform: x})
	if err != nil {
		t.Fatal(err)
	}
	snd.tick()
	req, _ := snd.SpeakingRequest()
	snd.SpeakingSent(req)
	for snd.state != stateSpeaking {
		snd.tick()
	}
	return snd
}

func TestSendPathAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts differ under -race")
	}
	cl, srv := udpPair(t)
	defer cl.Close()
	defer srv.Close()
	xc, err := chacha20poly1305.NewX(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	for name, a := range map[string]cipher.AEAD{"aes-gcm": gcm(t), "xchacha": xc} {
		for _, x := range []FrameTransformer{nil, &xform{}} {
			snd := speakingSender(t, a, cl, x)
			if n := testing.AllocsPerRun(500, func() { snd.tick() }); n != 0 {
				t.Errorf("%s transform=%v: %v allocations per frame", name, x != nil, n)
			}
			// The shard's loop around it (panic guard included).
			sh := &shard{senders: []*Sender{snd}}
			if n := testing.AllocsPerRun(500, func() { sh.tickFrom(0) }); n != 0 {
				t.Errorf("%s transform=%v: %v allocations per shard tick", name, x != nil, n)
			}
			if st := snd.Stats(); st.Errors != 0 || st.Sent < 500 {
				t.Errorf("%s: %+v", name, st)
			}
		}
	}
}

type panicky struct{ n atomic.Int64 }

func (p *panicky) ReadFrame([]byte) (int, bool) {
	if p.n.Add(1) == 3 {
		panic("broken source")
	}
	return 0, false
}

// TestPanicIsolated: one sender's panicking source stops that sender only.
func TestPanicIsolated(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := New(Options{Shards: 1})
		defer s.Close()
		ch := make(chan struct{}, 1)
		bad, _ := NewSender(SenderConfig{Source: &panicky{}, Conn: &recorder{}, SSRC: 1, AEAD: gcm(t), Speaking: ch})
		goodSrc := &source{}
		good, _ := NewSender(SenderConfig{Source: goodSrc, Conn: &recorder{}, SSRC: 2, AEAD: gcm(t), Speaking: ch})
		_ = s.Add(bad)
		_ = s.Add(good)
		time.Sleep(200 * time.Millisecond)
		synctest.Wait()
		if !bad.Failed() || good.Failed() || s.Stats().Panics != 1 {
			t.Errorf("bad failed %v, good failed %v, panics %d", bad.Failed(), good.Failed(), s.Stats().Panics)
		}
		if n := goodSrc.i.Load(); n < 9 {
			t.Errorf("good sender pulled %d frames in 10 ticks", n)
		}
		s.Remove(bad)
		s.Remove(good)
	})
}

// TestIdleShardsSleep: without senders no shard ticks; a sender added
// later is served on the shard's phase grid.
func TestIdleShardsSleep(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		s := New(Options{Shards: 1})
		defer s.Close()
		time.Sleep(time.Second + 5*time.Millisecond)
		synctest.Wait()
		if n := s.Stats().Ticks; n != 0 {
			t.Fatalf("%d ticks with no senders", n)
		}
		rec := &recorder{}
		src := &source{}
		src.n.Store(-1)
		ch := make(chan struct{}, 1)
		snd, _ := NewSender(SenderConfig{Source: src, Conn: rec, SSRC: 1, AEAD: gcm(t), Speaking: ch})
		quit := make(chan struct{})
		defer close(quit)
		var mu sync.Mutex
		var ev []speakEvent
		go owner(snd, ch, quit, &mu, &ev)
		_ = s.Add(snd)
		time.Sleep(200 * time.Millisecond)
		synctest.Wait()
		pk := rec.all()
		if len(pk) == 0 {
			t.Fatal("no packets after Add")
		}
		for _, p := range pk {
			if off := p.at.Sub(start) % (20 * time.Millisecond); off != 0 {
				t.Errorf("packet off the phase grid by %v", off)
			}
		}
		s.Remove(snd)
	})
}
