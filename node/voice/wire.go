package voice

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strings"

	"golang.org/x/crypto/chacha20poly1305"
)

// Transport encryption modes, in order of preference.
const (
	ModeAES256GCM = "aead_aes256_gcm_rtpsize"
	ModeXChaCha   = "aead_xchacha20_poly1305_rtpsize"
)

// Gateway opcodes (discord-voice.md §1.2).
const (
	opIdentify         = 0
	opSelectProtocol   = 1
	opReady            = 2
	opHeartbeat        = 3
	opSessionDesc      = 4
	opSpeaking         = 5
	opHeartbeatACK     = 6
	opResume           = 7
	opHello            = 8
	opResumed          = 9
	opClientsConnect   = 11
	opClientDisconnect = 13
	opMediaSinkWants   = 15
)

// Errors; match with errors.Is.
var (
	ErrInsecureEndpoint = errors.New("voice: ws:// endpoint needs audionode.voice.allowInsecureEndpoints")
	ErrBadEndpoint      = errors.New("voice: bad endpoint")
	ErrBadMessage       = errors.New("voice: bad gateway message")
	ErrNoMode           = errors.New("voice: server offers no supported encryption mode")
	ErrDiscovery        = errors.New("voice: IP discovery failed")
	ErrHandshakeTimeout = errors.New("voice: handshake timed out")
	ErrZombie           = errors.New("voice: heartbeat not acknowledged")
	ErrClosed           = errors.New("voice: connection closed")
)

// gatewayURL turns a VOICE_SERVER_UPDATE endpoint into the URL to dial.
// No scheme means wss; an explicit ws:// is refused unless allowInsecure.
func gatewayURL(endpoint string, allowInsecure bool) (string, error) {
	scheme, host := "wss", endpoint
	switch {
	case strings.HasPrefix(endpoint, "wss://"):
		host = endpoint[len("wss://"):]
	case strings.HasPrefix(endpoint, "ws://"):
		if !allowInsecure {
			return "", ErrInsecureEndpoint
		}
		scheme, host = "ws", endpoint[len("ws://"):]
	case strings.Contains(endpoint, "://"):
		return "", fmt.Errorf("%w: scheme of %q", ErrBadEndpoint, endpoint)
	default:
		// Discord's endpoints once carried :80, which is wrong for wss.
		host = strings.TrimSuffix(host, ":80")
	}
	host, _, _ = strings.Cut(host, "/")
	if host == "" || strings.ContainsAny(host, " ?#@") {
		return "", fmt.Errorf("%w: %q", ErrBadEndpoint, endpoint)
	}
	u := url.URL{Scheme: scheme, Host: host, Path: "/", RawQuery: "v=8"}
	if _, err := url.Parse(u.String()); err != nil {
		return "", fmt.Errorf("%w: %v", ErrBadEndpoint, err)
	}
	return u.String(), nil
}

// message is a text frame of the voice gateway. Servers number replayable
// messages with "seq" (the docs); "s" is accepted too.
type message struct {
	Op  int             `json:"op"`
	D   json.RawMessage `json:"d"`
	Seq *int            `json:"seq,omitempty"`
	S   *int            `json:"s,omitempty"`
}

func (m message) seq() (int, bool) {
	if m.Seq != nil {
		return *m.Seq, true
	}
	if m.S != nil {
		return *m.S, true
	}
	return 0, false
}

func parseMessage(b []byte) (message, error) {
	var m message
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("%w: %v", ErrBadMessage, err)
	}
	return m, nil
}

type helloData struct {
	HeartbeatInterval float64 `json:"heartbeat_interval"`
}

func parseHello(d json.RawMessage) (helloData, error) {
	var h helloData
	if err := json.Unmarshal(d, &h); err != nil {
		return h, fmt.Errorf("%w: hello: %v", ErrBadMessage, err)
	}
	// Bound it: below 100 ms would flood, above 10 min means nonsense.
	if h.HeartbeatInterval < 100 || h.HeartbeatInterval > 600000 {
		return h, fmt.Errorf("%w: heartbeat_interval %v", ErrBadMessage, h.HeartbeatInterval)
	}
	return h, nil
}

