package voicetest

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"net/netip"
	"sync"
	"time"

	"github.com/pion/opus"
)

// replayLimit bounds the numbered messages kept for replay on resume.
const replayLimit = 256

// nonceWindow is how many recent nonces are remembered to catch repeats;
// load sessions (NoDecode) keep fewer to stay small by the thousand.
const (
	nonceWindow     = 4096
	nonceWindowLoad = 256
)

// analysisSamples is how much decoded audio per channel is kept.
const analysisSamples = 1 << 15

// Report is a snapshot of what the fake saw for one session.
type Report struct {
	// Gateway.
	Identifies, Resumes int
	Heartbeats          int
	AcksWithheld        int
	BadSeqAck           int // heartbeat or resume seq_ack above the last seq sent
	LastSeq, LastSeqAck int // last numbered message sent; last seq_ack received
	Replayed            int // messages re-sent after a resume
	MaxDAVE             int // max_dave_protocol_version from the last Identify
	Mode                string
	SSRC                uint32
	SpeakingOn          int // op 5 with flags != 0
	SpeakingOff         int // op 5 with flags == 0
	BadSpeakingSSRC     int
	UnknownOps          int
	MediaSinkWants      int // op 15 from the client
	BinaryMessages      int // client binary frames ([op][payload])
	LastBinaryOp        int
	ClosesInjected      []int
	Connected           bool

	// Media.
	Packets          uint64
	Decrypted        uint64
	DecryptFailed    uint64
	BadHeader        uint64 // byte 0 != 0x80 or PT != 120
	SeqGaps          uint64 // packets missing between consecutive seqs
	Reorders         uint64 // duplicate or backwards seq
	TimestampErrors  uint64 // timestamp step != 960 per seq step
	NonceRepeats     uint64
	BeforeSpeaking   uint64 // RTP before the first speaking != 0
	WhileNotSpeaking uint64 // RTP after speaking 0 and before the next speaking != 0
	SilenceFrames    uint64
	SilenceRuns      int // finished runs of F8 FF FE frames
	BadSilenceRuns   int // runs whose length was not exactly 5
	Keepalives       uint64
	DroppedUDP       uint64
	DecodedFrames    uint64
	DecodeErrors     uint64

	// Inter-arrival of consecutive packets (seq step 1, tails excluded).
	ArrivalP50, ArrivalP99, ArrivalMax time.Duration
	JitterP50, JitterP99               time.Duration // |inter-arrival - 20 ms|
	Late40                             uint64        // inter-arrivals above 40 ms

	Channels [2]ChannelReport

	DAVE DAVEReport // with Options.DAVE
}

// Session is the fake's view of one guild's voice session.
type Session struct {
	srv *Server

	mu           sync.Mutex
	creds        Credentials
	gw           *gwConn
	seq          int
	replay       [][]byte // numbered messages, oldest first
	ssrc         uint32
	mode         string
	key          [32]byte
	opener       *Opener
	withholdAcks bool
	dropUDP      bool
	speaking     bool
	speakingEver bool
	offAt        time.Time // when the last speaking 0 was read

	rep           Report
	haveLast      bool
	lastSeq       uint16
	lastTS        uint32
	lastArrival   time.Time
	lastProcessed time.Time
	lastSilence   bool
	silenceRun    int
	nonceSet      map[uint32]struct{}
	nonceRing     []uint32
	nonceNext     int
	nonceFull     bool
	arrival       histogram
	jitter        histogram
	dec           opus.Decoder
	decOK         bool
	pcm           []float32
	plain         []byte
	chans         [2]ring
	dave          *daveState // nil without Options.DAVE
}

func newSession(s *Server, c Credentials) *Session {
	w := nonceWindow
	if s.opts.NoDecode {
		w = nonceWindowLoad
	}
	ss := &Session{srv: s, creds: c, nonceSet: make(map[uint32]struct{}, w), nonceRing: make([]uint32, w), plain: make([]byte, 2048)}
	ss.dave = newDAVE(ss, s.opts.DAVE)
	if !s.opts.NoDecode {
		d, err := opus.NewDecoderWithOutput(48000, 2)
		if err == nil {
			ss.dec, ss.decOK = d, true
			ss.pcm = make([]float32, 5760*2)
			for i := range ss.chans {
				ss.chans[i].buf = make([]float32, analysisSamples)
			}
		}
	}
	return ss
}

