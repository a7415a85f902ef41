// Package node assembles the audio node: it loads nothing itself, takes
// settings, serves the Lavalink API and stops cleanly when its context ends.
package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/audionode/audionode/node/server"
	"github.com/audionode/audionode/node/settings"
)

// Node is a running audio node.
type Node struct {
	cfg settings.Settings
	log *slog.Logger
	ln  net.Listener
	srv *http.Server
}

// New binds the listen address so callers learn the real port (port 0 picks one).
func New(cfg settings.Settings, log *slog.Logger) (*Node, error) {
	ln, err := net.Listen("tcp", cfg.Addr())
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", cfg.Addr(), err)
	}
	h := server.New(cfg, log)
	return &Node{
		cfg: cfg, log: log, ln: ln,
		srv: &http.Server{
			Handler:           h,
			ReadHeaderTimeout: 10 * time.Second,
			IdleTimeout:       120 * time.Second,
			MaxHeaderBytes:    64 << 10,
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		},
	}, nil
}

// Addr is the address the node listens on.
func (n *Node) Addr() net.Addr { return n.ln.Addr() }

// Run serves until ctx ends, then shuts down within the configured timeout.
func (n *Node) Run(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- n.srv.Serve(n.ln) }()
	n.log.Info("audionode listening", "addr", n.ln.Addr().String())
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), n.cfg.AudioNode.ShutdownTimeout)
	defer cancel()
	err := n.srv.Shutdown(sctx)
	if serveErr := <-errc; !errors.Is(serveErr, http.ErrServerClosed) && err == nil {
		err = serveErr
	}
	n.log.Info("audionode stopped")
	return err
}
