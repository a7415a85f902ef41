// Package server is the node's HTTP face: the Lavalink v4 REST routes and
// WebSocket, behind password authentication. Every response carries
// "Lavalink-Api-Version: 4".
package server

import (
	"io"
	"log/slog"
	"net/http"

	"github.com/audionode/audionode/node/buildinfo"
	"github.com/audionode/audionode/node/settings"
)

// Server routes requests. It owns no goroutines of its own; the caller runs
// it under an http.Server and shuts that down.
type Server struct {
	cfg  settings.Settings
	log  *slog.Logger
	auth *Authenticator
	mux  *http.ServeMux
}

// New builds a Server from the settings.
func New(cfg settings.Settings, log *slog.Logger) *Server {
	s := &Server{cfg: cfg, log: log, auth: NewAuthenticator(cfg.Lavalink.Password), mux: http.NewServeMux()}
	s.routes()
	return s
}

func (s *Server) routes() {
	s.mux.Handle("GET /version", s.auth.Wrap(http.HandlerFunc(s.handleVersion)))
	// Anything else still requires credentials before it is told 404.
	s.mux.Handle("/", s.auth.Wrap(http.NotFoundHandler()))
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Lavalink-Api-Version", "4")
	s.mux.ServeHTTP(w, r)
}

func (s *Server) handleVersion(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain;charset=UTF-8")
	_, _ = io.WriteString(w, buildinfo.LavalinkVersion)
}