// numbered sends a message with the next seq and keeps it for replay.
// Called with ss.mu held.
func (ss *Session) numberedLocked(op int, d any) {
	ss.seq++
	b, err := json.Marshal(map[string]any{"op": op, "d": d, "seq": ss.seq})
	if err != nil {
		return
	}
	ss.replay = append(ss.replay, b)
	if len(ss.replay) > replayLimit {
		ss.replay = ss.replay[len(ss.replay)-replayLimit:]
	}
	ss.rep.LastSeq = ss.seq
	if ss.gw != nil {
		_ = ss.gw.writeRaw(b)
	}
}

func (ss *Session) identify(c *gwConn, d identifyData) bool {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	cr := ss.creds
	if d.UserID != cr.UserID || d.SessionID != cr.SessionID || d.Token != cr.Token {
		return false
	}
	if ss.gw != nil && ss.gw != c {
		ss.gw.ws.Close()
	}
	ss.gw = c
	c.sess = ss
	ss.rep.Identifies++
	ss.rep.Connected = true
	ss.rep.MaxDAVE = 0
	if d.MaxDAVE != nil {
		ss.rep.MaxDAVE = *d.MaxDAVE
	}
	// A fresh Identify starts a new session: new numbering, SSRC and key.
	ss.seq, ss.replay = 0, nil
	old := ss.ssrc
	ss.ssrc = randomSSRC()
	ss.rep.SSRC = ss.ssrc
	ss.opener, ss.mode = nil, ""
	ss.speaking, ss.speakingEver = false, false
	ss.haveLast, ss.silenceRun = false, 0
	ss.srv.setSSRC(ss, old, ss.ssrc)
	ua := ss.srv.udpAddr
	ss.numberedLocked(opReady, map[string]any{
		"ssrc": ss.ssrc, "ip": ua.Addr().String(), "port": ua.Port(),
		"modes": ss.srv.opts.Modes, "heartbeat_interval": 1,
	})
	ss.srv.logf("voicetest: guild %s identify ssrc=%d max_dave=%d", cr.GuildID, ss.ssrc, ss.rep.MaxDAVE)
	return true
}

// resume returns 0 on success or the close code to send.
func (ss *Session) resume(c *gwConn, d identifyData) int {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	cr := ss.creds
	if d.SessionID != cr.SessionID || d.Token != cr.Token || ss.opener == nil {
		return 4006
	}
	if ss.gw != nil && ss.gw != c {
		ss.gw.ws.Close()
	}
	ss.gw = c
	c.sess = ss
	ss.rep.Resumes++
	ss.rep.Connected = true
	ack := -1
	if d.SeqAck != nil {
		ack = *d.SeqAck
	}
	ss.rep.LastSeqAck = ack
	if ack > ss.seq {
		ss.rep.BadSeqAck++
	}
	_ = c.write(map[string]any{"op": opResumed, "d": nil})
	// Replay what the client missed, in order.
	first := ss.seq - len(ss.replay) + 1
	for i, b := range ss.replay {
		if first+i > ack {
			_ = c.writeRaw(b)
			ss.rep.Replayed++
		}
	}
	ss.srv.logf("voicetest: guild %s resume seq_ack=%d replayed up to %d", cr.GuildID, ack, ss.seq)
	return 0
}

func (ss *Session) selectProtocol(c *gwConn, d selectData) int {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ok := false
	for _, m := range ss.srv.opts.Modes {
		ok = ok || m == d.Data.Mode
	}
	if !ok || d.Protocol != "udp" {
		return 4016
	}
	ss.key = randomKey()
	op, err := NewOpener(d.Data.Mode, ss.key[:])
	if err != nil {
		return 4016
	}
	ss.opener, ss.mode = op, d.Data.Mode
	ss.rep.Mode = d.Data.Mode
	key := make([]int, 32)
	for i, b := range ss.key {
		key[i] = int(b)
	}
	ss.numberedLocked(opSessionDesc, map[string]any{
		"mode": d.Data.Mode, "secret_key": key, "dave_protocol_version": ss.daveVersion(), "audio_codec": "opus",
	})
	ss.srv.logf("voicetest: guild %s select %s from %s:%d", ss.creds.GuildID, d.Data.Mode, d.Data.Address, d.Data.Port)
	return 0
}

