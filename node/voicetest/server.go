// Package voicetest is a fake Discord voice server (gateway v8 over ws or
// wss, UDP IP discovery and rtpsize-encrypted RTP) for tests and local
// benchmarks. It checks what a real voice server checks and more: every
// packet is decrypted, sequence, timestamp and nonce rules are verified,
// the Opus payload is decoded and its dominant frequency and level are
// measured per channel. Faults can be injected at any time: closes with any
// code, withheld heartbeat ACKs, dropped UDP, dropped TCP.
//
// With Options.DAVE it also plays the gateway's DAVE role (external
// sender, proposals, commit and Welcome relay, transitions) and opens the
// DAVE layer of every frame with a simulated call member (see DAVEOptions).
//
// It is written from the protocol description, independently of the node's
// voice client, so that a bug shared by both cannot hide.
package voicetest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// Options configure a Server. The zero value is a plain ws server on
// 127.0.0.1 that offers both modes and decodes audio.
type Options struct {
	// Addr is the TCP and UDP listen address; default 127.0.0.1:0.
	Addr string
	// TLS serves wss with a self-signed certificate (see Server.CertPool).
	TLS bool
	// HeartbeatInterval sent in Hello; default 1 s.
	HeartbeatInterval time.Duration
	// Modes offered in Ready, in order; default both rtpsize AEAD modes.
	Modes []string
	// NoDecode skips Opus decoding and audio analysis (load tests).
	NoDecode bool
	// AcceptAny registers unknown guilds on their first Identify with the
	// credentials given (demos, running against a real node).
	AcceptAny bool
	// DAVE, when set, runs the tier-2 DAVE fake (see DAVEOptions).
	DAVE *DAVEOptions
	// Logf, when set, receives one line per gateway event.
	Logf func(format string, args ...any)
}

// Credentials are the values a voice session must identify with, as the
// bot would receive them in VOICE_STATE_UPDATE and VOICE_SERVER_UPDATE.
type Credentials struct {
	GuildID, UserID, SessionID, Token string
	ChannelID                         string // the MLS group id under DAVE
}

// Server is one fake voice server: a WebSocket gateway and a UDP media
// port on the same address.
type Server struct {
	opts     Options
	http     *http.Server
	ln       net.Listener
	udp      *net.UDPConn
	udpAddr  netip.AddrPort
	certPool *x509.CertPool
	cert     []byte // DER
	upgrader websocket.Upgrader

	mu      sync.Mutex
	closed  bool
	byGuild map[string]*Session
	bySSRC  map[uint32]*Session
	conns   map[*gwConn]struct{}
	junk    uint64 // UDP datagrams matching no session

	overflow atomic.Uint64
	backlog  atomic.Int64 // datagrams received but not yet checked

	wg sync.WaitGroup
}

// ErrClosed is returned by operations on a closed Server.
var ErrClosed = errors.New("voicetest: server closed")

// NewServer starts a fake voice server on loopback (or opts.Addr).
func NewServer(opts Options) (*Server, error) {
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	if opts.HeartbeatInterval <= 0 {
		opts.HeartbeatInterval = time.Second
	}
	if len(opts.Modes) == 0 {
		opts.Modes = []string{ModeAES256GCM, ModeXChaCha}
	}
	s := &Server{
		opts:    opts,
		byGuild: map[string]*Session{},
		bySSRC:  map[uint32]*Session{},
		conns:   map[*gwConn]struct{}{},
	}
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("voicetest: listen: %w", err)
	}
	tcpAddr := ln.Addr().(*net.TCPAddr)
	udp, err := net.ListenUDP("udp", &net.UDPAddr{IP: tcpAddr.IP, Port: tcpAddr.Port})
	if err != nil {
		// The TCP port may be taken for UDP; any UDP port will do.
		udp, err = net.ListenUDP("udp", &net.UDPAddr{IP: tcpAddr.IP})
		if err != nil {
			ln.Close()
			return nil, fmt.Errorf("voicetest: listen udp: %w", err)
		}
	}
	_ = udp.SetReadBuffer(8 << 20)
	s.udp = udp
	s.udpAddr = udp.LocalAddr().(*net.UDPAddr).AddrPort()
	if opts.TLS {
		cert, pool, err := selfSigned()
		if err != nil {
			ln.Close()
			udp.Close()
			return nil, err
		}
		s.certPool, s.cert = pool, cert.Certificate[0]
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	}
	s.ln = ln
	s.upgrader = websocket.Upgrader{HandshakeTimeout: 5 * time.Second}
	s.http = &http.Server{Handler: http.HandlerFunc(s.serveHTTP), ReadHeaderTimeout: 5 * time.Second}
	s.wg.Add(2)
	go func() {
		defer s.wg.Done()
		_ = s.http.Serve(ln)
	}()
	go func() {
		defer s.wg.Done()
		s.readUDP()
	}()
	return s, nil
}

