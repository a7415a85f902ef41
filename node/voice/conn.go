package voice

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/audionode/audionode/node/audio"
	"github.com/audionode/audionode/node/sched"
	"github.com/gorilla/websocket"
)

// readLimit bounds one gateway message (DAVE welcomes can be large).
const readLimit = 1 << 20

// Conn is one live voice connection. Its run goroutine owns the gateway
// socket, the heartbeat and the UDP socket; the scheduler owns the packet
// path. Close stops everything and waits.
type Conn struct {
	c       *Connector
	st      audio.VoiceState
	url     string
	src     audio.FrameSource
	onClose func(audio.VoiceClose)
	log     *slog.Logger
	dave    DAVESession

	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
	ready  chan error // first handshake result, buffered
	once   sync.Once

	connected atomic.Bool
	ping      atomic.Int64 // ns, -1 unknown
	senderPtr atomic.Pointer[sched.Sender]
	sentOld   atomic.Uint64 // counters of senders replaced by a fresh Identify
	nulledOld atomic.Uint64

	wmu sync.Mutex // guards ws writes and the ws pointer
	ws  *websocket.Conn

	// Owned by the run goroutine.
	seq          int // last numbered message received, -1 none
	udp          *net.UDPConn
	sender       *sched.Sender
	ssrc         uint32
	speakingCh   chan struct{}
	speakingOn   bool
	hbInterval   time.Duration
	hbNonce      int64
	hbSentAt     time.Time
	hbAcked      bool
	reidentified bool
	firstDone    bool
	wentLive     bool // the last session reached op 4 or op 9
}

var _ audio.VoiceConn = (*Conn)(nil)

func newConn(c *Connector, st audio.VoiceState, u string, src audio.FrameSource, onClose func(audio.VoiceClose)) *Conn {
	ctx, cancel := context.WithCancel(context.Background())
	conn := &Conn{
		c: c, st: st, url: u, src: src, onClose: onClose,
		log:    c.log.With("guild", st.GuildID),
		ctx:    ctx,
		cancel: cancel,
		done:   make(chan struct{}),
		ready:  make(chan error, 1),
		seq:    -1,
		// Capacity 1: the scheduler's signal is level-triggered.
		speakingCh: make(chan struct{}, 1),
	}
	conn.ping.Store(-1)
	if c.cfg.DAVE != nil {
		conn.dave = c.cfg.DAVE(DAVEParams{
			GuildID: st.GuildID, UserID: st.UserID, ChannelID: st.ChannelID,
			Gateway: conn, Logger: conn.log,
		})
	}
	go conn.run()
	return conn
}

// Connected reports whether the gateway session is live.
func (c *Conn) Connected() bool { return c.connected.Load() }

// Ping is the last heartbeat round trip, -1 when unknown.
func (c *Conn) Ping() time.Duration { return time.Duration(c.ping.Load()) }

// Frames reports packets sent and frames nulled so far.
func (c *Conn) Frames() (sent, nulled uint64) {
	sent, nulled = c.sentOld.Load(), c.nulledOld.Load()
	if s := c.senderPtr.Load(); s != nil {
		st := s.Stats()
		sent += st.Sent
		nulled += st.Nulled
	}
	return sent, nulled
}

// SenderStats returns the current sender's counters (zero before Ready).
func (c *Conn) SenderStats() sched.SenderStats {
	if s := c.senderPtr.Load(); s != nil {
		return s.Stats()
	}
	return sched.SenderStats{}
}

// Close stops sending, closes the gateway with 1000 and the UDP socket,
// and waits for the connection's goroutine. Idempotent.
func (c *Conn) Close() error {
	c.cancel()
	<-c.done
	return nil
}

// Done is closed when the connection has ended (closed or given up).
func (c *Conn) Done() <-chan struct{} { return c.done }

// SendJSON writes a gateway message; safe from any goroutine.
func (c *Conn) SendJSON(op int, d any) error {
	b, err := json.Marshal(struct {
		Op int `json:"op"`
		D  any `json:"d"`
	}{op, d})
	if err != nil {
		return err
	}
	return c.write(websocket.TextMessage, b)
}

// SendBinary writes [op][payload] as a binary frame.
func (c *Conn) SendBinary(op byte, payload []byte) error {
	b := make([]byte, 1+len(payload))
	b[0] = op
	copy(b[1:], payload)
	return c.write(websocket.BinaryMessage, b)
}

func (c *Conn) write(typ int, b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.ws == nil {
		return ErrClosed
	}
	_ = c.ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return c.ws.WriteMessage(typ, b)
}

// sessionEnd says how one gateway socket ended.
type sessionEnd struct {
	code     int
	reason   string
	byRemote bool
	err      error
}