// heartbeat records one op 3 and reports whether to ACK it.
func (ss *Session) heartbeat(d heartbeatData) bool {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.rep.Heartbeats++
	if d.SeqAck != nil {
		ss.rep.LastSeqAck = *d.SeqAck
		if *d.SeqAck > ss.seq {
			ss.rep.BadSeqAck++
		}
	}
	if ss.withholdAcks {
		ss.rep.AcksWithheld++
		return false
	}
	return true
}

func (ss *Session) speakingMsg(d speakingData) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if d.SSRC != ss.ssrc {
		ss.rep.BadSpeakingSSRC++
	}
	if d.Speaking != 0 {
		ss.rep.SpeakingOn++
		ss.speaking, ss.speakingEver = true, true
	} else {
		ss.rep.SpeakingOff++
		ss.speaking, ss.offAt = false, time.Now()
	}
}

func (ss *Session) countBinary(b []byte) {
	ss.mu.Lock()
	ss.rep.BinaryMessages++
	if len(b) > 0 {
		ss.rep.LastBinaryOp = int(b[0])
	}
	ss.mu.Unlock()
}

func (ss *Session) detach(c *gwConn) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.gw == c {
		ss.gw = nil
		ss.rep.Connected = false
	}
}

// Guild is the session's guild id.
func (ss *Session) Guild() string {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return ss.creds.GuildID
}

// Close closes the session's live gateway connection with code (any
// value, including 1006-style drops: code 0 closes TCP without a close
// frame). It reports whether a connection was live.
func (ss *Session) Close(code int, reason string) bool {
	ss.mu.Lock()
	c := ss.gw
	ss.rep.ClosesInjected = append(ss.rep.ClosesInjected, code)
	ss.mu.Unlock()
	if c == nil {
		return false
	}
	if code == 0 {
		c.ws.Close()
	} else {
		c.closeWith(code, reason)
	}
	ss.srv.logf("voicetest: guild %s closed with %d %q", ss.creds.GuildID, code, reason)
	return true
}

// WithholdAcks stops (or resumes) answering heartbeats, which a client
// must treat as a zombie connection.
func (ss *Session) WithholdAcks(on bool) {
	ss.mu.Lock()
	ss.withholdAcks = on
	ss.mu.Unlock()
}

// DropUDP makes the fake ignore every datagram of this session
// (IP discovery included), counting them.
func (ss *Session) DropUDP(on bool) {
	ss.mu.Lock()
	ss.dropUDP = on
	ss.mu.Unlock()
}

// SendClientsConnect sends a numbered op 11; while the client is away it
// is only buffered, so a resume must replay it.
func (ss *Session) SendClientsConnect(userIDs ...string) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.numberedLocked(opClientsConnect, map[string]any{"user_ids": userIDs})
}

// SendBinary sends a numbered binary message [seq u16][op][payload], the
// framing of DAVE's server-to-client MLS messages. It is not replayed.
func (ss *Session) SendBinary(op byte, payload []byte) error {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.seq++
	ss.rep.LastSeq = ss.seq
	if ss.gw == nil {
		return ErrClosed
	}
	b := make([]byte, 3+len(payload))
	binary.BigEndian.PutUint16(b, uint16(ss.seq))
	b[2] = op
	copy(b[3:], payload)
	return ss.gw.writeBinary(b)
}

// SendJSON sends a numbered JSON message with any opcode (DAVE ops 21–24,
// op 13, unknown ops).
func (ss *Session) SendJSON(op int, d any) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.numberedLocked(op, d)
}

