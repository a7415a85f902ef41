package sched

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/audionode/audionode/node/voicetest"
	"golang.org/x/crypto/chacha20poly1305"
)

// BenchmarkSeal is the per-packet cost without the socket: header, AEAD
// seal (160-byte frame, a typical passthrough size) and the write call.
func BenchmarkSeal(b *testing.B) {
	xc, _ := chacha20poly1305.NewX(make([]byte, 32))
	for name, a := range map[string]cipher.AEAD{"aes256gcm": gcm(b), "xchacha20poly1305": xc} {
		b.Run(name, func(b *testing.B) {
			snd := speakingSender(b, a, io.Discard, nil)
			b.ReportAllocs()
			for b.Loop() {
				snd.tick()
			}
		})
	}
}

// BenchmarkSendUDP adds the loopback UDP write.
func BenchmarkSendUDP(b *testing.B) {
	cl, srv := udpPair(b)
	defer cl.Close()
	defer srv.Close()
	snd := speakingSender(b, gcm(b), cl, nil)
	b.ReportAllocs()
	for b.Loop() {
		snd.tick()
	}
}

// passthrough always has a 160-byte frame ready.
type passthrough struct{ frame [160]byte }

func (p *passthrough) ReadFrame(dst []byte) (int, bool) { return copy(dst, p.frame[:]), true }

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkScheduler runs N passthrough senders through the scheduler to
// the fake voice server on loopback, which decrypts and checks every
// packet. Run it with -benchtime=3s (each iteration is one 20 ms tick).
// Reported: busy-µs/sender-s (shard time per sender per second of audio,
// the scheduler's CPU cost), proc-cpu-% (the whole process, fake server
// included), fake jitter p50/p99 (kernel receive timestamps), nulled
// frames and lost packets (sequence holes at the fake; with many senders
// on a small machine these are mostly the in-process fake falling behind,
// reported as "fake overflow" in the log line).
func BenchmarkScheduler(b *testing.B) {
	for _, n := range []int{100, 1000, 5000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			fake, err := voicetest.NewServer(voicetest.Options{NoDecode: true})
			if err != nil {
				b.Fatal(err)
			}
			defer fake.Close()
			s := New(Options{})
			defer s.Close()
			speaking := make(chan struct{}, 1)
			senders := make([]*Sender, 0, n)
			conns := make([]*net.UDPConn, 0, n)
			defer func() {
				for _, snd := range senders {
					s.Remove(snd)
				}
				for _, c := range conns {
					c.Close()
				}
			}()
			src := &passthrough{}
			_, _ = rand.Read(src.frame[:])
			for i := range n {
				key := make([]byte, 32)
				_, _ = rand.Read(key)
				ssrc := uint32(i + 1)
				if _, err := fake.AddMediaSession(fmt.Sprint(i), ssrc, voicetest.ModeAES256GCM, key); err != nil {
					b.Fatal(err)
				}
				a, _ := newGCM(key)
				c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(fake.UDPAddr()))
				if err != nil {
					b.Fatal(err)
				}
				conns = append(conns, c)
				snd, err := NewSender(SenderConfig{Source: src, Conn: c, SSRC: ssrc, AEAD: a, Speaking: speaking})
				if err != nil {
					b.Fatal(err)
				}
				// Past the speaking handshake before the clock starts.
				snd.tick()
				req, _ := snd.SpeakingRequest()
				snd.SpeakingSent(req)
				snd.waitTicks = speakingDelayTicks
				senders = append(senders, snd)
				if err := s.Add(snd); err != nil {
					b.Fatal(err)
				}
			}
			time.Sleep(time.Second) // warm up
			st0, cpu0, t0 := s.Stats(), cpuTime(), time.Now()
			fake.ResetStats()
			var tx0 uint64
			for _, snd := range senders {
				tx0 += snd.ticks.Load()
			}
			for b.Loop() {
				time.Sleep(20 * time.Millisecond)
			}
			el := time.Since(t0)
			cpu1 := cpuTime()
			var tx1 uint64
			for _, snd := range senders {
				snd.Freeze(true)
				tx1 += snd.ticks.Load()
			}
			time.Sleep(200 * time.Millisecond) // let the fake drain
			st1 := s.Stats()
			tot := fake.Totals()
			sent, nulled := st1.Sent-st0.Sent, st1.Nulled-st0.Nulled
			secs := el.Seconds()
			b.ReportMetric(float64((st1.Busy-st0.Busy).Microseconds())/float64(n)/secs, "busy-µs/sender-s")
			b.ReportMetric(100*float64(cpu1-cpu0)/float64(el), "proc-cpu-%")
			b.ReportMetric(float64(tot.JitterP50.Microseconds())/1000, "jitter-p50-ms")
			b.ReportMetric(float64(tot.JitterP99.Microseconds())/1000, "jitter-p99-ms")
			b.ReportMetric(100*float64(nulled)/float64(max(tx1-tx0, 1)), "nulled-%")
			// Loss as the receiver sees it: holes in each sequence.
			b.ReportMetric(100*float64(tot.SeqGaps)/float64(max(tot.Decrypted+tot.SeqGaps, 1)), "lost-%")
			b.ReportMetric(float64(st1.Resyncs-st0.Resyncs), "resyncs")
			b.ReportMetric(float64(st1.LateP99.Microseconds())/1000, "shard-late-p99-ms")
			if tot.DecryptFailed+tot.NonceRepeats+tot.TimestampErrors+tot.BadHeader != 0 {
				b.Errorf("fake found errors: %+v", tot)
			}
			b.Logf("n=%d: %.1fs, sent %d (%.0f/s), fake decrypted %d, gaps %d, fake overflow %d, arrival p50 %v p99 %v, cpu %v",
				n, secs, sent, float64(sent)/secs, tot.Decrypted, tot.SeqGaps, tot.Overflow, tot.ArrivalP50, tot.ArrivalP99, cpu1-cpu0)
		})
	}
}

