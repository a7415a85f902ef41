// Package player is the Lavalink player state machine: track, pause,
// volume, filters, position, end time and voice connection of one guild,
// updated by PATCH requests and ended with Lavalink's end reasons.
//
// Ownership: a Player owns its producer goroutine (which exists only while a
// track plays and fills a small ring of encoded frames ahead) and its voice
// connection. The send scheduler pulls frames through ReadFrame (the
// audio.FrameSource contract: no locks, no allocation); position advances by
// frames actually pulled. Close stops the track, closes the connection and
// waits for every goroutine. Idle and paused players own no goroutine.
package player

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/audionode/audionode/node/audio"
	"github.com/audionode/audionode/node/lavalink"
)

// Errors callers can match; the server maps them to HTTP statuses.
var (
	ErrBadRequest   = errors.New("bad request")                       // 400
	ErrVoiceConnect = errors.New("failed to connect to voice server") // 500
	ErrClosed       = errors.New("player is closed")
)

// Opener turns a track into a playing stream starting at position.
type Opener interface {
	Open(ctx context.Context, t lavalink.Track, position time.Duration) (audio.TrackStream, error)
}

// Adjustable is implemented by streams that apply filters and volume. The
// player calls it from the producer goroutine only, between ReadFrame calls.
type Adjustable interface {
	SetFilters(f lavalink.Filters, volume int) error
}

// Aborter is implemented by streams whose blocking reads can be
// interrupted from another goroutine (the input's context is cancelled);
// the stream is still closed by its owner afterwards.
type Aborter interface {
	Abort()
}

// Resolver resolves PATCH track.identifier values (the source loader).
type Resolver interface {
	Load(ctx context.Context, identifier string) lavalink.LoadResult
}

// Config is what every player of a node shares.
type Config struct {
	Opener         Opener
	Resolver       Resolver
	Voice          audio.VoiceConnector // nil: players never connect
	VoiceTimeout   time.Duration
	StuckThreshold time.Duration
	BufferFrames   int // frames produced ahead
	DisabledFilter func(name string) bool
	// ValidateFilters range-checks filter values (400 naming the field).
	ValidateFilters func(lavalink.Filters) error
	Log             *slog.Logger
}

// Player is one guild's player. Methods are safe for concurrent use;
// operations on one player are serialised.
type Player struct {
	cfg     *Config
	guildID string
	userID  string
	emit    func(lavalink.Message) // session's event sink; never blocks

	opMu sync.Mutex // serialises Update, Close and track ends

	mu       sync.Mutex // guards the fields below; never held across I/O or waits
	closed   bool
	track    *lavalink.Track
	userData lavalink.Object
	volume   int
	filters  lavalink.Filters
	voice    lavalink.VoiceState
	conn     audio.VoiceConn
	prod     *producer

	// Read by ReadFrame on the scheduler's goroutine.
	paused   atomic.Bool
	cur      atomic.Pointer[producer]
	lastPoll atomic.Int64 // unix nanos of the last ReadFrame (cleanup)
}

// producer is one playing track's decode goroutine and its frame ring.
type producer struct {
	ring     *ring
	stream   audio.TrackStream
	cancel   context.CancelFunc
	ctx      context.Context
	done     chan struct{}
	startMs  int64        // position of the first frame
	consumed atomic.Int64 // frames pulled by the scheduler
	endFrame atomic.Int64 // stop after this many frames; 0 = none
	eof      atomic.Bool  // the stream is exhausted (ring may still hold frames)
	failed   atomic.Bool  // the stream errored
	underrun atomic.Int64 // unix nanos of the first empty poll of a stall; 0 = none
	stuck    atomic.Bool  // TrackStuckEvent sent for this track
	pending  atomic.Pointer[adjust]
}

type adjust struct {
	filters lavalink.Filters
	volume  int
}

// New creates an idle player.
func New(cfg *Config, guildID, userID string, emit func(lavalink.Message)) *Player {
	p := &Player{cfg: cfg, guildID: guildID, userID: userID, emit: emit, volume: 100}
	p.lastPoll.Store(time.Now().UnixNano())
	return p
}

// GuildID is the player's guild.
func (p *Player) GuildID() string { return p.guildID }