// Endpoint is the value to hand the node as the voice server endpoint:
// "host:port" (dialled as wss) with TLS, "ws://host:port" without.
func (s *Server) Endpoint() string {
	a := s.ln.Addr().String()
	if s.opts.TLS {
		return a
	}
	return "ws://" + a
}

// UDPAddr is the media address advertised in Ready.
func (s *Server) UDPAddr() netip.AddrPort { return s.udpAddr }

// CertPool trusts the server's certificate (nil without TLS).
func (s *Server) CertPool() *x509.CertPool { return s.certPool }

// CertPEM is the server's self-signed certificate in PEM (nil without
// TLS), for processes that must trust it (SSL_CERT_FILE).
func (s *Server) CertPEM() []byte {
	if s.cert == nil {
		return nil
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.cert})
}

// Close stops the server, closes every gateway connection and waits for
// all of its goroutines. Idempotent.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	conns := make([]*gwConn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = s.http.Shutdown(ctx)
	_ = s.http.Close()
	for _, c := range conns {
		c.ws.Close()
	}
	s.udp.Close()
	s.wg.Wait()
	for _, ss := range s.Sessions() {
		if ss.dave != nil {
			ss.dave.close()
		}
	}
	return nil
}

// Expect registers (or updates) the credentials of a session; an Identify
// for c.GuildID must then match them exactly, else the server closes 4004.
func (s *Server) Expect(c Credentials) *Session {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.byGuild[c.GuildID]
	if ss == nil {
		ss = newSession(s, c)
		s.byGuild[c.GuildID] = ss
		return ss
	}
	ss.mu.Lock()
	ss.creds = c
	ss.mu.Unlock()
	return ss
}

// Session returns the session registered for a guild, or nil.
func (s *Server) Session(guildID string) *Session {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.byGuild[guildID]
}

// Sessions returns every registered session.
func (s *Server) Sessions() []*Session {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*Session, 0, len(s.byGuild))
	for _, ss := range s.byGuild {
		out = append(out, ss)
	}
	return out
}

// AddMediaSession registers a session that skips the gateway: it has an
// SSRC, a mode and a key at once and counts as speaking. Load benchmarks
// use it to drive thousands of senders without thousands of WebSockets.
func (s *Server) AddMediaSession(guildID string, ssrc uint32, mode string, key []byte) (*Session, error) {
	op, err := NewOpener(mode, key)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.bySSRC[ssrc]; dup {
		return nil, fmt.Errorf("voicetest: ssrc %d in use", ssrc)
	}
	ss := newSession(s, Credentials{GuildID: guildID})
	ss.ssrc, ss.mode, ss.opener = ssrc, mode, op
	ss.speaking, ss.speakingEver = true, true
	s.byGuild[guildID] = ss
	s.bySSRC[ssrc] = ss
	return ss, nil
}

// Junk counts UDP datagrams that matched no session.
func (s *Server) Junk() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.junk
}

func (s *Server) logf(format string, args ...any) {
	if s.opts.Logf != nil {
		s.opts.Logf(format, args...)
	}
}

func (s *Server) setSSRC(ss *Session, old, ssrc uint32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old != 0 && s.bySSRC[old] == ss {
		delete(s.bySSRC, old)
	}
	s.bySSRC[ssrc] = ss
}

func (s *Server) sessionBySSRC(ssrc uint32) *Session {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.bySSRC[ssrc]
	if ss == nil {
		s.junk++
	}
	return ss
}