func newGCM(key []byte) (cipher.AEAD, error) {
	b, err := aesNewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

var aesNewCipher = aes.NewCipher

// BenchmarkSchedulerNoNet is the scheduler without sockets: N senders
// seal into io.Discard. It isolates the pacing loop, frame pull and AEAD
// from the UDP syscall (which BenchmarkSendUDP measures alone).
func BenchmarkSchedulerNoNet(b *testing.B) {
	for _, n := range []int{1000, 5000, 20000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			s := New(Options{})
			defer s.Close()
			speaking := make(chan struct{}, 1)
			src := &passthrough{}
			senders := make([]*Sender, 0, n)
			for range n {
				snd, err := NewSender(SenderConfig{Source: src, Conn: io.Discard, SSRC: 1, AEAD: gcm(b), Speaking: speaking})
				if err != nil {
					b.Fatal(err)
				}
				snd.tick()
				req, _ := snd.SpeakingRequest()
				snd.SpeakingSent(req)
				snd.waitTicks = speakingDelayTicks
				senders = append(senders, snd)
				if err := s.Add(snd); err != nil {
					b.Fatal(err)
				}
			}
			defer func() {
				for _, snd := range senders {
					s.Remove(snd)
				}
			}()
			time.Sleep(500 * time.Millisecond)
			st0, t0 := s.Stats(), time.Now()
			for b.Loop() {
				time.Sleep(20 * time.Millisecond)
			}
			el := time.Since(t0)
			st1 := s.Stats()
			b.ReportMetric(float64((st1.Busy-st0.Busy).Microseconds())/float64(n)/el.Seconds(), "busy-µs/sender-s")
			b.ReportMetric(float64(st1.Sent-st0.Sent)/el.Seconds()/float64(n)/50*100, "sent-%-of-realtime")
			b.ReportMetric(float64(st1.Resyncs-st0.Resyncs), "resyncs")
			b.ReportMetric(float64(st1.LateP99.Microseconds())/1000, "shard-late-p99-ms")
		})
	}
}
