// Package voice is the node's Discord voice client: gateway v8 over wss
// (Identify, Hello and heartbeats with seq_ack and zombie detection, Ready,
// Select Protocol, Session Description, Speaking, Resume with replay), UDP
// IP discovery, and the close-code policy of discord-voice.md §1.5. Audio
// leaves through the shared send scheduler (package sched), which seals
// each frame with the rtpsize AEAD chosen here. A DAVE session can be
// plugged in through DAVESession.
package voice

import (
	"context"
	"crypto/tls"
	"log/slog"
	"sync"
	"time"

	"github.com/audionode/audionode/node/audio"
	"github.com/audionode/audionode/node/sched"
	"github.com/gorilla/websocket"
)

// Config configures a Connector.
type Config struct {
	// AllowInsecureEndpoints accepts endpoints with an explicit ws://
	// scheme (tests, local benchmarks). Off: only wss.
	AllowInsecureEndpoints bool
	// ConnectTimeout bounds a handshake (first connect and each resume);
	// default 10 s.
	ConnectTimeout time.Duration
	// Scheduler is the shared send scheduler; nil makes a private one that
	// Close stops.
	Scheduler *sched.Scheduler
	// Logger; nil discards.
	Logger *slog.Logger
	// TLSConfig for wss (tests put the fake server's CA here); nil uses
	// the system roots.
	TLSConfig *tls.Config
	// DAVE, when set, makes one DAVE session per connection.
	DAVE func(DAVEParams) DAVESession
	// MaxResumeAttempts before giving up after a resumable close; default 5.
	MaxResumeAttempts int
}

// Connector opens voice connections; it implements audio.VoiceConnector.
type Connector struct {
	cfg      Config
	sched    *sched.Scheduler
	ownSched bool
	dialer   websocket.Dialer
	log      *slog.Logger
	once     sync.Once
}

var _ audio.VoiceConnector = (*Connector)(nil)

// NewConnector returns a Connector; call Close when done with it.
func NewConnector(cfg Config) *Connector {
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = 10 * time.Second
	}
	if cfg.MaxResumeAttempts <= 0 {
		cfg.MaxResumeAttempts = 5
	}
	c := &Connector{cfg: cfg, sched: cfg.Scheduler, log: cfg.Logger}
	if c.sched == nil {
		c.sched, c.ownSched = sched.New(sched.Options{}), true
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	c.dialer = websocket.Dialer{
		HandshakeTimeout: cfg.ConnectTimeout,
		TLSClientConfig:  cfg.TLSConfig,
		ReadBufferSize:   4096,
		WriteBufferSize:  4096,
	}
	return c
}

// Scheduler returns the scheduler connections send through.
func (c *Connector) Scheduler() *sched.Scheduler { return c.sched }

// Close stops a private scheduler. Connections must be closed first.
func (c *Connector) Close() {
	c.once.Do(func() {
		if c.ownSched {
			c.sched.Close()
		}
	})
}

// Connect performs the voice handshake, bounded by ctx and the connect
// timeout, and starts sending frames from src. If the server refuses, the
// error wraps *CloseError. onClose is called at most once, for an
// unrecoverable close after Connect returned; it must not block.
func (c *Connector) Connect(ctx context.Context, st audio.VoiceState, src audio.FrameSource, onClose func(audio.VoiceClose)) (audio.VoiceConn, error) {
	return c.Dial(ctx, st, src, onClose)
}

// Dial is Connect returning the concrete *Conn.
func (c *Connector) Dial(ctx context.Context, st audio.VoiceState, src audio.FrameSource, onClose func(audio.VoiceClose)) (*Conn, error) {
	u, err := gatewayURL(st.Endpoint, c.cfg.AllowInsecureEndpoints)
	if err != nil {
		return nil, err
	}
	conn := newConn(c, st, u, src, onClose)
	ctx, cancel := context.WithTimeout(ctx, c.cfg.ConnectTimeout)
	defer cancel()
	select {
	case err := <-conn.ready:
		if err != nil {
			conn.Close()
			return nil, err
		}
		return conn, nil
	case <-ctx.Done():
		conn.Close()
		if ctx.Err() == context.DeadlineExceeded {
			return nil, ErrHandshakeTimeout
		}
		return nil, ctx.Err()
	}
}
