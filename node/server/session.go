package server

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/audionode/audionode/node/lavalink"
	"github.com/audionode/audionode/node/player"
)

// Bounds of a session's outgoing messages.
const (
	sendQueue   = 256  // messages buffered for a live socket (drop-oldest)
	resumeQueue = 4096 // messages kept while a resumable session waits (drop-oldest)
	writeWait   = 10 * time.Second
	maxClientWS = 64 << 10 // clients send nothing meaningful; bound what they may
)

// Session is one client WebSocket session and the players it owns. While
// detached (resumable, socket gone) it keeps its players and queues messages.
type Session struct {
	srv        *Server
	id         string
	userID     string
	clientName string

	mu       sync.Mutex
	players  map[string]*player.Player
	resuming bool
	timeout  int64       // seconds
	out      chan []byte // live socket's writer queue; nil while detached
	queue    [][]byte    // detached: messages to replay on resume
	expiry   *time.Timer // detached: destroys the session
	closed   bool
	dropped  atomic.Uint64 // messages dropped by either bound
	lastSent map[string][2]uint64
}

func newSessionID() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	var b [16]byte
	_, _ = rand.Read(b[:])
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b[:])
}

// emit queues a message for the client. It never blocks: a full queue
// drops its oldest message and counts it.
func (s *Session) emit(m lavalink.Message) {
	if o := s.srv.deps.Observer; o != nil {
		switch e := m.(type) {
		case lavalink.TrackEndEvent:
			o.TrackEnded(string(e.Reason))
		case lavalink.WebSocketClosedEvent:
			o.VoiceClosed(e.Code)
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		s.srv.log.Error("marshal message", "err", err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	if s.out == nil {
		// Detached: keep events and stats for the resume, not playerUpdates.
		if !s.resuming || m.Op() == lavalink.OpPlayerUpdate {
			return
		}
		if len(s.queue) >= resumeQueue {
			s.queue = s.queue[1:]
			s.dropped.Add(1)
		}
		s.queue = append(s.queue, b)
		return
	}
	for {
		select {
		case s.out <- b:
			return
		default:
		}
		select {
		case <-s.out:
			s.dropped.Add(1)
		default:
		}
	}
}

// player returns the player of guild, creating it when create is set.
func (s *Session) player(guild string, create bool) (*player.Player, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, false
	}
	p, ok := s.players[guild]
	if !ok && create {
		p = player.New(&s.srv.playerCfg, guild, s.userID, s.emit)
		s.players[guild] = p
		s.srv.playerCount.Add(1)
	}
	return p, p != nil
}

func (s *Session) snapshot() []*player.Player {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*player.Player, 0, len(s.players))
	for _, p := range s.players {
		out = append(out, p)
	}
	return out
}

// removePlayer closes and forgets one player (DELETE).
func (s *Session) removePlayer(guild string) {
	s.mu.Lock()
	p, ok := s.players[guild]
	delete(s.players, guild)
	s.mu.Unlock()
	if ok {
		p.Close(lavalink.EndStopped)
		s.srv.playerCount.Add(-1)
	}
}

// destroy closes every player and forgets the session. Idempotent.
func (s *Session) destroy() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	players := s.players
	s.players = map[string]*player.Player{}
	s.queue = nil
	if s.expiry != nil {
		if s.expiry.Stop() {
			s.srv.wg.Done() // the expiry callback will not run
		}
		s.expiry = nil
	}
	s.mu.Unlock()
	s.srv.forget(s)
	for _, p := range players {
		p.Close("")
		s.srv.playerCount.Add(-1)
	}
}

// detach is called when the socket of a live session ends.
func (s *Session) detach() {
	s.mu.Lock()
	s.out = nil
	if s.closed || !s.resuming {
		s.mu.Unlock()
		s.destroy()
		return
	}
	s.srv.wg.Add(1)
	s.expiry = time.AfterFunc(time.Duration(s.timeout)*time.Second, func() {
		defer s.srv.wg.Done()
		s.mu.Lock()
		live := s.out != nil
		s.expiry = nil
		s.mu.Unlock()
		if !live {
			s.destroy()
		}
	})
	s.mu.Unlock()
	s.srv.log.Info("session paused for resume", "session", s.id, "timeout", s.timeout)
}