// LoseClientsConnect numbers and buffers an op 11 without delivering it,
// as if it were lost with a dying connection; only a resume's replay
// brings it to the client.
func (ss *Session) LoseClientsConnect(userIDs ...string) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	gw := ss.gw
	ss.gw = nil
	ss.numberedLocked(opClientsConnect, map[string]any{"user_ids": userIDs})
	ss.gw = gw
}

// ResetAudio forgets the decoded audio so far, so the next Report
// analyses only what arrives from now on.
func (ss *Session) ResetAudio() {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	for i := range ss.chans {
		ss.chans[i].reset()
	}
}

// ResetStats zeroes the media counters and histograms (not the gateway
// state), for benchmarks that skip a warm-up.
func (ss *Session) ResetStats() {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	r := &ss.rep
	r.Packets, r.Decrypted, r.DecryptFailed, r.BadHeader = 0, 0, 0, 0
	r.SeqGaps, r.Reorders, r.TimestampErrors, r.NonceRepeats = 0, 0, 0, 0
	r.SilenceFrames, r.Keepalives, r.DroppedUDP, r.DecodedFrames, r.DecodeErrors = 0, 0, 0, 0, 0
	ss.arrival, ss.jitter = histogram{}, histogram{}
}

// Report returns what the fake has seen so far, with the audio analysed.
func (ss *Session) Report() Report {
	ss.mu.Lock()
	r := ss.rep
	r.ClosesInjected = append([]int(nil), ss.rep.ClosesInjected...)
	// A trailing silence run counts once it has its 5 frames (more make it
	// bad), or, if shorter, once nothing has arrived for a second.
	if ss.silenceRun >= 5 || (ss.silenceRun > 0 && time.Since(ss.lastProcessed) > time.Second && ss.srv.backlog.Load() == 0) {
		r.SilenceRuns++
		if ss.silenceRun != 5 {
			r.BadSilenceRuns++
		}
	}
	r.ArrivalP50, r.ArrivalP99, r.ArrivalMax = ss.arrival.quantile(0.5), ss.arrival.quantile(0.99), ss.arrival.max
	r.JitterP50, r.JitterP99 = ss.jitter.quantile(0.5), ss.jitter.quantile(0.99)
	r.Late40 = ss.arrival.countAbove(40 * time.Millisecond)
	var x [2][]float64
	if ss.decOK {
		for i := range ss.chans {
			x[i] = ss.chans[i].last(analysisSamples)
		}
	}
	ss.mu.Unlock()
	for i := range x {
		r.Channels[i] = analyse(x[i], 48000)
	}
	return r
}

// WaitFor polls Report every 10 ms until cond holds or ctx ends, and
// returns the last report either way.
func (ss *Session) WaitFor(ctx context.Context, cond func(Report) bool) (Report, error) {
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for {
		r := ss.Report()
		if cond(r) {
			return r, nil
		}
		select {
		case <-ctx.Done():
			return r, ctx.Err()
		case <-t.C:
		}
	}
}

// isSilence reports whether an Opus payload is the F8 FF FE silence frame.
func isSilence(p []byte) bool {
	return len(p) == 3 && p[0] == 0xF8 && p[1] == 0xFF && p[2] == 0xFE
}

