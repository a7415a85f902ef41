// Package server is the node's HTTP face: the Lavalink v4 REST routes and
// WebSocket sessions, behind password authentication, plus unauthenticated
// probes (/healthz, /readyz) and metrics. Every response carries
// "Lavalink-Api-Version: 4".
//
// Ownership: the Server owns its sessions; a session owns its players.
// Close destroys every session and waits for every goroutine it started
// (WebSocket writers and tickers, resume timers).
package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/audionode/audionode/node/buildinfo"
	"github.com/audionode/audionode/node/drain"
	"github.com/audionode/audionode/node/lavalink"
	"github.com/audionode/audionode/node/player"
	"github.com/audionode/audionode/node/routeplanner"
	"github.com/audionode/audionode/node/settings"
)

// Loader is the track loader (node/source).
type Loader interface {
	Load(ctx context.Context, identifier string) lavalink.LoadResult
	SourceManagers() []string
}

// Observer counts what the server sees (node/metrics implements it).
type Observer interface {
	LoadResult(source, loadType string)
	TrackEnded(reason string)
	VoiceClosed(code int)
}

// Deps are the parts the server drives.
type Deps struct {
	Loader   Loader
	Player   player.Config // shared by every player; Resolver defaults to Loader
	Planner  *routeplanner.Planner
	Metrics  http.Handler // nil: no metrics endpoint
	Observer Observer     // nil: nothing counted
	Drain    *drain.Drainer
	Started  time.Time
	Frames   func() (sent, nulled, deficit uint64)
}

// Server routes requests and owns the sessions.
type Server struct {
	cfg       settings.Settings
	log       *slog.Logger
	auth      *Authenticator
	mux       *http.ServeMux
	deps      Deps
	playerCfg player.Config
	upgrader  websocket.Upgrader

	mu       sync.Mutex
	sessions map[string]*Session
	closed   bool
	wg       sync.WaitGroup // session sockets and resume timers

	shutdown     chan struct{}
	shutdownOnce sync.Once
	playerCount  atomic.Int64
	leak         leaker
}

// New builds a Server.
func New(cfg settings.Settings, log *slog.Logger, deps Deps) *Server {
	if deps.Started.IsZero() {
		deps.Started = time.Now()
	}
	s := &Server{
		cfg: cfg, log: log, auth: NewAuthenticator(cfg.Lavalink.Password), mux: http.NewServeMux(),
		deps: deps, sessions: map[string]*Session{}, shutdown: make(chan struct{}),
		upgrader: websocket.Upgrader{ReadBufferSize: 1024, WriteBufferSize: 4096, CheckOrigin: func(*http.Request) bool { return true }},
	}
	s.playerCfg = deps.Player
	if s.playerCfg.Resolver == nil && deps.Loader != nil {
		s.playerCfg.Resolver = deps.Loader
	}
	if s.playerCfg.Log == nil {
		s.playerCfg.Log = log
	}
	if s.playerCfg.VoiceTimeout <= 0 {
		s.playerCfg.VoiceTimeout = cfg.AudioNode.VoiceConnectTimeout
	}
	if s.playerCfg.StuckThreshold <= 0 {
		s.playerCfg.StuckThreshold = time.Duration(cfg.Lavalink.TrackStuckThresholdMs) * time.Millisecond
	}
	if s.playerCfg.BufferFrames <= 0 {
		s.playerCfg.BufferFrames = max(cfg.Lavalink.BufferDurationMs/20, 10)
	}
	if s.playerCfg.DisabledFilter == nil {
		s.playerCfg.DisabledFilter = func(n string) bool { on, ok := cfg.Lavalink.Filters[n]; return ok && !on }
	}
	s.routes()
	return s
}

