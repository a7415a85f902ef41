package voicetest

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Gateway opcodes the fake speaks.
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

// Message is a gateway message as it travels in a text frame. Seq is
// accepted under both "seq" (the docs) and "s" (what disgo reads).
type Message struct {
	Op  int             `json:"op"`
	D   json.RawMessage `json:"d"`
	Seq *int            `json:"seq,omitempty"`
	S   *int            `json:"s,omitempty"`
}

// ParseMessage decodes one client text frame.
func ParseMessage(b []byte) (Message, error) {
	var m Message
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("voicetest: gateway message: %w", err)
	}
	return m, nil
}

type identifyData struct {
	ServerID  string `json:"server_id"`
	UserID    string `json:"user_id"`
	SessionID string `json:"session_id"`
	Token     string `json:"token"`
	MaxDAVE   *int   `json:"max_dave_protocol_version"`
	SeqAck    *int   `json:"seq_ack"` // resume only
}

type selectData struct {
	Protocol string `json:"protocol"`
	Data     struct {
		Address string `json:"address"`
		Port    int    `json:"port"`
		Mode    string `json:"mode"`
	} `json:"data"`
}

type heartbeatData struct {
	T      json.Number `json:"t"`
	SeqAck *int        `json:"seq_ack"`
}

type speakingData struct {
	Speaking int    `json:"speaking"`
	Delay    int    `json:"delay"`
	SSRC     uint32 `json:"ssrc"`
}

// gwConn is one accepted gateway WebSocket.
type gwConn struct {
	srv  *Server
	ws   *websocket.Conn
	wmu  sync.Mutex
	sess *Session // set after Identify or Resume
}

func (c *gwConn) write(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return c.writeRaw(b)
}

func (c *gwConn) writeRaw(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return c.ws.WriteMessage(websocket.TextMessage, b)
}

func (c *gwConn) writeBinary(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return c.ws.WriteMessage(websocket.BinaryMessage, b)
}

// closeWith sends a close frame with code and drops the connection.
func (c *gwConn) closeWith(code int, reason string) {
	c.wmu.Lock()
	_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(time.Second))
	c.wmu.Unlock()
	c.ws.Close()
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("v") != "8" {
		http.Error(w, "voicetest: gateway version 8 required (?v=8)", http.StatusBadRequest)
		return
	}
	ws, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	c := &gwConn{srv: s, ws: ws}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		ws.Close()
		return
	}
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		if c.sess != nil {
			c.sess.detach(c)
		}
		ws.Close()
		s.wg.Done()
	}()
	ws.SetReadLimit(1 << 20)
	hb := s.opts.HeartbeatInterval
	if err := c.write(map[string]any{"op": opHello, "d": map[string]any{"heartbeat_interval": float64(hb) / float64(time.Millisecond)}}); err != nil {
		return
	}
	for {
		typ, b, err := ws.ReadMessage()
		if err != nil {
			return
		}
		if typ == websocket.BinaryMessage {
			if c.sess != nil {
				c.sess.countBinary(b)
				if c.sess.dave != nil {
					c.sess.dave.clientBinary(b)
				}
			}
			continue
		}
		m, err := ParseMessage(b)
		if err != nil {
			c.closeWith(4002, "failed to decode payload")
			return
		}
		if !c.handle(m) {
			return
		}
	}
}

// handle processes one message; false means the connection was closed.
func (c *gwConn) handle(m Message) bool {
	s := c.srv
	switch m.Op {
	case opIdentify, opResume:
		var d identifyData
		if json.Unmarshal(m.D, &d) != nil {
			c.closeWith(4002, "failed to decode payload")
			return false
		}
		ss := s.Session(d.ServerID)
		if ss == nil && m.Op == opIdentify && s.opts.AcceptAny && d.ServerID != "" {
			ss = s.Expect(Credentials{GuildID: d.ServerID, UserID: d.UserID, SessionID: d.SessionID, Token: d.Token})
		}
		if ss == nil {
			c.closeWith(4004, "authentication failed")
			return false
		}
		if m.Op == opIdentify {
			if !ss.identify(c, d) {
				c.closeWith(4004, "authentication failed")
				return false
			}
			if ss.dave != nil && (d.MaxDAVE == nil || *d.MaxDAVE < 1) {
				c.closeWith(4017, "E2EE/DAVE protocol required") // Discord since 2026-03-02
				return false
			}
			return true
		}
		code := ss.resume(c, d)
		if code != 0 {
			c.closeWith(code, "session no longer valid")
			return false
		}
		return true
	case opSelectProtocol:
		if c.sess == nil {
			c.closeWith(4003, "not authenticated")
			return false
		}
		var d selectData
		if json.Unmarshal(m.D, &d) != nil {
			c.closeWith(4002, "failed to decode payload")
			return false
		}
		if code := c.sess.selectProtocol(c, d); code != 0 {
			c.closeWith(code, "unknown encryption mode")
			return false
		}
		if c.sess.dave != nil {
			c.sess.dave.start()
		}
	case opHeartbeat:
		var d heartbeatData
		if json.Unmarshal(m.D, &d) != nil {
			c.closeWith(4002, "failed to decode payload")
			return false
		}
		ack := true
		if c.sess != nil {
			ack = c.sess.heartbeat(d)
		}
		if ack {
			_ = c.write(map[string]any{"op": opHeartbeatACK, "d": map[string]any{"t": d.T}})
		}
	case opSpeaking:
		if c.sess == nil {
			c.closeWith(4003, "not authenticated")
			return false
		}
		var d speakingData
		if json.Unmarshal(m.D, &d) != nil {
			c.closeWith(4002, "failed to decode payload")
			return false
		}
		c.sess.speakingMsg(d)
	case opMediaSinkWants:
		if c.sess != nil {
			c.sess.mu.Lock()
			c.sess.rep.MediaSinkWants++
			c.sess.mu.Unlock()
		}
	default:
		if c.sess != nil && c.sess.dave != nil && c.sess.dave.clientJSON(m.Op, m.D) {
			return true
		}
		if c.sess != nil {
			c.sess.mu.Lock()
			c.sess.rep.UnknownOps++
			c.sess.mu.Unlock()
		}
	}
	return true
}

func randomKey() (k [32]byte) {
	_, _ = rand.Read(k[:])
	return k
}

func randomSSRC() uint32 {
	var b [4]byte
	_, _ = rand.Read(b[:])
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	return max(v&math.MaxInt32, 1)
}