// media processes one RTP packet for this session.
func (ss *Session) media(pkt []byte, h RTPHeader, now time.Time) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	r := &ss.rep
	if ss.dropUDP {
		r.DroppedUDP++
		return
	}
	r.Packets++
	if pkt[0] != 0x80 || h.PayloadType != 0x78 {
		r.BadHeader++
	}
	if !ss.speaking {
		if ss.speakingEver {
			// Packets processed late (backlog) may have arrived before the
			// speaking 0 was read; only later arrivals are violations.
			if now.After(ss.offAt) {
				r.WhileNotSpeaking++
			}
		} else {
			r.BeforeSpeaking++
		}
	}
	if ss.opener == nil {
		r.DecryptFailed++
		return
	}
	payload, nonce, err := ss.opener.Open(ss.plain, pkt, h)
	if err != nil {
		r.DecryptFailed++
		return
	}
	r.Decrypted++
	ss.checkNonce(nonce)
	if ss.dave != nil {
		payload = ss.dave.open(payload, &r.DAVE) // nil: counted in r.DAVE
	}
	silent := isSilence(payload)
	if ss.haveLast {
		d := h.Seq - ss.lastSeq
		switch {
		case d == 0 || d >= 0x8000:
			r.Reorders++
			return
		default:
			if d > 1 {
				r.SeqGaps += uint64(d - 1)
			}
			if h.Timestamp-ss.lastTS != 960*uint32(d) {
				r.TimestampErrors++
			}
			// Skip the gap between a silence tail and the next audio.
			if d == 1 && !(ss.lastSilence && !silent) {
				ia := now.Sub(ss.lastArrival)
				ss.arrival.add(ia)
				j := ia - 20*time.Millisecond
				if j < 0 {
					j = -j
				}
				ss.jitter.add(j)
			}
		}
	}
	ss.haveLast, ss.lastSeq, ss.lastTS, ss.lastArrival, ss.lastSilence = true, h.Seq, h.Timestamp, now, silent
	ss.lastProcessed = time.Now()
	if silent {
		r.SilenceFrames++
		ss.silenceRun++
		return
	}
	if ss.silenceRun > 0 {
		r.SilenceRuns++
		if ss.silenceRun != 5 {
			r.BadSilenceRuns++
		}
		ss.silenceRun = 0
	}
	if !ss.decOK || payload == nil {
		return
	}
	n, err := ss.dec.DecodeToFloat32(payload, ss.pcm)
	if err != nil || n <= 0 {
		r.DecodeErrors++
		return
	}
	r.DecodedFrames++
	for i := range n {
		ss.chans[0].push(ss.pcm[2*i])
		ss.chans[1].push(ss.pcm[2*i+1])
	}
}

func (ss *Session) checkNonce(n uint32) {
	if _, dup := ss.nonceSet[n]; dup {
		ss.rep.NonceRepeats++
		return
	}
	if ss.nonceFull {
		delete(ss.nonceSet, ss.nonceRing[ss.nonceNext])
	}
	ss.nonceRing[ss.nonceNext] = n
	ss.nonceSet[n] = struct{}{}
	ss.nonceNext++
	if ss.nonceNext == len(ss.nonceRing) {
		ss.nonceNext, ss.nonceFull = 0, true
	}
}

// rxSlots is how many received datagrams may wait for processing.
const (
	rxSlots   = 2048
	rxSlotLen = 1536
)

type rxPacket struct {
	slot int
	n    int
	from netip.AddrPort
	at   time.Time
}

// readUDP only receives and timestamps, so arrival times stay honest even
// when checking and decoding fall behind; processUDP does the rest. When
// every slot is busy the datagram is counted in Overflow and dropped.
func (s *Server) readUDP() {
	slab := make([]byte, rxSlots*rxSlotLen)
	free := make(chan int, rxSlots)
	for i := range rxSlots {
		free <- i
	}
	work := make(chan rxPacket, rxSlots)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for p := range work {
			s.processUDP(slab[p.slot*rxSlotLen:p.slot*rxSlotLen+p.n], p.from, p.at)
			free <- p.slot
			s.backlog.Add(-1)
		}
	}()
	defer close(work)
	scratch := make([]byte, rxSlotLen)
	kernelTime := enableRxTimestamps(s.udp)
	oob := make([]byte, 128)
	for {
		slot := -1
		select {
		case slot = <-free:
		default:
		}
		buf := scratch
		if slot >= 0 {
			buf = slab[slot*rxSlotLen : (slot+1)*rxSlotLen]
		}
		n, oobn, _, from, err := s.udp.ReadMsgUDPAddrPort(buf, oob)
		if err != nil {
			if slot >= 0 {
				free <- slot
			}
			if s.isClosed() {
				return
			}
			continue
		}
		if slot < 0 {
			s.overflow.Add(1)
			continue
		}
		at := time.Now()
		if kernelTime {
			if kt, ok := rxTimestamp(oob[:oobn]); ok {
				at = kt
			}
		}
		s.backlog.Add(1)
		work <- rxPacket{slot, n, from, at}
	}
}