func (s *Server) routes() {
	a := func(h http.HandlerFunc) http.Handler { return s.auth.Wrap(h) }
	s.mux.Handle("GET /version", a(s.handleVersion))
	s.mux.Handle("GET /v4/websocket", http.HandlerFunc(s.handleWebSocket))
	s.mux.Handle("GET /v4/info", a(s.handleInfo))
	s.mux.Handle("GET /v4/stats", a(s.handleStats))
	s.mux.Handle("GET /v4/loadtracks", a(s.handleLoadTracks))
	s.mux.Handle("GET /v4/decodetrack", a(s.handleDecodeTrack))
	s.mux.Handle("POST /v4/decodetracks", a(s.handleDecodeTracks))
	s.mux.Handle("PATCH /v4/sessions/{sessionId}", a(s.handleSessionUpdate))
	s.mux.Handle("GET /v4/sessions/{sessionId}/players", a(s.handlePlayers))
	s.mux.Handle("GET /v4/sessions/{sessionId}/players/{guildId}", a(s.handlePlayer))
	s.mux.Handle("PATCH /v4/sessions/{sessionId}/players/{guildId}", a(s.handlePlayerUpdate))
	s.mux.Handle("DELETE /v4/sessions/{sessionId}/players/{guildId}", a(s.handlePlayerDelete))
	s.mux.Handle("GET /v4/routeplanner/status", a(s.handlePlannerStatus))
	s.mux.Handle("POST /v4/routeplanner/free/address", a(s.handlePlannerFreeAddress))
	s.mux.Handle("POST /v4/routeplanner/free/all", a(s.handlePlannerFreeAll))
	s.mux.Handle("POST /audionode/v1/drain", a(s.handleDrain))
	s.mux.Handle("GET /audionode/v1/state", a(s.handleState))
	if s.cfg.AudioNode.TestingLeakEndpoint {
		s.mux.Handle("POST /audionode/v1/testing/leak", a(s.handleLeak))
	}
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") })
	s.mux.HandleFunc("GET /readyz", s.handleReady)
	if s.deps.Metrics != nil && s.cfg.Metrics.PrometheusEnabled {
		s.mux.Handle("GET "+s.cfg.Metrics.PrometheusEndpoint, s.deps.Metrics)
	}
	// Anything else still requires credentials before it is told 404.
	s.mux.Handle("/", a(func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, http.StatusNotFound, "Not Found", nil)
	}))
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Lavalink-Api-Version", "4")
	if r.Body != nil {
		r.Body = http.MaxBytesReader(w, r.Body, s.cfg.AudioNode.MaxRequestBodyBytes)
	}
	s.mux.ServeHTTP(w, r)
}

// Players and PlayingPlayers count across sessions (stats, metrics).
func (s *Server) Players() int { return int(s.playerCount.Load()) }

// PlayingPlayers counts players with a track that are not paused.
func (s *Server) PlayingPlayers() int {
	n := 0
	for _, sess := range s.allSessions() {
		for _, p := range sess.snapshot() {
			if p.Playing() {
				n++
			}
		}
	}
	return n
}

// VoiceConnections counts players' voice connections: connected, and held
// but not (yet or any more) connected.
func (s *Server) VoiceConnections() (connected, notConnected int) {
	for _, sess := range s.allSessions() {
		for _, p := range sess.snapshot() {
			held, ok := p.Voice()
			switch {
			case ok:
				connected++
			case held:
				notConnected++
			}
		}
	}
	return connected, notConnected
}

// SessionCount reports the sessions held (live and awaiting resume).
func (s *Server) SessionCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sessions)
}

func (s *Server) allSessions() []*Session {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*Session, 0, len(s.sessions))
	for _, v := range s.sessions {
		out = append(out, v)
	}
	return out
}

func (s *Server) forget(sess *Session) {
	s.mu.Lock()
	if s.sessions[sess.id] == sess {
		delete(s.sessions, sess.id)
	}
	s.mu.Unlock()
}

// GoingAway closes every client socket with 1001 so clients move their
// players elsewhere (end of a drain, shutdown).
func (s *Server) GoingAway() { s.shutdownOnce.Do(func() { close(s.shutdown) }) }

// Close closes sockets, destroys every session and waits. Idempotent.
func (s *Server) Close() {
	s.GoingAway()
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	for _, sess := range s.allSessions() {
		sess.destroy()
	}
	s.wg.Wait()
	s.releaseLeak()
}

func (s *Server) handleVersion(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain;charset=UTF-8")
	_, _ = io.WriteString(w, buildinfo.LavalinkVersion)
}

func (s *Server) handleReady(w http.ResponseWriter, _ *http.Request) {
	if s.deps.Drain != nil && s.deps.Drain.Draining() {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, "draining")
		return
	}
	_, _ = io.WriteString(w, "ok")
}

// writeJSON writes v with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError writes Lavalink's error body; trace only with ?trace=true.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, status int, msg string, cause error) {
	body := lavalink.NewErrorResponse(time.Now(), status, msg, r.URL.Path)
	if r.URL.Query().Get("trace") == "true" {
		if cause != nil {
			body.Trace = fmt.Sprintf("%+v", cause)
		} else {
			body.Trace = msg
		}
	}
	writeJSON(w, status, body)
}