// ReadFrame implements audio.FrameSource for the send scheduler.
func (p *Player) ReadFrame(dst []byte) (int, bool) {
	p.lastPoll.Store(time.Now().UnixNano())
	pr := p.cur.Load()
	if pr == nil || p.paused.Load() {
		return 0, false
	}
	if e := pr.endFrame.Load(); e > 0 && pr.consumed.Load() >= e {
		return 0, false
	}
	n, ok := pr.ring.pop(dst)
	if !ok {
		if !pr.eof.Load() && pr.underrun.Load() == 0 {
			pr.underrun.Store(time.Now().UnixNano())
		}
		return 0, false
	}
	pr.underrun.Store(0)
	pr.consumed.Add(1)
	return n, true
}

// Playing reports whether a track is loaded and not paused.
func (p *Player) Playing() bool { return p.cur.Load() != nil && !p.paused.Load() }

// HasTrack reports whether a track is loaded.
func (p *Player) HasTrack() bool { return p.cur.Load() != nil }

func (pr *producer) positionMs() int64 {
	return pr.startMs + pr.consumed.Load()*int64(audio.FrameDuration/time.Millisecond)
}

// State returns the player state of playerUpdate and the Player object.
func (p *Player) State() lavalink.PlayerState {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stateLocked()
}

func (p *Player) stateLocked() lavalink.PlayerState {
	st := lavalink.PlayerState{Time: time.Now().UnixMilli(), Ping: -1}
	if pr := p.prod; pr != nil {
		st.Position = pr.positionMs()
	}
	if p.conn != nil {
		st.Connected = p.conn.Connected()
		if d := p.conn.Ping(); d >= 0 {
			st.Ping = d.Milliseconds()
		}
	}
	return st
}

// Snapshot returns the Player object of the REST API.
func (p *Player) Snapshot() lavalink.Player {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := lavalink.Player{GuildID: p.guildID, Volume: p.volume, Paused: p.paused.Load(), State: p.stateLocked(), Voice: p.voice, Filters: p.filters}
	if p.track != nil {
		t := *p.track
		t.UserData = p.userData
		if t.UserData == nil {
			t.UserData = lavalink.Object("{}")
		}
		if p.prod != nil {
			t.Info.Position = p.prod.positionMs()
			if enc, err := lavalink.WithPosition(t.Encoded, t.Info.Position); err == nil {
				t.Encoded = enc
			}
		}
		out.Track = &t
	}
	return out
}

// Voice reports whether the player holds a voice connection and whether it
// is connected.
func (p *Player) Voice() (held, connected bool) {
	p.mu.Lock()
	c := p.conn
	p.mu.Unlock()
	if c == nil {
		return false, false
	}
	return true, c.Connected()
}

// Frames reports the voice connection's frame counters.
func (p *Player) Frames() (sent, nulled uint64) {
	p.mu.Lock()
	c := p.conn
	p.mu.Unlock()
	if c == nil {
		return 0, 0
	}
	return c.Frames()
}

