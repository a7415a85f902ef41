// Package node assembles the audio node: settings → source loader, route
// planner, media opener, voice connector with the shared send scheduler,
// players, the Lavalink server, metrics and drain mode. It stops cleanly
// when its context ends.
package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/audionode/audionode/node/drain"
	"github.com/audionode/audionode/node/metrics"
	"github.com/audionode/audionode/node/player"
	"github.com/audionode/audionode/node/routeplanner"
	"github.com/audionode/audionode/node/sched"
	"github.com/audionode/audionode/node/server"
	"github.com/audionode/audionode/node/settings"
	"github.com/audionode/audionode/node/source"
	"github.com/audionode/audionode/node/voice"
)

// Options replace parts of the node (tests); zero values build the real ones.
type Options struct {
	Opener player.Opener
}

// Node is a running audio node.
type Node struct {
	cfg     settings.Settings
	log     *slog.Logger
	ln      net.Listener
	srv     *http.Server
	api     *server.Server
	loader  *source.Loader
	sched   *sched.Scheduler
	voice   *voice.Connector
	drainer *drain.Drainer
	drainCh chan struct{}
}

// New binds the listen address so callers learn the real port (port 0 picks one).
func New(cfg settings.Settings, log *slog.Logger) (*Node, error) {
	return NewWith(cfg, log, Options{})
}

// NewWith is New with replaced parts.
func NewWith(cfg settings.Settings, log *slog.Logger, opts Options) (*Node, error) {
	n := &Node{cfg: cfg, log: log, drainCh: make(chan struct{})}
	var planner *routeplanner.Planner
	if len(cfg.Lavalink.Ratelimit.IPBlocks) > 0 {
		var err error
		planner, err = routeplanner.New(routeplanner.Config{Strategy: cfg.Lavalink.Ratelimit.Strategy,
			IPBlocks: cfg.Lavalink.Ratelimit.IPBlocks, ExcludedIPs: cfg.Lavalink.Ratelimit.ExcludedIPs})
		if err != nil {
			return nil, fmt.Errorf("route planner: %w", err)
		}
	}
	scfg := source.ConfigFromSettings(cfg)
	scfg.Planner = planner
	loader, err := source.New(scfg)
	if err != nil {
		return nil, fmt.Errorf("sources: %w", err)
	}
	n.loader = loader
	n.sched = sched.New(sched.Options{})
	n.voice = voice.NewConnector(voice.Config{
		AllowInsecureEndpoints: cfg.AudioNode.VoiceInsecureEndpoints,
		ConnectTimeout:         cfg.AudioNode.VoiceConnectTimeout,
		Scheduler:              n.sched,
		Logger:                 log,
		DAVE:                   daveSessions,
	})
	opener := opts.Opener
	if opener == nil {
		opener = newMediaOpener(loader, cfg)
	}
	start := time.Now()
	var api *server.Server
	frames := func() (uint64, uint64, uint64) {
		st := n.sched.Stats()
		return st.Sent, st.Nulled, st.Deficit
	}
	m := metrics.New(statsFunc{players: func() int { return api.Players() }, playing: func() int { return api.PlayingPlayers() },
		frames: frames, voice: func() (int, int) { return api.VoiceConnections() }}, start)
	n.drainer = drain.New(drain.Hooks{
		Players: func() int { return api.Players() },
		Finish:  func() { api.GoingAway(); close(n.drainCh) },
	})
	api = server.New(cfg, log, server.Deps{
		Loader:   loader,
		Player:   player.Config{Opener: opener, Voice: n.voice, ValidateFilters: validateFilters},
		Planner:  planner,
		Metrics:  m.Handler(),
		Observer: m,
		Drain:    n.drainer,
		Started:  start,
		Frames:   frames,
	})
	n.api = api
	ln, err := net.Listen("tcp", cfg.Addr())
	if err != nil {
		n.closeParts()
		return nil, fmt.Errorf("listen on %s: %w", cfg.Addr(), err)
	}
	n.ln = ln
	n.srv = &http.Server{
		Handler:           api,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	return n, nil
}

type statsFunc struct {
	players, playing func() int
	frames           func() (uint64, uint64, uint64)
	voice            func() (int, int)
}

func (s statsFunc) VoiceConnections() (int, int) { return s.voice() }

func (s statsFunc) Players() int                     { return s.players() }
func (s statsFunc) PlayingPlayers() int              { return s.playing() }
func (s statsFunc) Frames() (uint64, uint64, uint64) { return s.frames() }

// Addr is the address the node listens on.
func (n *Node) Addr() net.Addr { return n.ln.Addr() }

// Server is the API server (tests inspect its registries).
func (n *Node) Server() *server.Server { return n.api }

// Drain starts drain mode with the given grace period (SIGTERM does this).
func (n *Node) Drain(grace time.Duration) {
	now := time.Now()
	n.drainer.Start(now, now.Add(grace))
}

// Drained is closed when a drain has finished (no players left or deadline).
func (n *Node) Drained() <-chan struct{} { return n.drainCh }

// Run serves until ctx ends, then shuts down within the configured timeout.
func (n *Node) Run(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- n.srv.Serve(n.ln) }()
	n.log.Info("audionode listening", "addr", n.ln.Addr().String())
	select {
	case err := <-errc:
		n.closeParts()
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), n.cfg.AudioNode.ShutdownTimeout)
	defer cancel()
	n.api.GoingAway() // hijacked WebSockets are not closed by Shutdown
	err := n.srv.Shutdown(sctx)
	if serveErr := <-errc; !errors.Is(serveErr, http.ErrServerClosed) && err == nil {
		err = serveErr
	}
	n.closeParts()
	n.log.Info("audionode stopped")
	return err
}

func (n *Node) closeParts() {
	if n.api != nil {
		n.api.Close()
	}
	if n.drainer != nil {
		n.drainer.Close()
	}
	if n.voice != nil {
		n.voice.Close()
	}
	if n.sched != nil {
		n.sched.Close()
	}
	if n.loader != nil {
		_ = n.loader.Close()
	}
}
