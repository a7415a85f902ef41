package voice

import (
	"encoding/json"
	"errors"
	"net/netip"
	"testing"
)

func TestGatewayURL(t *testing.T) {
	for _, tc := range []struct {
		in       string
		insecure bool
		want     string
		err      error
	}{
		{"c-ams01.discord.media:443", false, "wss://c-ams01.discord.media:443/?v=8", nil},
		{"c-ams01.discord.media:80", false, "wss://c-ams01.discord.media/?v=8", nil},
		{"wss://h.example:1234", false, "wss://h.example:1234/?v=8", nil},
		{"wss://h.example/path?x=1", false, "wss://h.example/?v=8", nil},
		{"ws://127.0.0.1:5000", false, "", ErrInsecureEndpoint},
		{"ws://127.0.0.1:5000", true, "ws://127.0.0.1:5000/?v=8", nil},
		{"http://h.example", true, "", ErrBadEndpoint},
		{"", false, "", ErrBadEndpoint},
		{"user@host", false, "", ErrBadEndpoint},
	} {
		got, err := gatewayURL(tc.in, tc.insecure)
		if !errors.Is(err, tc.err) || got != tc.want {
			t.Errorf("gatewayURL(%q, %v) = %q, %v; want %q, %v", tc.in, tc.insecure, got, err, tc.want, tc.err)
		}
	}
}

func TestCloseAction(t *testing.T) {
	for code, want := range map[int]action{
		1000: actResume, 1001: actResume, 1006: actResume, 4000: actResume, 4015: actResume,
		4001: actIdentify, 4002: actIdentify, 4003: actIdentify, 4005: actIdentify, 4009: actIdentify,
		4004: actGiveUp, 4006: actGiveUp, 4011: actGiveUp, 4012: actGiveUp, 4014: actGiveUp,
		4016: actGiveUp, 4017: actGiveUp, 4020: actGiveUp, 4021: actGiveUp, 4022: actGiveUp, 4999: actGiveUp,
	} {
		if got := closeAction(code); got != want {
			t.Errorf("closeAction(%d) = %v, want %v", code, got, want)
		}
	}
}

func TestChooseMode(t *testing.T) {
	for _, tc := range []struct {
		offered []string
		want    string
	}{
		{[]string{ModeXChaCha, ModeAES256GCM}, ModeAES256GCM},
		{[]string{"xsalsa20_poly1305", ModeXChaCha}, ModeXChaCha},
		{[]string{"xsalsa20_poly1305_lite"}, ""},
		{nil, ""},
	} {
		got, err := chooseMode(tc.offered)
		if got != tc.want || (tc.want == "") != errors.Is(err, ErrNoMode) {
			t.Errorf("chooseMode(%v) = %q, %v", tc.offered, got, err)
		}
	}
}