// Update applies a PATCH in the reference's order. noReplace keeps a
// playing track. It returns ErrBadRequest-wrapped errors for 400s and
// ErrVoiceConnect for voice failures.
func (p *Player) Update(ctx context.Context, u lavalink.PlayerUpdate, noReplace bool) error {
	p.opMu.Lock()
	defer p.opMu.Unlock()
	if p.isClosed() {
		return ErrClosed
	}
	// Validate everything first so a bad request changes nothing.
	var newTrack *lavalink.Track
	var stop bool
	var userData lavalink.Object
	tu, hasTrack := u.Track.Get()
	if hasTrack && (u.EncodedTrack.Set || u.Identifier.Set) {
		return fmt.Errorf("%w: Cannot specify both track and encodedTrack/identifier", ErrBadRequest)
	}
	if !hasTrack {
		tu = lavalink.PlayerUpdateTrack{Encoded: u.EncodedTrack, Identifier: u.Identifier}
		hasTrack = u.EncodedTrack.Set || u.Identifier.Set
	}
	if hasTrack && tu.Encoded.Set && tu.Identifier.Set {
		return fmt.Errorf("%w: Cannot specify both encoded and identifier", ErrBadRequest)
	}
	if ud, ok := tu.UserData.Get(); ok {
		userData = ud
	}
	if v, ok := u.Volume.Get(); ok && (v < 0 || v > 1000) {
		return fmt.Errorf("%w: Volume must be between 0 and 1000", ErrBadRequest)
	}
	if pos, ok := u.Position.Get(); ok && pos < 0 {
		return fmt.Errorf("%w: Position must not be negative", ErrBadRequest)
	}
	if u.EndTime.Set && !u.EndTime.Null && u.EndTime.Value <= 0 {
		return fmt.Errorf("%w: End time must be greater than 0", ErrBadRequest)
	}
	if f, ok := u.Filters.Get(); ok && p.cfg.DisabledFilter != nil {
		var off []string
		for _, n := range f.Names() {
			if p.cfg.DisabledFilter(n) {
				off = append(off, n)
			}
		}
		if len(off) > 0 {
			return fmt.Errorf("%w: Following filters are disabled in the config: %s", ErrBadRequest, strings.Join(off, ", "))
		}
	}
	if f, ok := u.Filters.Get(); ok && p.cfg.ValidateFilters != nil {
		if err := p.cfg.ValidateFilters(f); err != nil {
			return fmt.Errorf("%w: Invalid filters: %v", ErrBadRequest, err)
		}
	}
	var voice lavalink.VoiceState
	v, hasVoice := u.Voice.Get()
	if hasVoice {
		if err := v.Validate(); err != nil {
			return fmt.Errorf("%w: %v", ErrBadRequest, err)
		}
		voice = v
	}
	switch {
	case hasTrack && tu.Encoded.Set && tu.Encoded.Null:
		stop = true
	case hasTrack && tu.Encoded.Set:
		t, err := lavalink.DecodeTrack(tu.Encoded.Value)
		if err != nil {
			return fmt.Errorf("%w: %v", ErrBadRequest, err)
		}
		newTrack = &t
	case hasTrack && tu.Identifier.Set:
		if p.cfg.Resolver == nil {
			return fmt.Errorf("%w: No matches found for identifier", ErrBadRequest)
		}
		res := p.cfg.Resolver.Load(ctx, tu.Identifier.Value)
		switch res.LoadType {
		case lavalink.LoadTypeTrack:
			newTrack = res.Track
		case lavalink.LoadTypePlaylist, lavalink.LoadTypeSearch:
			return fmt.Errorf("%w: Cannot play a playlist or search result", ErrBadRequest)
		case lavalink.LoadTypeError:
			msg := "Failed to load track"
			if res.Exception != nil && res.Exception.Message != nil {
				msg = *res.Exception.Message
			}
			return fmt.Errorf("%w: %s", ErrBadRequest, msg)
		default:
			return fmt.Errorf("%w: No matches found for identifier", ErrBadRequest)
		}
	}

	if hasVoice {
		if err := p.connectVoice(ctx, voice); err != nil {
			return err
		}
	}
	playing := p.cur.Load() != nil
	if newTrack == nil {
		if paused, ok := u.Paused.Get(); ok {
			p.paused.Store(paused)
		}
		p.mu.Lock()
		if userData != nil && p.track != nil {
			p.userData = userData
		}
		p.mu.Unlock()
		if pos, ok := u.Position.Get(); ok && playing {
			if err := p.seek(pos); err != nil {
				return fmt.Errorf("%w: %v", ErrBadRequest, err)
			}
		}
		if u.EndTime.Set && !u.EndTime.Null && playing {
			if pr := p.cur.Load(); pr != nil {
				pr.endFrame.Store(max(1, (u.EndTime.Value-pr.startMs)/20))
			}
		}
	}
	if vol, ok := u.Volume.Get(); ok {
		p.mu.Lock()
		p.volume = vol
		p.mu.Unlock()
		p.pushAdjust()
	}
	if f, ok := u.Filters.Get(); ok {
		p.mu.Lock()
		p.filters = f
		p.mu.Unlock()
		p.pushAdjust()
		p.sendUpdate()
	}
	if stop {
		p.stopTrack(lavalink.EndStopped)
		return nil
	}
	if newTrack != nil {
		if noReplace && playing {
			return nil
		}
		paused, _ := u.Paused.Get()
		p.paused.Store(paused)
		var start int64
		if pos, ok := u.Position.Get(); ok {
			start = pos
		}
		var end int64
		if u.EndTime.Set && !u.EndTime.Null {
			end = u.EndTime.Value
		}
		p.play(ctx, *newTrack, userData, start, end)
	}
	return nil
}