func (s *Server) handleWebSocket(w http.ResponseWriter, r *http.Request) {
	if code := s.auth.Check(r); code != 0 {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	userID := r.Header.Get("User-Id")
	if n, err := strconv.ParseUint(userID, 10, 64); err != nil || n == 0 {
		s.writeError(w, r, http.StatusBadRequest, "Invalid or missing User-Id header", err)
		return
	}
	var sess *Session
	resumed := false
	if id := r.Header.Get("Session-Id"); id != "" {
		s.mu.Lock()
		if old, ok := s.sessions[id]; ok && old.userID == userID {
			sess = old
		}
		s.mu.Unlock()
	}
	out := make(chan []byte, sendQueue)
	var queued [][]byte
	if sess != nil {
		if q, ok := sess.attach(out); ok {
			queued, resumed = q, true
		} else {
			sess = nil
		}
	}
	if sess == nil {
		if s.deps.Drain != nil && s.deps.Drain.Draining() {
			s.writeError(w, r, http.StatusServiceUnavailable, "Node is draining", nil)
			return
		}
		sess = &Session{srv: s, id: newSessionID(), userID: userID, clientName: r.Header.Get("Client-Name"),
			players: map[string]*player.Player{}, timeout: lavalink.DefaultSessionTimeout, out: out}
	}
	hdr := http.Header{"Session-Resumed": {strconv.FormatBool(resumed)}, "Lavalink-Api-Version": {"4"}}
	c, err := s.upgrader.Upgrade(w, r, hdr)
	if err != nil {
		if !resumed {
			return
		}
		sess.detach()
		return
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		_ = c.Close()
		sess.destroy()
		return
	}
	s.sessions[sess.id] = sess
	s.wg.Add(1)
	s.mu.Unlock()
	defer s.wg.Done()
	ready, _ := json.Marshal(lavalink.ReadyMessage{Resumed: resumed, SessionID: sess.id})
	first := append([][]byte{ready}, queued...)
	if resumed {
		for _, p := range sess.snapshot() {
			b, _ := json.Marshal(lavalink.PlayerUpdateMessage{GuildID: p.GuildID(), State: p.State()})
			first = append(first, b)
		}
	}
	s.log.Info("client connected", "session", sess.id, "resumed", resumed, "client", sess.clientName)
	sess.serve(context.Background(), c, out, first)
}

// liveSession finds a session with a socket attached (detached → 404).
func (s *Server) liveSession(w http.ResponseWriter, r *http.Request) (*Session, bool) {
	s.mu.Lock()
	sess, ok := s.sessions[r.PathValue("sessionId")]
	s.mu.Unlock()
	if ok {
		sess.mu.Lock()
		ok = sess.out != nil && !sess.closed
		sess.mu.Unlock()
	}
	if !ok {
		s.writeError(w, r, http.StatusNotFound, "Session not found", nil)
	}
	return sess, ok
}

func guildID(w http.ResponseWriter, r *http.Request, s *Server) (string, bool) {
	g := r.PathValue("guildId")
	if _, err := strconv.ParseInt(g, 10, 64); err != nil {
		s.writeError(w, r, http.StatusBadRequest, "Invalid guild id: "+g, err)
		return "", false
	}
	return g, true
}

// decodeBody reads a JSON body, mapping every failure to a 400 (413 when
// the body is too large).
func (s *Server) decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			s.writeError(w, r, http.StatusRequestEntityTooLarge, "Request body too large", err)
			return false
		}
		s.writeError(w, r, http.StatusBadRequest, "Failed to read request body", err)
		return false
	}
	if err := json.Unmarshal(b, v); err != nil {
		s.writeError(w, r, http.StatusBadRequest, "Invalid request body: "+err.Error(), err)
		return false
	}
	return true
}