// attach binds a live socket; it returns the messages queued while detached.
func (s *Session) attach(out chan []byte) (queued [][]byte, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.out != nil {
		return nil, false
	}
	if s.expiry != nil {
		if s.expiry.Stop() {
			s.srv.wg.Done()
		}
		s.expiry = nil
	}
	s.out = out
	queued, s.queue = s.queue, nil
	return queued, true
}

// serve runs a live socket: a writer goroutine drains out, a ticker sends
// playerUpdate and stats, and this goroutine reads until the socket ends.
func (s *Session) serve(ctx context.Context, c *websocket.Conn, out chan []byte, first [][]byte) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { s.writeLoop(ctx, c, out, first) })
	wg.Go(func() { s.tickLoop(ctx) })
	c.SetReadLimit(maxClientWS)
	for {
		if _, _, err := c.ReadMessage(); err != nil {
			break
		}
		// v4 clients send nothing; the reference ignores text frames.
	}
	cancel()
	_ = c.Close()
	wg.Wait()
	s.detach()
}

func (s *Session) writeLoop(ctx context.Context, c *websocket.Conn, out chan []byte, first [][]byte) {
	write := func(b []byte) bool {
		_ = c.SetWriteDeadline(time.Now().Add(writeWait))
		return c.WriteMessage(websocket.TextMessage, b) == nil
	}
	for _, b := range first {
		if !write(b) {
			_ = c.Close()
			return
		}
	}
	for {
		select {
		case <-ctx.Done():
			return
		case b := <-out:
			if !write(b) {
				_ = c.Close() // unblocks the reader
				return
			}
		case <-s.srv.shutdown:
			_ = c.SetWriteDeadline(time.Now().Add(time.Second))
			_ = c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, "node shutting down"), time.Now().Add(time.Second))
			_ = c.Close()
			return
		}
	}
}

// tickLoop sends stats at once and every minute, and playerUpdate for
// players with a track every playerUpdateInterval; it also polls for stuck
// tracks.
func (s *Session) tickLoop(ctx context.Context) {
	s.emit(s.statsMessage())
	stats := time.NewTicker(time.Minute)
	defer stats.Stop()
	upd := time.NewTicker(time.Duration(s.srv.cfg.Lavalink.PlayerUpdateInterval) * time.Second)
	defer upd.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-stats.C:
			s.emit(s.statsMessage())
		case <-upd.C:
			for _, p := range s.snapshot() {
				if p.HasTrack() {
					p.CheckStuck()
					p.CheckCleanup(time.Now())
					s.emit(lavalink.PlayerUpdateMessage{GuildID: p.GuildID(), State: p.State()})
				}
			}
		}
	}
}

// statsMessage builds the node stats plus this session's frameStats over
// the last minute (§1.3: only players playing through both ticks count).
func (s *Session) statsMessage() lavalink.StatsMessage {
	m := lavalink.StatsMessage{Stats: s.srv.stats()}
	now := map[string][2]uint64{}
	var sent, nulled uint64
	n := 0
	for _, p := range s.snapshot() {
		if !p.Playing() {
			continue
		}
		a, b := p.Frames()
		now[p.GuildID()] = [2]uint64{a, b}
		if prev, ok := s.lastSent[p.GuildID()]; ok && a >= prev[0] && b >= prev[1] {
			sent += a - prev[0]
			nulled += b - prev[1]
			n++
		}
	}
	s.lastSent = now
	if n > 0 {
		m.FrameStats = &lavalink.FrameStats{
			Sent: int(sent) / n, Nulled: int(nulled) / n,
			Deficit: (3000*n - int(sent+nulled)) / n,
		}
	}
	return m
}