func (p *Player) isClosed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
}

// connectVoice replaces the connection when the details changed.
func (p *Player) connectVoice(ctx context.Context, v lavalink.VoiceState) error {
	p.mu.Lock()
	same := p.conn != nil && p.conn.Connected() && p.voice.Token == v.Token && p.voice.Endpoint == v.Endpoint &&
		p.voice.SessionID == v.SessionID && strPtrEq(p.voice.ChannelID, v.ChannelID)
	old := p.conn
	if !same {
		p.conn = nil
	}
	p.voice = v
	p.mu.Unlock()
	if same {
		return nil
	}
	if old != nil {
		_ = old.Close()
	}
	if p.cfg.Voice == nil {
		return nil
	}
	cctx, cancel := context.WithTimeout(ctx, p.cfg.VoiceTimeout)
	defer cancel()
	ch := ""
	if v.ChannelID != nil {
		ch = *v.ChannelID
	}
	st := audio.VoiceState{GuildID: p.guildID, UserID: p.userID, ChannelID: ch, SessionID: v.SessionID, Token: v.Token, Endpoint: v.Endpoint}
	conn, err := p.cfg.Voice.Connect(cctx, st, p, p.onVoiceClose)
	if err != nil {
		p.cfg.Log.Warn("voice connect failed", "guild", p.guildID, "err", err)
		return fmt.Errorf("%w: %v", ErrVoiceConnect, err)
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		_ = conn.Close()
		return ErrClosed
	}
	p.conn = conn
	p.mu.Unlock()
	p.sendUpdate()
	return nil
}

func strPtrEq(a, b *string) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

func (p *Player) onVoiceClose(c audio.VoiceClose) {
	p.emit(lavalink.WebSocketClosedEvent{GuildID: p.guildID, Code: c.Code, Reason: c.Reason, ByRemote: c.ByRemote})
	p.sendUpdate()
}

func (p *Player) sendUpdate() {
	p.emit(lavalink.PlayerUpdateMessage{GuildID: p.guildID, State: p.State()})
}

func (p *Player) pushAdjust() {
	p.mu.Lock()
	a := &adjust{filters: p.filters, volume: p.volume}
	pr := p.prod
	p.mu.Unlock()
	if pr != nil {
		pr.pending.Store(a)
	}
}

// play starts t, ending the current track with "replaced".
func (p *Player) play(ctx context.Context, t lavalink.Track, userData lavalink.Object, startMs, endMs int64) {
	p.stopTrack(lavalink.EndReplaced)
	t.Info.Position = startMs
	p.mu.Lock()
	p.track = &t
	p.userData = userData
	p.mu.Unlock()
	p.emit(lavalink.TrackStartEvent{GuildID: p.guildID, Track: p.trackForEvent()})
	stream, err := p.cfg.Opener.Open(ctx, t, time.Duration(startMs)*time.Millisecond)
	if err != nil {
		p.mu.Lock()
		p.track = nil
		p.mu.Unlock()
		p.emit(lavalink.TrackExceptionEvent{GuildID: p.guildID, Track: t, Exception: lavalink.NewException("Something broke when playing the track.", lavalink.SeverityFault, err)})
		p.emit(lavalink.TrackEndEvent{GuildID: p.guildID, Track: t, Reason: lavalink.EndLoadFailed})
		return
	}
	pctx, cancel := context.WithCancel(context.Background())
	pr := &producer{ring: newRing(p.cfg.BufferFrames), stream: stream, cancel: cancel, ctx: pctx, done: make(chan struct{}), startMs: startMs}
	if endMs > 0 {
		pr.endFrame.Store(max(1, (endMs-startMs)/20))
	}
	p.mu.Lock()
	pr.pending.Store(&adjust{filters: p.filters, volume: p.volume})
	p.prod = pr
	p.mu.Unlock()
	p.lastPoll.Store(time.Now().UnixNano()) // the 60 s cleanup counts from the start
	p.cur.Store(pr)
	go p.produce(pr)
	p.sendUpdate()
}

func (p *Player) trackForEvent() lavalink.Track {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.track == nil {
		return lavalink.Track{}
	}
	t := *p.track
	t.UserData = p.userData
	if t.UserData == nil {
		t.UserData = lavalink.Object("{}")
	}
	return t
}