// run owns the connection for its whole life.
func (c *Conn) run() {
	var final *audio.VoiceClose
	defer func() {
		c.cleanup()
		// After cleanup, so the callback may call Close (it returns at once).
		if final != nil && c.onClose != nil {
			c.onClose(*final)
		}
	}()
	resume := false
	attempts := 0
	for {
		end := c.session(resume)
		c.connected.Store(false)
		if c.ctx.Err() != nil {
			c.firstResult(ErrClosed)
			return
		}
		if !c.firstDone {
			// The first handshake failed: Connect reports it, no retries.
			err := end.err
			if end.code != 0 {
				err = fmt.Errorf("voice: handshake: %w", &CloseError{Code: end.code, Reason: end.reason, ByRemote: end.byRemote})
			}
			c.firstResult(err)
			return
		}
		if c.wentLive {
			attempts = 0
		}
		act := closeAction(end.code)
		if act == actIdentify && c.reidentified {
			act = actGiveUp
		}
		if act == actResume && c.udp == nil {
			act = actIdentify
		}
		if act != actGiveUp {
			attempts++
			if attempts > c.c.cfg.MaxResumeAttempts {
				act = actGiveUp
			}
		}
		c.log.Info("voice gateway closed", "code", end.code, "reason", end.reason, "err", end.err, "action", act, "attempt", attempts)
		if act == actGiveUp {
			final = closeEvent(end)
			return
		}
		if act == actIdentify {
			c.reidentified = true
			c.dropMedia()
			if c.dave != nil {
				c.dave.Reset()
			}
		}
		resume = act == actResume
		if attempts > 1 {
			d := min(250*time.Millisecond<<(attempts-2), 5*time.Second)
			select {
			case <-c.ctx.Done():
				return
			case <-time.After(d):
			}
		}
		if resume {
			continue
		}
	}
}

func (c *Conn) firstResult(err error) {
	select {
	case c.ready <- err:
	default:
	}
}

func closeEvent(end sessionEnd) *audio.VoiceClose {
	code := end.code
	if code == 0 {
		code = websocket.CloseAbnormalClosure
	}
	return &audio.VoiceClose{Code: code, Reason: end.reason, ByRemote: end.byRemote}
}

// dropMedia takes the sender off the scheduler and closes the UDP socket.
func (c *Conn) dropMedia() {
	if c.sender != nil {
		c.c.sched.Remove(c.sender)
		st := c.sender.Stats()
		c.sentOld.Add(st.Sent)
		c.nulledOld.Add(st.Nulled)
		c.senderPtr.Store(nil)
		c.sender = nil
	}
	if c.udp != nil {
		c.udp.Close()
		c.udp = nil
	}
	c.speakingOn = false
}

func (c *Conn) cleanup() {
	c.dropMedia()
	if c.dave != nil {
		c.dave.Close()
	}
	c.connected.Store(false)
	c.once.Do(func() { close(c.done) })
}

type inbound struct {
	typ int
	b   []byte
	err error
}

