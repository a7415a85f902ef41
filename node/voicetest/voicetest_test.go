package voicetest

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"
	"golang.org/x/crypto/chacha20poly1305"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestAnalyse(t *testing.T) {
	for _, tc := range []struct {
		hz, amp float64
	}{{440, 0.5}, {1000, 0.1}, {97.3, 0.9}} {
		x := make([]float64, 40000)
		for i := range x {
			x[i] = tc.amp * math.Sin(2*math.Pi*tc.hz*float64(i)/48000)
		}
		r := analyse(x, 48000)
		wantDB := 20 * math.Log10(tc.amp/math.Sqrt2)
		if math.Abs(r.DominantHz-tc.hz) > 1 || math.Abs(r.LevelDBFS-wantDB) > 0.5 {
			t.Errorf("%v Hz at %v: got %.2f Hz %.2f dB (want %.2f dB)", tc.hz, tc.amp, r.DominantHz, r.LevelDBFS, wantDB)
		}
	}
	if r := analyse(make([]float64, 100), 48000); r.DominantHz != 0 {
		t.Errorf("too short: %+v", r)
	}
}

func TestHistogram(t *testing.T) {
	var h histogram
	for i := range 100 {
		h.add(time.Duration(i) * time.Millisecond)
	}
	if q := h.quantile(0.5); q < 49*time.Millisecond || q > 51*time.Millisecond {
		t.Errorf("p50 %v", q)
	}
	if n := h.countAbove(40 * time.Millisecond); n < 58 || n > 60 {
		t.Errorf("above 40 ms: %d", n)
	}
	h.add(time.Hour)
	if h.max != time.Hour {
		t.Errorf("max %v", h.max)
	}
}

// seal builds an rtpsize packet the way the spec describes it, with the
// standard library directly (not with the code under test).
func seal(t testing.TB, mode string, key []byte, hdr []byte, payload []byte, nonce uint32) []byte {
	var a cipher.AEAD
	var err error
	if mode == ModeAES256GCM {
		b, _ := aes.NewCipher(key)
		a, err = cipher.NewGCM(b)
	} else {
		a, err = chacha20poly1305.NewX(key)
	}
	if err != nil {
		t.Fatal(err)
	}
	n := make([]byte, a.NonceSize())
	binary.BigEndian.PutUint32(n, nonce)
	out := append([]byte(nil), hdr...)
	out = a.Seal(out, n, payload, hdr)
	return append(out, n[:4]...)
}

func TestOpen(t *testing.T) {
	key := make([]byte, 32)
	for i := range key {
		key[i] = byte(i)
	}
	plain := []byte{0xFC, 1, 2, 3}
	hdr := []byte{0x80, 0x78, 0, 1, 0, 0, 3, 0xC0, 0, 0, 0, 42}
	// X=1 with one word of extension body, which sits inside the ciphertext.
	ext := []byte{0x90, 0x78, 0, 2, 0, 0, 7, 0x80, 0, 0, 0, 42, 0xBE, 0xDE, 0, 1}
	for _, mode := range []string{ModeAES256GCM, ModeXChaCha} {
		op, err := NewOpener(mode, key)
		if err != nil {
			t.Fatal(err)
		}
		pkt := seal(t, mode, key, hdr, plain, 7)
		h, err := ParseRTP(pkt)
		if err != nil || h.SSRC != 42 || h.Seq != 1 || h.Timestamp != 960 || h.PayloadType != 120 {
			t.Fatalf("%s: header %+v %v", mode, h, err)
		}
		got, nonce, err := op.Open(make([]byte, 64), pkt, h)
		if err != nil || nonce != 7 || string(got) != string(plain) {
			t.Errorf("%s: open %x %d %v", mode, got, nonce, err)
		}
		pkt[len(pkt)-5] ^= 1
		if _, _, err := op.Open(make([]byte, 64), pkt, h); !errors.Is(err, ErrDecrypt) {
			t.Errorf("%s: tampered packet: %v", mode, err)
		}
		pkt = seal(t, mode, key, ext, append([]byte{9, 9, 9, 9}, plain...), 8)
		h, err = ParseRTP(pkt)
		if err != nil || h.AADLen != 16 || h.ExtWords != 1 {
			t.Fatalf("%s: ext header %+v %v", mode, h, err)
		}
		if got, _, err := op.Open(make([]byte, 64), pkt, h); err != nil || string(got) != string(plain) {
			t.Errorf("%s: ext open %x %v", mode, got, err)
		}
	}
	if _, err := NewOpener("xsalsa20_poly1305", key); !errors.Is(err, ErrUnknownMode) {
		t.Errorf("old mode: %v", err)
	}
}

// dialRaw opens a gateway socket with a plain gorilla client.
func dialRaw(t *testing.T, s *Server, query string) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	return websocket.DefaultDialer.Dial(s.Endpoint()+"/"+query, nil)
}

