package routeplanner

import (
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"
)

func mustNew(t *testing.T, cfg Config) *Planner {
	t.Helper()
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func prefixes(s ...string) []netip.Prefix {
	var out []netip.Prefix
	for _, e := range s {
		out = append(out, netip.MustParsePrefix(e))
	}
	return out
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want error
	}{
		{"no blocks", Config{Strategy: RotateOnBan}, ErrNoBlocks},
		{"unknown strategy", Config{Strategy: "Random", IPBlocks: prefixes("127.0.0.0/24")}, ErrUnknownPolicy},
		{"nano needs ipv6", Config{Strategy: NanoSwitch, IPBlocks: prefixes("127.0.0.0/24")}, ErrBadBlockConfig},
		{"nano needs /64", Config{Strategy: NanoSwitch, IPBlocks: prefixes("fd00::/96")}, ErrBadBlockConfig},
		{"rotating nano needs two /64s", Config{Strategy: RotatingNanoSwitch, IPBlocks: prefixes("fd00::/64")}, ErrBadBlockConfig},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := New(tc.cfg); !errors.Is(err, tc.want) {
				t.Errorf("got %v, want %v", err, tc.want)
			}
		})
	}
	if p, err := New(Config{Strategy: "loadbalance", IPBlocks: prefixes("127.0.0.0/24")}); err != nil || p.Class() != "BalancingIpRoutePlanner" {
		t.Errorf("strategy names are case-insensitive: %v", err)
	}
}

// server answers 429 to requests from the addresses in banned and records
// the source address of every request.
type server struct {
	mu      sync.Mutex
	sources []string
	banned  map[string]bool
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	host, _, _ := net.SplitHostPort(r.RemoteAddr)
	s.mu.Lock()
	s.sources = append(s.sources, host)
	ban := s.banned[host]
	s.mu.Unlock()
	if ban {
		w.WriteHeader(http.StatusTooManyRequests)
		return
	}
	_, _ = w.Write([]byte("ok"))
}

func client(p *Planner) *http.Client {
	tr := &http.Transport{DialContext: p.DialContext(&net.Dialer{Timeout: 5 * time.Second}), DisableKeepAlives: true}
	return &http.Client{Transport: p.Transport(tr), Timeout: 10 * time.Second}
}

