package voice

import (
	"encoding/json"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/audionode/audionode/node/voicetest"
)

// stubDAVE records what the connection hands the DAVE seam and passes
// frames through unchanged (so the fake can still decode them).
type stubDAVE struct {
	p      DAVEParams
	mu     sync.Mutex
	desc   []int
	json   []int
	bin    []byte
	closed int
	frames atomic.Uint64
}

func (s *stubDAVE) MaxProtocolVersion() int { return 1 }
func (s *stubDAVE) SessionDescription(v int) {
	s.mu.Lock()
	s.desc = append(s.desc, v)
	s.mu.Unlock()
	_ = s.p.Gateway.SendBinary(26, []byte("key package"))
}
func (s *stubDAVE) HandleJSON(op int, _ json.RawMessage) {
	s.mu.Lock()
	s.json = append(s.json, op)
	s.mu.Unlock()
}
func (s *stubDAVE) HandleBinary(op byte, _ []byte) {
	s.mu.Lock()
	s.bin = append(s.bin, op)
	s.mu.Unlock()
}
func (s *stubDAVE) TransformFrame(dst, frame []byte) (int, bool) {
	s.frames.Add(1)
	return copy(dst, frame), true
}
func (s *stubDAVE) Reset() {}
func (s *stubDAVE) Close() {
	s.mu.Lock()
	s.closed++
	s.mu.Unlock()
}

func TestDAVESeam(t *testing.T) {
	rg := newRig(t, false, voicetest.Options{})
	var stub *stubDAVE
	c := NewConnector(Config{AllowInsecureEndpoints: true, Scheduler: rg.conn.Scheduler(), DAVE: func(p DAVEParams) DAVESession {
		stub = &stubDAVE{p: p}
		return stub
	}})
	defer c.Close()
	src := &frameSource{frames: tones(t), loop: true}
	vc, err := c.Connect(waitCtx(t, 5*time.Second), rg.state, src, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := waitCtx(t, 10*time.Second)
	r, err := rg.sess.WaitFor(ctx, func(r voicetest.Report) bool { return r.BinaryMessages >= 1 && r.DecodedFrames >= 10 })
	if err != nil {
		t.Fatalf("%+v", r)
	}
	if r.MaxDAVE != 1 || r.LastBinaryOp != 26 {
		t.Errorf("identify max_dave %d, binary op %d", r.MaxDAVE, r.LastBinaryOp)
	}
	if err := rg.sess.SendBinary(25, []byte{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	rg.sess.SendJSON(21, map[string]any{"transition_id": 1, "protocol_version": 1})
	rg.sess.SendClientsConnect("42")
	r, err = rg.sess.WaitFor(ctx, func(r voicetest.Report) bool { return r.LastSeqAck == r.LastSeq && r.LastSeq == 5 })
	if err != nil {
		t.Fatalf("binary seq not acknowledged: %+v", r)
	}
	vc.Close()
	stub.mu.Lock()
	defer stub.mu.Unlock()
	if !slices.Equal(stub.desc, []int{0}) || !slices.Equal(stub.bin, []byte{25}) || !slices.Equal(stub.json, []int{21, 11}) || stub.closed != 1 {
		t.Errorf("seam saw desc %v binary %v json %v closed %d", stub.desc, stub.bin, stub.json, stub.closed)
	}
	if stub.frames.Load() < 10 || stub.p.ChannelID != "333" || stub.p.UserID != "222" {
		t.Errorf("transformed %d frames, params %+v", stub.frames.Load(), stub.p)
	}
	checkClean(t, r)
}

// TestPauseResume plays, pauses (silence tail, speaking 0), resumes
// (speaking 1 before the first packet) and stops.
func TestPauseResume(t *testing.T) {
	rg := newRig(t, false, voicetest.Options{})
	src := &frameSource{frames: tones(t), loop: true}
	vc, err := rg.conn.Connect(waitCtx(t, 5*time.Second), rg.state, src, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer vc.Close()
	ctx := waitCtx(t, 15*time.Second)
	wait := func(what string, cond func(voicetest.Report) bool) voicetest.Report {
		t.Helper()
		r, err := rg.sess.WaitFor(ctx, cond)
		if err != nil {
			t.Fatalf("%s: %+v", what, r)
		}
		return r
	}
	wait("playing", func(r voicetest.Report) bool { return r.Packets >= 20 })
	src.paused.Store(true)
	r := wait("paused", func(r voicetest.Report) bool { return r.SpeakingOff == 1 && r.SilenceRuns == 1 })
	paused := r.Packets
	time.Sleep(200 * time.Millisecond)
	if r := rg.sess.Report(); r.Packets != paused {
		t.Errorf("%d packets while paused", r.Packets-paused)
	}
	src.paused.Store(false)
	wait("resumed", func(r voicetest.Report) bool { return r.SpeakingOn == 2 && r.Packets >= paused+20 })
	src.stop.Store(true)
	r = wait("stopped", func(r voicetest.Report) bool { return r.SpeakingOff == 2 && r.SilenceRuns == 2 })
	checkClean(t, r)
	if r.SeqGaps != 0 || r.BadSilenceRuns != 0 || r.SilenceFrames != 10 {
		t.Errorf("gaps %d bad runs %d silence frames %d", r.SeqGaps, r.BadSilenceRuns, r.SilenceFrames)
	}
	sent, nulled := vc.Frames()
	if sent != r.Packets || nulled == 0 {
		t.Errorf("frames sent %d nulled %d; fake got %d", sent, nulled, r.Packets)
	}
}