type readyData struct {
	SSRC  uint32   `json:"ssrc"`
	IP    string   `json:"ip"`
	Port  int      `json:"port"`
	Modes []string `json:"modes"`
	addr  netip.AddrPort
}

func parseReady(d json.RawMessage) (readyData, error) {
	var r readyData
	if err := json.Unmarshal(d, &r); err != nil {
		return r, fmt.Errorf("%w: ready: %v", ErrBadMessage, err)
	}
	ip, err := netip.ParseAddr(r.IP)
	if err != nil || r.Port <= 0 || r.Port > 65535 {
		return r, fmt.Errorf("%w: ready address %q:%d", ErrBadMessage, r.IP, r.Port)
	}
	r.addr = netip.AddrPortFrom(ip.Unmap(), uint16(r.Port))
	return r, nil
}

// chooseMode prefers AES-256-GCM, else XChaCha20-Poly1305.
func chooseMode(offered []string) (string, error) {
	for _, want := range []string{ModeAES256GCM, ModeXChaCha} {
		for _, m := range offered {
			if m == want {
				return want, nil
			}
		}
	}
	return "", ErrNoMode
}

type sessionDescData struct {
	Mode      string `json:"mode"`
	SecretKey []int  `json:"secret_key"`
	DAVE      int    `json:"dave_protocol_version"`
	key       [32]byte
}

func parseSessionDesc(d json.RawMessage) (sessionDescData, error) {
	var s sessionDescData
	if err := json.Unmarshal(d, &s); err != nil {
		return s, fmt.Errorf("%w: session description: %v", ErrBadMessage, err)
	}
	if len(s.SecretKey) != 32 {
		return s, fmt.Errorf("%w: secret_key of %d bytes", ErrBadMessage, len(s.SecretKey))
	}
	for i, v := range s.SecretKey {
		if v < 0 || v > 255 {
			return s, fmt.Errorf("%w: secret_key byte %d", ErrBadMessage, v)
		}
		s.key[i] = byte(v)
	}
	return s, nil
}

type ackData struct {
	T json.Number `json:"t"`
}

// newAEAD returns the transport cipher for mode.
func newAEAD(mode string, key []byte) (cipher.AEAD, error) {
	switch mode {
	case ModeAES256GCM:
		b, err := aes.NewCipher(key)
		if err != nil {
			return nil, err
		}
		return cipher.NewGCM(b)
	case ModeXChaCha:
		return chacha20poly1305.NewX(key)
	}
	return nil, fmt.Errorf("%w: %q", ErrNoMode, mode)
}

// discoveryRequest builds the 74-byte IP discovery request.
func discoveryRequest(ssrc uint32) [74]byte {
	var b [74]byte
	binary.BigEndian.PutUint16(b[0:], 1)
	binary.BigEndian.PutUint16(b[2:], 70)
	binary.BigEndian.PutUint32(b[4:], ssrc)
	return b
}

// parseDiscovery validates a 74-byte IP discovery response for ssrc and
// returns our public address as the server saw it.
func parseDiscovery(b []byte, ssrc uint32) (netip.AddrPort, error) {
	if len(b) != 74 || binary.BigEndian.Uint16(b) != 2 || binary.BigEndian.Uint16(b[2:]) != 70 {
		return netip.AddrPort{}, fmt.Errorf("%w: not a discovery response", ErrDiscovery)
	}
	if binary.BigEndian.Uint32(b[4:]) != ssrc {
		return netip.AddrPort{}, fmt.Errorf("%w: ssrc mismatch", ErrDiscovery)
	}
	raw := b[8:72]
	if i := strings.IndexByte(string(raw), 0); i >= 0 {
		raw = raw[:i]
	}
	ip, err := netip.ParseAddr(string(raw))
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("%w: address: %v", ErrDiscovery, err)
	}
	port := binary.BigEndian.Uint16(b[72:])
	if port == 0 {
		return netip.AddrPort{}, fmt.Errorf("%w: port 0", ErrDiscovery)
	}
	return netip.AddrPortFrom(ip, port), nil
}