func (s *Server) processUDP(pkt []byte, from netip.AddrPort, now time.Time) {
	n := len(pkt)
	switch {
	case n == 74 && binary.BigEndian.Uint16(pkt) == 1:
		s.discovery(pkt, from)
	case n == 8:
		if ss := s.sessionBySSRC(binary.BigEndian.Uint32(pkt)); ss != nil {
			ss.mu.Lock()
			ss.rep.Keepalives++
			ss.mu.Unlock()
		}
	default:
		h, err := ParseRTP(pkt)
		if err != nil {
			s.mu.Lock()
			s.junk++
			s.mu.Unlock()
			return
		}
		if ss := s.sessionBySSRC(h.SSRC); ss != nil {
			ss.media(pkt, h, now)
		}
	}
}

func (s *Server) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// ParseDiscovery checks a 74-byte IP discovery request and returns its SSRC.
func ParseDiscovery(p []byte) (ssrc uint32, ok bool) {
	if len(p) != 74 || binary.BigEndian.Uint16(p) != 1 || binary.BigEndian.Uint16(p[2:]) != 70 {
		return 0, false
	}
	return binary.BigEndian.Uint32(p[4:]), true
}

func (s *Server) discovery(p []byte, from netip.AddrPort) {
	ssrc, ok := ParseDiscovery(p)
	if !ok {
		return
	}
	ss := s.sessionBySSRC(ssrc)
	if ss == nil {
		return
	}
	ss.mu.Lock()
	drop := ss.dropUDP
	if drop {
		ss.rep.DroppedUDP++
	}
	ss.mu.Unlock()
	if drop {
		return
	}
	var resp [74]byte
	binary.BigEndian.PutUint16(resp[0:], 2)
	binary.BigEndian.PutUint16(resp[2:], 70)
	binary.BigEndian.PutUint32(resp[4:], ssrc)
	copy(resp[8:72], from.Addr().Unmap().String())
	binary.BigEndian.PutUint16(resp[72:], from.Port())
	_, _ = s.udp.WriteToUDPAddrPort(resp[:], from)
}

// Totals merges the media checks of every session, for load runs.
type Totals struct {
	Sessions                            int
	Packets, Decrypted, DecryptFailed   uint64
	SeqGaps, Reorders, TimestampErrors  uint64
	NonceRepeats, BadHeader, DroppedUDP uint64
	Junk                                uint64
	Overflow                            uint64 // dropped because the fake fell behind
	ArrivalP50, ArrivalP99, ArrivalMax  time.Duration
	JitterP50, JitterP99                time.Duration
	Late40                              uint64
}

// Totals sums every session's counters and merges their histograms.
func (s *Server) Totals() Totals {
	var t Totals
	var arr, jit histogram
	for _, ss := range s.Sessions() {
		ss.mu.Lock()
		r := &ss.rep
		t.Sessions++
		t.Packets += r.Packets
		t.Decrypted += r.Decrypted
		t.DecryptFailed += r.DecryptFailed
		t.SeqGaps += r.SeqGaps
		t.Reorders += r.Reorders
		t.TimestampErrors += r.TimestampErrors
		t.NonceRepeats += r.NonceRepeats
		t.BadHeader += r.BadHeader
		t.DroppedUDP += r.DroppedUDP
		arr.merge(&ss.arrival)
		jit.merge(&ss.jitter)
		ss.mu.Unlock()
	}
	t.Junk = s.Junk()
	t.Overflow = s.overflow.Load()
	t.ArrivalP50, t.ArrivalP99, t.ArrivalMax = arr.quantile(0.5), arr.quantile(0.99), arr.max
	t.JitterP50, t.JitterP99 = jit.quantile(0.5), jit.quantile(0.99)
	t.Late40 = arr.countAbove(40 * time.Millisecond)
	return t
}

// ResetStats resets every session's media counters.
func (s *Server) ResetStats() {
	s.overflow.Store(0)
	for _, ss := range s.Sessions() {
		ss.ResetStats()
	}
}