func get(t *testing.T, c *http.Client, url string) int {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestRotateOnBanOverLoopback sends real requests from 127.0.0.x source
// addresses and checks the planner rotates when the server answers 429.
func TestRotateOnBanOverLoopback(t *testing.T) {
	srv := &server{banned: map[string]bool{"127.0.0.1": true}}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	p := mustNew(t, Config{Strategy: RotateOnBan, IPBlocks: prefixes("127.0.0.0/29"), ExcludedIPs: []netip.Addr{netip.MustParseAddr("127.0.0.0")}})
	c := client(p)
	if code := get(t, c, ts.URL); code != 429 {
		t.Fatalf("first request: %d", code)
	}
	for range 3 {
		if code := get(t, c, ts.URL); code != 200 {
			t.Fatalf("after rotation: %d", code)
		}
	}
	want := []string{"127.0.0.1", "127.0.0.2", "127.0.0.2", "127.0.0.2"}
	if strings.Join(srv.sources, ",") != strings.Join(want, ",") {
		t.Fatalf("sources %v, want %v", srv.sources, want)
	}
	st := p.Status()
	b, _ := json.Marshal(st)
	if st.Class != "RotatingIpRoutePlanner" || len(st.Details.FailingAddresses) != 1 ||
		st.Details.FailingAddresses[0].Address != "/127.0.0.1" || *st.Details.CurrentAddress != "/127.0.0.2" ||
		*st.Details.RotateIndex != "2" || *st.Details.IPIndex != "2" || st.Details.IPBlock != (IPBlock{"Inet4Address", "8"}) {
		t.Fatalf("status %s", b)
	}
	for _, field := range []string{`"class":"RotatingIpRoutePlanner"`, `"ipBlock":{"type":"Inet4Address","size":"8"}`, `"failingTimestamp":`, `"failingTime":"`} {
		if !strings.Contains(string(b), field) {
			t.Errorf("status JSON lacks %s: %s", field, b)
		}
	}
	if strings.Contains(string(b), "blockIndex") || strings.Contains(string(b), "currentAddressIndex") {
		t.Errorf("status carries another class's fields: %s", b)
	}
	// free/address then free/all.
	if !p.Free(netip.MustParseAddr("127.0.0.1")) || p.Free(netip.MustParseAddr("127.0.0.1")) {
		t.Error("Free reported wrongly")
	}
	p.Ban(netip.MustParseAddr("127.0.0.3"))
	p.FreeAll()
	if n := len(p.Status().Details.FailingAddresses); n != 0 {
		t.Errorf("%d bans after FreeAll", n)
	}
}

func TestLoadBalanceSpreads(t *testing.T) {
	srv := &server{}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	p := mustNew(t, Config{Strategy: LoadBalance, IPBlocks: prefixes("127.0.0.0/27")})
	c := client(p)
	for range 40 {
		get(t, c, ts.URL)
	}
	seen := map[string]bool{}
	for _, s := range srv.sources {
		a := netip.MustParseAddr(s)
		if !netip.MustParsePrefix("127.0.0.0/27").Contains(a) {
			t.Fatalf("source %s outside the block", s)
		}
		seen[s] = true
	}
	if len(seen) < 5 {
		t.Errorf("only %d distinct sources in 40 requests", len(seen))
	}
	if b, _ := json.Marshal(p.Status()); strings.Contains(string(b), "Index") {
		t.Errorf("balancing status has index fields: %s", b)
	}
}

func TestNanoSwitch(t *testing.T) {
	p := mustNew(t, Config{Strategy: NanoSwitch, IPBlocks: prefixes("fd00:1::/64")})
	clock := time.Unix(0, 12345)
	p.SetClock(func() time.Time { return clock })
	a, err := p.Next()
	if err != nil || a != netip.MustParseAddr("fd00:1::3039") {
		t.Fatalf("got %v %v", a, err)
	}
	st := p.Status()
	if st.Class != "NanoIpRoutePlanner" || *st.Details.CurrentAddressIndex != "12345" || st.Details.IPBlock.Size != "18446744073709551616" || st.Details.IPBlock.Type != "Inet6Address" {
		b, _ := json.Marshal(st)
		t.Fatalf("status %s", b)
	}
	// A banned address is skipped.
	p.Ban(a)
	if b, _ := p.Next(); b == a {
		t.Error("banned address chosen again")
	}
}

func TestRotatingNanoSwitchMovesBlockOnBan(t *testing.T) {
	p := mustNew(t, Config{Strategy: RotatingNanoSwitch, IPBlocks: prefixes("fd00:2::/63")})
	p.SetClock(func() time.Time { return time.Unix(0, 7) })
	a, _ := p.Next()
	if a != netip.MustParseAddr("fd00:2::7") {
		t.Fatalf("first %v", a)
	}
	p.Ban(a)
	b, _ := p.Next()
	if b != netip.MustParseAddr("fd00:2:0:1::7") {
		t.Fatalf("after ban %v", b)
	}
	st := p.Status()
	if *st.Details.BlockIndex != "1" || st.Details.IPBlock.Size != "36893488147419103232" {
		js, _ := json.Marshal(st)
		t.Fatalf("status %s", js)
	}
}

func TestBansExpireAndAreBounded(t *testing.T) {
	p := mustNew(t, Config{IPBlocks: prefixes("127.0.0.0/30")})
	now := time.Unix(1_700_000_000, 0)
	p.SetClock(func() time.Time { return now })
	for _, s := range []string{"127.0.0.0", "127.0.0.1", "127.0.0.2", "127.0.0.3"} {
		p.Ban(netip.MustParseAddr(s))
	}
	if _, err := p.Next(); !errors.Is(err, ErrNoFreeAddress) {
		t.Fatalf("all banned: got %v", err)
	}
	now = now.Add(BanDuration + time.Second)
	if _, err := p.Next(); err != nil {
		t.Fatalf("bans did not expire: %v", err)
	}
	big := mustNew(t, Config{Strategy: LoadBalance, IPBlocks: prefixes("fd00::/64")})
	base := netip.MustParseAddr("fd00::")
	for range maxBans + 10 {
		base = base.Next()
		big.Ban(base)
	}
	if n := len(big.bans); n != maxBans {
		t.Fatalf("ban table %d, want %d", n, maxBans)
	}
}