// session runs one gateway socket from dial to close.
func (c *Conn) session(resume bool) sessionEnd {
	c.wentLive = false
	hsCtx, hsCancel := context.WithTimeout(c.ctx, c.c.cfg.ConnectTimeout)
	defer hsCancel()
	ws, _, err := c.c.dialer.DialContext(hsCtx, c.url, nil)
	if err != nil {
		var ne net.Error
		if hsCtx.Err() != nil || (errors.As(err, &ne) && ne.Timeout()) {
			return sessionEnd{err: fmt.Errorf("%w: dial: %w", ErrHandshakeTimeout, err)}
		}
		return sessionEnd{err: fmt.Errorf("voice: dial: %w", err)}
	}
	ws.SetReadLimit(readLimit)
	c.wmu.Lock()
	c.ws = ws
	c.wmu.Unlock()

	in := make(chan inbound, 16)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			typ, b, err := ws.ReadMessage()
			select {
			case in <- inbound{typ, b, err}:
			case <-stop:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	end := c.loop(resume, in, hsCtx)
	if end.err != nil && errors.Is(end.err, context.Canceled) {
		// Local close: say goodbye properly.
		c.wmu.Lock()
		_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
		c.wmu.Unlock()
	}
	c.wmu.Lock()
	c.ws = nil
	c.wmu.Unlock()
	ws.Close()
	close(stop)
	wg.Wait()
	return end
}

// loop handles one socket's messages, heartbeats and speaking requests.
func (c *Conn) loop(resume bool, in <-chan inbound, hsCtx context.Context) sessionEnd {
	var err error
	if resume {
		err = c.SendJSON(opResume, map[string]any{
			"server_id": c.st.GuildID, "session_id": c.st.SessionID, "token": c.st.Token, "seq_ack": c.seq,
		})
	} else {
		c.seq = -1
		maxDAVE := 0
		if c.dave != nil {
			maxDAVE = c.dave.MaxProtocolVersion()
		}
		err = c.SendJSON(opIdentify, map[string]any{
			"server_id": c.st.GuildID, "user_id": c.st.UserID, "session_id": c.st.SessionID,
			"token": c.st.Token, "max_dave_protocol_version": maxDAVE,
		})
	}
	if err != nil {
		return sessionEnd{err: err}
	}
	hb := time.NewTimer(time.Hour)
	hb.Stop()
	defer hb.Stop()
	c.hbAcked, c.hbNonce = true, 0
	live := false
	hsDone := hsCtx.Done()
	for {
		select {
		case <-c.ctx.Done():
			return sessionEnd{err: c.ctx.Err()}
		case <-hsDone:
			return sessionEnd{err: ErrHandshakeTimeout}
		case m := <-in:
			if m.err != nil {
				var ce *websocket.CloseError
				if errors.As(m.err, &ce) {
					return sessionEnd{code: ce.Code, reason: ce.Text, byRemote: true, err: m.err}
				}
				return sessionEnd{code: websocket.CloseAbnormalClosure, reason: "connection lost", byRemote: true, err: m.err}
			}
			nowLive, end, stop := c.handle(m, hb, hsCtx)
			if stop {
				return end
			}
			if nowLive && !live {
				live = true
				c.wentLive = true
				hsDone = nil // the handshake bound no longer applies
				c.connected.Store(true)
				// A speaking request may have come while we were away.
				if err := c.syncSpeaking(); err != nil {
					return sessionEnd{code: websocket.CloseAbnormalClosure, reason: "write failed", err: err}
				}
				if !c.firstDone {
					c.firstDone = true
					c.firstResult(nil)
				}
			}
		case <-hb.C:
			if !c.hbAcked {
				c.log.Info("voice heartbeat not acknowledged; reconnecting")
				return sessionEnd{code: websocket.CloseAbnormalClosure, reason: "heartbeat not acknowledged", err: ErrZombie}
			}
			c.heartbeat()
			hb.Reset(c.hbInterval)
		case <-c.speakingCh:
			if live {
				if err := c.syncSpeaking(); err != nil {
					return sessionEnd{code: websocket.CloseAbnormalClosure, reason: "write failed", err: err}
				}
			}
		}
	}
}

// syncSpeaking sends op 5 if the sender's request differs from what the
// server last heard, then acknowledges the request.
func (c *Conn) syncSpeaking() error {
	if c.sender == nil {
		return nil
	}
	req, on := c.sender.SpeakingRequest()
	if on != c.speakingOn {
		if err := c.sendSpeaking(on); err != nil {
			return err
		}
	}
	c.sender.SpeakingSent(req)
	return nil
}

func (c *Conn) sendSpeaking(on bool) error {
	flags := 0
	if on {
		flags = 1
	}
	if err := c.SendJSON(opSpeaking, map[string]any{"speaking": flags, "delay": 0, "ssrc": c.ssrc}); err != nil {
		return err
	}
	c.speakingOn = on
	return nil
}

func (c *Conn) heartbeat() {
	n := time.Now().UnixMilli()
	if n <= c.hbNonce {
		n = c.hbNonce + 1
	}
	c.hbNonce, c.hbSentAt, c.hbAcked = n, time.Now(), false
	_ = c.SendJSON(opHeartbeat, map[string]any{"t": n, "seq_ack": c.seq})
}

// handle processes one inbound message. It returns live once the session
// is usable (op 4 or op 9), or stop with the reason to end the socket.
func (c *Conn) handle(m inbound, hb *time.Timer, hsCtx context.Context) (live bool, end sessionEnd, stop bool) {
	if m.typ == websocket.BinaryMessage {
		// Server binary: [seq u16][op u8][payload].
		if len(m.b) < 3 {
			return false, end, false
		}
		c.seq = int(binary.BigEndian.Uint16(m.b))
		if c.dave != nil {
			c.dave.HandleBinary(m.b[2], m.b[3:])
		}
		return false, end, false
	}
	msg, err := parseMessage(m.b)
	if err != nil {
		c.log.Debug("voice: ignoring bad message", "err", err)
		return false, end, false
	}
	if s, ok := msg.seq(); ok {
		c.seq = s
	}
	fail := func(err error) (bool, sessionEnd, bool) {
		return false, sessionEnd{err: err, reason: err.Error()}, true
	}
	switch msg.Op {
	case opHello:
		h, err := parseHello(msg.D)
		if err != nil {
			return fail(err)
		}
		c.hbInterval = time.Duration(h.HeartbeatInterval * float64(time.Millisecond))
		hb.Reset(c.hbInterval)
	case opReady:
		r, err := parseReady(msg.D)
		if err != nil {
			return fail(err)
		}
		if err := c.ready2(r, hsCtx); err != nil {
			return fail(err)
		}
	case opSessionDesc:
		d, err := parseSessionDesc(msg.D)
		if err != nil {
			return fail(err)
		}
		if err := c.startMedia(d); err != nil {
			return fail(err)
		}
		return true, end, false
	case opResumed:
		if c.speakingOn {
			// Harmless if the server kept it; needed if it did not.
			_ = c.sendSpeaking(true)
		}
		return true, end, false
	case opHeartbeatACK:
		var a ackData
		if json.Unmarshal(msg.D, &a) == nil {
			if t, err := strconv.ParseInt(a.T.String(), 10, 64); err == nil && t == c.hbNonce && !c.hbAcked {
				c.hbAcked = true
				c.ping.Store(int64(time.Since(c.hbSentAt)))
			}
		}
	default:
		if c.dave != nil {
			c.dave.HandleJSON(msg.Op, msg.D)
		}
	}
	return false, end, false
}

// ready2 handles op 2: UDP socket, IP discovery, Select Protocol.
func (c *Conn) ready2(r readyData, hsCtx context.Context) error {
	mode, err := chooseMode(r.Modes)
	if err != nil {
		return err
	}
	c.dropMedia()
	udp, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(r.addr))
	if err != nil {
		return fmt.Errorf("%w: %v", ErrDiscovery, err)
	}
	c.udp, c.ssrc = udp, r.SSRC
	pub, err := discover(hsCtx, udp, r.SSRC)
	if err != nil {
		return err
	}
	return c.SendJSON(opSelectProtocol, map[string]any{
		"protocol": "udp",
		"data":     map[string]any{"address": pub.Addr().String(), "port": pub.Port(), "mode": mode},
	})
}