func (s *Server) handleSessionUpdate(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.liveSession(w, r)
	if !ok {
		return
	}
	var u lavalink.SessionUpdate
	if !s.decodeBody(w, r, &u) {
		return
	}
	sess.mu.Lock()
	if v, ok := u.Resuming.Get(); ok {
		sess.resuming = v
	}
	if v, ok := u.Timeout.Get(); ok {
		if v < 0 {
			sess.mu.Unlock()
			s.writeError(w, r, http.StatusBadRequest, "Timeout must not be negative", nil)
			return
		}
		sess.timeout = v
	}
	out := lavalink.Session{Resuming: sess.resuming, Timeout: sess.timeout}
	sess.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handlePlayers(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.liveSession(w, r)
	if !ok {
		return
	}
	out := []lavalink.Player{}
	for _, p := range sess.snapshot() {
		out = append(out, p.Snapshot())
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handlePlayer(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.liveSession(w, r)
	if !ok {
		return
	}
	g, ok := guildID(w, r, s)
	if !ok {
		return
	}
	p, ok := sess.player(g, false)
	if !ok {
		s.writeError(w, r, http.StatusNotFound, "Player not found", nil)
		return
	}
	writeJSON(w, http.StatusOK, p.Snapshot())
}

func (s *Server) handlePlayerUpdate(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.liveSession(w, r)
	if !ok {
		return
	}
	g, ok := guildID(w, r, s)
	if !ok {
		return
	}
	var u lavalink.PlayerUpdate
	if !s.decodeBody(w, r, &u) {
		return
	}
	noReplace := r.URL.Query().Get("noReplace") == "true"
	if _, exists := sess.player(g, false); !exists && s.deps.Drain != nil && s.deps.Drain.Draining() {
		s.writeError(w, r, http.StatusServiceUnavailable, "Node is draining: no new players", nil)
		return
	}
	p, ok := sess.player(g, true)
	if !ok {
		s.writeError(w, r, http.StatusNotFound, "Session not found", nil)
		return
	}
	if err := p.Update(r.Context(), u, noReplace); err != nil {
		switch {
		case errors.Is(err, player.ErrBadRequest):
			s.writeError(w, r, http.StatusBadRequest, strings.TrimPrefix(err.Error(), player.ErrBadRequest.Error()+": "), err)
		case errors.Is(err, player.ErrClosed):
			s.writeError(w, r, http.StatusNotFound, "Player not found", err)
		default:
			s.writeError(w, r, http.StatusInternalServerError, "Failed to connect to voice server", err)
		}
		return
	}
	writeJSON(w, http.StatusOK, p.Snapshot())
}

func (s *Server) handlePlayerDelete(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.liveSession(w, r)
	if !ok {
		return
	}
	g, ok := guildID(w, r, s)
	if !ok {
		return
	}
	sess.removePlayer(g)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleLoadTracks(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("identifier")
	if id == "" {
		s.writeError(w, r, http.StatusBadRequest, "Missing identifier parameter", nil)
		return
	}
	res := lavalink.EmptyResult()
	if s.deps.Loader != nil {
		res = s.deps.Loader.Load(r.Context(), id)
	}
	if s.deps.Observer != nil {
		src := "none"
		switch {
		case res.Track != nil:
			src = res.Track.Info.SourceName
		case res.Playlist != nil && len(res.Playlist.Tracks) > 0:
			src = res.Playlist.Tracks[0].Info.SourceName
		}
		s.deps.Observer.LoadResult(src, string(res.LoadType))
	}
	writeJSON(w, http.StatusOK, res)
}

func (s *Server) handleDecodeTrack(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	enc := q.Get("encodedTrack")
	if enc == "" {
		enc = q.Get("track")
	}
	if enc == "" {
		s.writeError(w, r, http.StatusBadRequest, "Missing encodedTrack parameter", nil)
		return
	}
	t, err := lavalink.DecodeTrack(enc)
	if err != nil {
		// The reference answers 500 here; a malformed track is the client's
		// fault, so we say 400 with the reason.
		s.writeError(w, r, http.StatusBadRequest, err.Error(), err)
		return
	}
	writeJSON(w, http.StatusOK, t)
}

func (s *Server) handleDecodeTracks(w http.ResponseWriter, r *http.Request) {
	var in []string
	if !s.decodeBody(w, r, &in) {
		return
	}
	ts, err := lavalink.DecodeTracks(in)
	if errors.Is(err, lavalink.ErrNoTracks) {
		s.writeError(w, r, http.StatusBadRequest, lavalink.NoTracksMessage, err)
		return
	}
	if err != nil {
		s.writeError(w, r, http.StatusBadRequest, err.Error(), err)
		return
	}
	writeJSON(w, http.StatusOK, ts)
}

func (s *Server) handleInfo(w http.ResponseWriter, _ *http.Request) {
	var sources []string
	if s.deps.Loader != nil {
		sources = s.deps.Loader.SourceManagers()
	}
	filters := []string{}
	for _, n := range lavalink.FilterNames {
		if on, ok := s.cfg.Lavalink.Filters[n]; !ok || on {
			filters = append(filters, n)
		}
	}
	info := lavalink.Info{
		Version:        lavalink.ParseVersion(buildinfo.LavalinkVersion),
		BuildTime:      s.deps.Started.UnixMilli(),
		Git:            lavalink.Git{Branch: "main", Commit: "audionode-" + buildinfo.Version},
		JVM:            runtime.Version(),
		Lavaplayer:     "audionode-" + buildinfo.Version,
		SourceManagers: append([]string{}, sources...),
		Filters:        filters,
		Plugins:        []lavalink.Plugin{},
	}
	writeJSON(w, http.StatusOK, info)
}

// stats builds the node-wide stats (saturated while draining so clients'
// node selection avoids us).
func (s *Server) stats() lavalink.Stats {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	st := lavalink.Stats{
		Players: s.Players(), PlayingPlayers: s.PlayingPlayers(),
		Uptime: time.Since(s.deps.Started).Milliseconds(),
		Memory: lavalink.Memory{Free: int64(ms.HeapIdle - ms.HeapReleased), Used: int64(ms.HeapInuse), Allocated: int64(ms.Sys), Reservable: int64(ms.Sys)},
		CPU:    lavalink.CPU{Cores: runtime.GOMAXPROCS(0)},
	}
	if s.deps.Drain != nil && s.deps.Drain.Draining() {
		st.CPU.SystemLoad, st.CPU.LavalinkLoad = 1, 1
	}
	return st
}

func (s *Server) handleStats(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.stats())
}

func (s *Server) handlePlannerStatus(w http.ResponseWriter, _ *http.Request) {
	if s.deps.Planner == nil {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	writeJSON(w, http.StatusOK, s.deps.Planner.Status())
}

func (s *Server) handlePlannerFreeAddress(w http.ResponseWriter, r *http.Request) {
	if s.deps.Planner == nil {
		s.writeError(w, r, http.StatusInternalServerError, "Can't access disabled route planner", nil)
		return
	}
	var body struct {
		Address string `json:"address"`
	}
	if !s.decodeBody(w, r, &body) {
		return
	}
	a, err := netip.ParseAddr(body.Address)
	if err != nil {
		s.writeError(w, r, http.StatusBadRequest, "Invalid address: "+body.Address, err)
		return
	}
	s.deps.Planner.Free(a)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handlePlannerFreeAll(w http.ResponseWriter, r *http.Request) {
	if s.deps.Planner == nil {
		s.writeError(w, r, http.StatusInternalServerError, "Can't access disabled route planner", nil)
		return
	}
	s.deps.Planner.FreeAll()
	w.WriteHeader(http.StatusNoContent)
}

// stateBody is GET /audionode/v1/state.
type stateBody struct {
	State          string `json:"state"`
	Players        int    `json:"players"`
	PlayingPlayers int    `json:"playingPlayers"`
	Deadline       *int64 `json:"deadline"` // Unix ms; null while serving
}

func (s *Server) state() stateBody {
	b := stateBody{State: string(drain.Serving), Players: s.Players(), PlayingPlayers: s.PlayingPlayers()}
	if s.deps.Drain != nil {
		snap := s.deps.Drain.State()
		b.State = string(snap.Phase)
		if !snap.Deadline.IsZero() {
			d := snap.Deadline.UnixMilli()
			b.Deadline = &d
		}
	}
	return b
}

func (s *Server) handleDrain(w http.ResponseWriter, r *http.Request) {
	if s.deps.Drain == nil {
		s.writeError(w, r, http.StatusNotImplemented, "Drain is not available", nil)
		return
	}
	var body struct {
		TimeoutMs *int64 `json:"timeoutMs"`
	}
	if r.ContentLength != 0 {
		if !s.decodeBody(w, r, &body) {
			return
		}
	}
	grace := s.cfg.AudioNode.DrainTimeout
	if body.TimeoutMs != nil {
		if *body.TimeoutMs < 0 {
			s.writeError(w, r, http.StatusBadRequest, "timeoutMs must not be negative", nil)
			return
		}
		grace = time.Duration(*body.TimeoutMs) * time.Millisecond
	}
	now := time.Now()
	s.deps.Drain.Start(now, now.Add(grace))
	writeJSON(w, http.StatusAccepted, s.state())
}

func (s *Server) handleState(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.state())
}