func TestParseDiscovery(t *testing.T) {
	req := discoveryRequest(0x01020304)
	resp := req
	resp[1] = 2
	copy(resp[8:], "203.0.113.7")
	resp[72], resp[73] = 0x13, 0x88
	got, err := parseDiscovery(resp[:], 0x01020304)
	if err != nil || got != netip.MustParseAddrPort("203.0.113.7:5000") {
		t.Fatalf("got %v, %v", got, err)
	}
	for name, mut := range map[string]func(b []byte) []byte{
		"short":   func(b []byte) []byte { return b[:73] },
		"type":    func(b []byte) []byte { b[1] = 1; return b },
		"length":  func(b []byte) []byte { b[3] = 71; return b },
		"ssrc":    func(b []byte) []byte { b[7] = 9; return b },
		"address": func(b []byte) []byte { copy(b[8:], "not-an-ip"); return b },
		"port":    func(b []byte) []byte { b[72], b[73] = 0, 0; return b },
	} {
		b := resp
		if _, err := parseDiscovery(mut(b[:]), 0x01020304); !errors.Is(err, ErrDiscovery) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestParseMessages(t *testing.T) {
	m, err := parseMessage([]byte(`{"op":2,"d":{"ssrc":7,"ip":"127.0.0.1","port":5000,"modes":["aead_xchacha20_poly1305_rtpsize"]},"seq":4}`))
	if err != nil {
		t.Fatal(err)
	}
	if s, ok := m.seq(); !ok || s != 4 {
		t.Errorf("seq %d %v", s, ok)
	}
	r, err := parseReady(m.D)
	if err != nil || r.SSRC != 7 || r.addr.Port() != 5000 {
		t.Errorf("ready %+v %v", r, err)
	}
	m, _ = parseMessage([]byte(`{"op":6,"d":{"t":1},"s":9}`))
	if s, ok := m.seq(); !ok || s != 9 {
		t.Errorf("seq from s: %d %v", s, ok)
	}
	if h, err := parseHello(json.RawMessage(`{"heartbeat_interval":13750.5}`)); err != nil || h.HeartbeatInterval != 13750.5 {
		t.Errorf("hello %v %v", h, err)
	}
	for _, bad := range []string{`{"heartbeat_interval":0}`, `{"heartbeat_interval":1e12}`, `[]`} {
		if _, err := parseHello(json.RawMessage(bad)); !errors.Is(err, ErrBadMessage) {
			t.Errorf("hello %s: %v", bad, err)
		}
	}
	for _, bad := range []string{`{"ip":"x","port":1}`, `{"ip":"127.0.0.1","port":70000}`} {
		if _, err := parseReady(json.RawMessage(bad)); !errors.Is(err, ErrBadMessage) {
			t.Errorf("ready %s: %v", bad, err)
		}
	}
	for _, bad := range []string{`{"secret_key":[1,2]}`, `{"secret_key":[256,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]}`} {
		if _, err := parseSessionDesc(json.RawMessage(bad)); !errors.Is(err, ErrBadMessage) {
			t.Errorf("session description %s: %v", bad, err)
		}
	}
}

// FuzzGatewayMessage feeds arbitrary text frames through every parser
// the gateway loop uses; none may panic.
func FuzzGatewayMessage(f *testing.F) {
	for _, s := range []string{
		`{"op":8,"d":{"heartbeat_interval":13750}}`,
		`{"op":2,"d":{"ssrc":1,"ip":"1.2.3.4","port":50000,"modes":["aead_aes256_gcm_rtpsize"]},"seq":1}`,
		`{"op":4,"d":{"mode":"aead_aes256_gcm_rtpsize","secret_key":[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31],"dave_protocol_version":0},"seq":2}`,
		`{"op":6,"d":{"t":1700000000000}}`,
		`{"op":9,"d":null}`,
		`{"op":11,"d":{"user_ids":["1"]},"s":3}`,
		`{"op":"x"}`, `null`, `{"op":2,"d":[]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := parseMessage(b)
		if err != nil {
			return
		}
		m.seq()
		_, _ = parseHello(m.D)
		if r, err := parseReady(m.D); err == nil {
			_, _ = chooseMode(r.Modes)
		}
		if d, err := parseSessionDesc(m.D); err == nil {
			if _, err := newAEAD(d.Mode, d.key[:]); err != nil && !errors.Is(err, ErrNoMode) {
				t.Fatal(err)
			}
		}
		var a ackData
		_ = json.Unmarshal(m.D, &a)
	})
}

// FuzzDiscovery checks the IP discovery reply parser.
func FuzzDiscovery(f *testing.F) {
	ok := discoveryRequest(5)
	ok[1] = 2
	copy(ok[8:], "127.0.0.1")
	ok[73] = 9
	f.Add(ok[:], uint32(5))
	f.Add(make([]byte, 74), uint32(0))
	f.Add([]byte{0, 2, 0, 70}, uint32(1))
	f.Fuzz(func(t *testing.T, b []byte, ssrc uint32) {
		ap, err := parseDiscovery(b, ssrc)
		if err == nil && (!ap.IsValid() || ap.Port() == 0) {
			t.Fatalf("accepted %v", ap)
		}
	})
}