func readOp(t *testing.T, c *websocket.Conn) Message {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, b, err := c.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	m, err := ParseMessage(b)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestGatewayChecks(t *testing.T) {
	s, err := NewServer(Options{Modes: []string{ModeXChaCha}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.Expect(Credentials{GuildID: "1", UserID: "2", SessionID: "3", Token: "4"})

	if _, resp, err := dialRaw(t, s, ""); err == nil || resp == nil || resp.StatusCode != http.StatusBadRequest {
		t.Errorf("no ?v=8 accepted: %v", err)
	}

	expectClose := func(c *websocket.Conn, code int) {
		t.Helper()
		for {
			_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
			if _, _, err := c.ReadMessage(); err != nil {
				var ce *websocket.CloseError
				if !errors.As(err, &ce) || ce.Code != code {
					t.Errorf("want close %d, got %v", code, err)
				}
				return
			}
		}
	}
	// Wrong token: 4004.
	c, _, err := dialRaw(t, s, "?v=8")
	if err != nil {
		t.Fatal(err)
	}
	if m := readOp(t, c); m.Op != opHello {
		t.Fatalf("first op %d", m.Op)
	}
	_ = c.WriteJSON(map[string]any{"op": 0, "d": map[string]any{"server_id": "1", "user_id": "2", "session_id": "3", "token": "x"}})
	expectClose(c, 4004)
	c.Close()

	// Right credentials, unoffered mode: 4016. Also IP discovery echo.
	c, _, err = dialRaw(t, s, "?v=8")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	readOp(t, c)
	_ = c.WriteJSON(map[string]any{"op": 0, "d": map[string]any{"server_id": "1", "user_id": "2", "session_id": "3", "token": "4"}})
	m := readOp(t, c)
	var ready struct {
		SSRC  uint32   `json:"ssrc"`
		IP    string   `json:"ip"`
		Port  int      `json:"port"`
		Modes []string `json:"modes"`
	}
	if m.Op != opReady || m.Seq == nil || *m.Seq != 1 || json.Unmarshal(m.D, &ready) != nil || len(ready.Modes) != 1 {
		t.Fatalf("ready %+v %s", m, m.D)
	}
	u, err := net.DialUDP("udp", nil, &net.UDPAddr{IP: net.ParseIP(ready.IP), Port: ready.Port})
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	var req [74]byte
	binary.BigEndian.PutUint16(req[0:], 1)
	binary.BigEndian.PutUint16(req[2:], 70)
	binary.BigEndian.PutUint32(req[4:], ready.SSRC)
	_, _ = u.Write(req[:])
	_ = u.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp := make([]byte, 100)
	n, err := u.Read(resp)
	if err != nil || n != 74 || binary.BigEndian.Uint16(resp) != 2 || binary.BigEndian.Uint32(resp[4:]) != ready.SSRC ||
		int(binary.BigEndian.Uint16(resp[72:])) != u.LocalAddr().(*net.UDPAddr).Port {
		t.Fatalf("discovery reply %x %v", resp[:n], err)
	}
	_ = c.WriteJSON(map[string]any{"op": 1, "d": map[string]any{"protocol": "udp", "data": map[string]any{"address": "127.0.0.1", "port": 1, "mode": ModeAES256GCM}}})
	expectClose(c, 4016)
}

func FuzzParseRTP(f *testing.F) {
	key := make([]byte, 32)
	f.Add(seal(f, ModeAES256GCM, key, []byte{0x80, 0x78, 0, 1, 0, 0, 3, 0xC0, 0, 0, 0, 42}, []byte{0xF8, 0xFF, 0xFE}, 1))
	f.Add([]byte{0x90, 0x78, 0, 2, 0, 0, 7, 0x80, 0, 0, 0, 42, 0xBE, 0xDE, 0xFF, 0xFF})
	f.Add([]byte{0x8F, 0x78, 0, 2})
	gcm, _ := NewOpener(ModeAES256GCM, key)
	xc, _ := NewOpener(ModeXChaCha, key)
	dst := make([]byte, 4096)
	f.Fuzz(func(t *testing.T, pkt []byte) {
		h, err := ParseRTP(pkt)
		if err != nil {
			return
		}
		if h.AADLen > len(pkt) {
			t.Fatalf("AAD %d beyond packet %d", h.AADLen, len(pkt))
		}
		for _, op := range []*Opener{gcm, xc} {
			if len(pkt) > len(dst) {
				return
			}
			_, _, _ = op.Open(dst, pkt, h)
		}
	})
}

func FuzzClientMessage(f *testing.F) {
	for _, s := range []string{
		`{"op":0,"d":{"server_id":"1","user_id":"2","session_id":"3","token":"4","max_dave_protocol_version":0}}`,
		`{"op":1,"d":{"protocol":"udp","data":{"address":"1.2.3.4","port":5,"mode":"aead_aes256_gcm_rtpsize"}}}`,
		`{"op":3,"d":{"t":1,"seq_ack":-1}}`, `{"op":5,"d":{"speaking":1,"delay":0,"ssrc":9}}`,
		`{"op":7,"d":{"server_id":"1","session_id":"3","token":"4","seq_ack":2}}`, `{`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseMessage(b)
		if err != nil {
			return
		}
		var id identifyData
		var sel selectData
		var hb heartbeatData
		var sp speakingData
		_ = json.Unmarshal(m.D, &id)
		_ = json.Unmarshal(m.D, &sel)
		_ = json.Unmarshal(m.D, &hb)
		_ = json.Unmarshal(m.D, &sp)
	})
}

func FuzzDiscoveryRequest(f *testing.F) {
	var req [74]byte
	req[1], req[3] = 1, 70
	f.Add(req[:])
	f.Add([]byte{0, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, ok := ParseDiscovery(b); ok && len(b) != 74 {
			t.Fatal("accepted wrong size")
		}
	})
}