// discover sends the 74-byte request every second until a valid response
// arrives or ctx ends.
func discover(ctx context.Context, udp *net.UDPConn, ssrc uint32) (netip.AddrPort, error) {
	req := discoveryRequest(ssrc)
	buf := make([]byte, 128)
	for try := 0; try < 10; try++ {
		if _, err := udp.Write(req[:]); err != nil {
			return netip.AddrPort{}, fmt.Errorf("%w: %v", ErrDiscovery, err)
		}
		deadline := time.Now().Add(time.Second)
		if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
			deadline = d
		}
		_ = udp.SetReadDeadline(deadline)
		for {
			n, err := udp.Read(buf)
			if err != nil {
				if ctx.Err() != nil {
					return netip.AddrPort{}, fmt.Errorf("%w: %v", ErrDiscovery, ctx.Err())
				}
				break // timeout or ICMP error: send again
			}
			if pub, err := parseDiscovery(buf[:n], ssrc); err == nil {
				_ = udp.SetReadDeadline(time.Time{})
				return pub, nil
			}
		}
	}
	return netip.AddrPort{}, fmt.Errorf("%w: no response", ErrDiscovery)
}

// startMedia handles op 4: cipher, sender, scheduler.
func (c *Conn) startMedia(d sessionDescData) error {
	if c.udp == nil {
		return fmt.Errorf("%w: session description before ready", ErrBadMessage)
	}
	aead, err := newAEAD(d.Mode, d.key[:])
	if err != nil {
		return err
	}
	if c.dave != nil {
		c.dave.SessionDescription(d.DAVE)
	}
	if c.sender != nil {
		c.c.sched.Remove(c.sender)
		st := c.sender.Stats()
		c.sentOld.Add(st.Sent)
		c.nulledOld.Add(st.Nulled)
	}
	var rnd [10]byte
	_, _ = rand.Read(rnd[:])
	cfg := sched.SenderConfig{
		Source: c.src, Conn: c.udp, SSRC: c.ssrc, AEAD: aead, Speaking: c.speakingCh,
		Seq:       binary.BigEndian.Uint16(rnd[0:]),
		Timestamp: binary.BigEndian.Uint32(rnd[2:]),
		Nonce:     binary.BigEndian.Uint32(rnd[6:]),
	}
	if c.dave != nil {
		cfg.Transform = c.dave
	}
	s, err := sched.NewSender(cfg)
	if err != nil {
		return err
	}
	if err := c.c.sched.Add(s); err != nil {
		return err
	}
	c.sender = s
	c.senderPtr.Store(s)
	c.speakingOn = false
	// Media sink wants (op 15, as koe sends it): we only send, so ask the
	// server not to forward other users' audio. Servers that do not know
	// it ignore it.
	_ = c.SendJSON(opMediaSinkWants, map[string]any{"any": 0})
	return nil
}