// stopTrack ends the current track with reason and waits for its producer.
func (p *Player) stopTrack(reason lavalink.TrackEndReason) {
	p.mu.Lock()
	pr := p.prod
	if pr == nil {
		p.mu.Unlock()
		return
	}
	t := *p.track
	t.UserData = p.userData
	if t.UserData == nil {
		t.UserData = lavalink.Object("{}")
	}
	t.Info.Position = pr.positionMs()
	pr.cancel() // under mu: the producer's own end path sees this and backs off
	p.prod, p.track, p.userData = nil, nil, nil
	p.mu.Unlock()
	p.cur.Store(nil)
	// A producer blocked in a network read would hold the stop until the
	// socket timeout: abort the input first (safe concurrently).
	if a, ok := pr.stream.(Aborter); ok {
		a.Abort()
	}
	<-pr.done
	_ = pr.stream.Close()
	p.emit(lavalink.TrackEndEvent{GuildID: p.guildID, Track: t, Reason: reason})
}

// seek moves the playing track to pos (ms).
func (p *Player) seek(pos int64) error {
	p.mu.Lock()
	pr := p.prod
	p.mu.Unlock()
	if pr == nil {
		return nil
	}
	// Pause the producer by replacing it: stop, seek the stream, restart.
	p.mu.Lock()
	pr.cancel()
	p.mu.Unlock()
	<-pr.done
	if err := pr.stream.Seek(time.Duration(pos) * time.Millisecond); err != nil {
		// Keep playing where it was.
		p.restart(pr, pr.positionMs())
		if errors.Is(err, audio.ErrNotSeekable) {
			return nil
		}
		return err
	}
	p.restart(pr, pos)
	p.sendUpdate()
	return nil
}

// restart replaces pr with a fresh producer on the same stream at pos.
func (p *Player) restart(old *producer, pos int64) {
	pctx, cancel := context.WithCancel(context.Background())
	pr := &producer{ring: old.ring, stream: old.stream, cancel: cancel, ctx: pctx, done: make(chan struct{}), startMs: pos}
	if e := old.endFrame.Load(); e > 0 {
		endMs := old.startMs + e*20
		pr.endFrame.Store(max(1, (endMs-pos)/20))
	}
	pr.ring.reset()
	p.mu.Lock()
	pr.pending.Store(&adjust{filters: p.filters, volume: p.volume})
	if p.prod != old {
		p.mu.Unlock()
		cancel()
		return
	}
	p.prod = pr
	p.mu.Unlock()
	p.cur.Store(pr)
	go p.produce(pr)
}

// produce fills the ring ahead of the scheduler until the track ends or
// the producer is cancelled. A panic in the stream ends only this track.
func (p *Player) produce(pr *producer) {
	defer close(pr.done)
	reason, err := p.fill(pr)
	if pr.ctx.Err() != nil {
		return // stopped, replaced, sought or closed: the canceller reports
	}
	// Natural end: let the scheduler drain what is buffered.
	if reason == lavalink.EndFinished && err == nil {
		t := time.NewTimer(50 * time.Millisecond)
		defer t.Stop()
		for pr.ring.len() > 0 && !pr.endReached() {
			select {
			case <-pr.ctx.Done():
				return
			case <-pr.ring.space:
			case <-t.C:
				t.Reset(50 * time.Millisecond)
			}
			if p.paused.Load() || p.connGone() {
				// Buffered audio waits for unpause or a connection; stay cancellable.
				continue
			}
		}
	}
	p.mu.Lock()
	if pr.ctx.Err() != nil || p.prod != pr {
		p.mu.Unlock()
		return
	}
	t := *p.track
	t.UserData = p.userData
	if t.UserData == nil {
		t.UserData = lavalink.Object("{}")
	}
	t.Info.Position = pr.positionMs()
	p.prod, p.track, p.userData = nil, nil, nil
	pr.cancel()
	p.mu.Unlock()
	p.cur.Store(nil)
	_ = pr.stream.Close()
	if err != nil {
		p.emit(lavalink.TrackExceptionEvent{GuildID: p.guildID, Track: t, Exception: lavalink.NewException("Something broke when playing the track.", lavalink.SeverityFault, err)})
	}
	p.emit(lavalink.TrackEndEvent{GuildID: p.guildID, Track: t, Reason: reason})
}

func (p *Player) connGone() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.conn == nil
}

func (pr *producer) endReached() bool {
	e := pr.endFrame.Load()
	return e > 0 && pr.consumed.Load() >= e
}

// fill runs the decode loop; it returns the end reason and the error that
// ended the track, if any.
func (p *Player) fill(pr *producer) (reason lavalink.TrackEndReason, err error) {
	defer func() {
		if r := recover(); r != nil {
			p.cfg.Log.Error("track decoder panicked", "guild", p.guildID, "panic", r, "stack", string(debug.Stack()))
			reason, err = lavalink.EndFinished, fmt.Errorf("decoder panic: %v", r)
		}
	}()
	wait := time.NewTimer(time.Hour)
	defer wait.Stop()
	for {
		if pr.ctx.Err() != nil {
			return lavalink.EndStopped, nil
		}
		if pr.endReached() {
			return lavalink.EndFinished, nil
		}
		if a := pr.pending.Swap(nil); a != nil {
			if adj, ok := pr.stream.(Adjustable); ok {
				if aerr := adj.SetFilters(a.filters, a.volume); aerr != nil {
					p.cfg.Log.Warn("filters not applied", "guild", p.guildID, "err", aerr)
				}
			}
		}
		if pr.ring.full() {
			wait.Reset(100 * time.Millisecond)
			select {
			case <-pr.ctx.Done():
				return lavalink.EndStopped, nil
			case <-pr.ring.space:
			case <-wait.C:
			}
			p.checkStuck(pr)
			continue
		}
		n, rerr := pr.stream.ReadFrame(pr.ring.slot())
		if rerr == io.EOF {
			pr.eof.Store(true)
			return lavalink.EndFinished, nil
		}
		if rerr != nil {
			if pr.ctx.Err() != nil {
				return lavalink.EndStopped, nil
			}
			pr.failed.Store(true)
			return lavalink.EndFinished, rerr
		}
		pr.ring.commit(n)
	}
}

// checkStuck reports a stall once per track: the scheduler polled and got
// nothing for the threshold.
func (p *Player) checkStuck(pr *producer) {
	u := pr.underrun.Load()
	if u == 0 || pr.stuck.Load() || p.cfg.StuckThreshold <= 0 {
		return
	}
	if time.Since(time.Unix(0, u)) >= p.cfg.StuckThreshold {
		pr.stuck.Store(true)
		p.emit(lavalink.TrackStuckEvent{GuildID: p.guildID, Track: p.trackForEvent(), ThresholdMs: p.cfg.StuckThreshold.Milliseconds()})
		p.sendUpdate()
	}
}

// CleanupAfter is how long a playing track may go without being polled by
// a voice connection before it ends with "cleanup" (the reference's rule:
// "play without a working voice connection").
const CleanupAfter = 60 * time.Second

// CheckCleanup ends the track with "cleanup" when nothing has polled the
// player for CleanupAfter. The session's periodic tick calls it; it skips a
// round rather than wait for a PATCH in progress.
func (p *Player) CheckCleanup(now time.Time) {
	if p.cur.Load() == nil || now.Sub(time.Unix(0, p.lastPoll.Load())) < CleanupAfter {
		return
	}
	if !p.opMu.TryLock() {
		return
	}
	defer p.opMu.Unlock()
	p.stopTrack(lavalink.EndCleanup)
}

// CheckStuck lets the session's periodic tick detect stalls while the
// producer is blocked in a read.
func (p *Player) CheckStuck() {
	if pr := p.cur.Load(); pr != nil && !p.paused.Load() {
		p.checkStuck(pr)
	}
}

// Close stops the track (reporting reason, e.g. cleanup or stopped; empty
// means no event), closes the voice connection and waits for every
// goroutine. Idempotent.
func (p *Player) Close(reason lavalink.TrackEndReason) {
	p.opMu.Lock()
	defer p.opMu.Unlock()
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	p.mu.Unlock()
	if reason != "" {
		p.stopTrack(reason)
	} else {
		p.stopTrack(lavalink.EndCleanup)
	}
	p.mu.Lock()
	c := p.conn
	p.conn = nil
	p.mu.Unlock()
	if c != nil {
		_ = c.Close()
	}
}
