// Package routeplanner chooses the local address of outgoing source
// connections from configured IP blocks, as Lavalink's route planner does
// (lavalink.server.ratelimit.*): RotateOnBan, LoadBalance, NanoSwitch and
// RotatingNanoSwitch, banning an address when a source answers HTTP 429.
//
// A Planner is safe for concurrent use. It starts no goroutines; bans expire
// lazily and the ban table is bounded.
package routeplanner

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/netip"
	"strings"
	"sync"
	"time"
)

// Errors callers can match.
var (
	ErrNoBlocks       = errors.New("route planner: no ip blocks configured")
	ErrUnknownPolicy  = errors.New("route planner: unknown strategy")
	ErrNoFreeAddress  = errors.New("route planner: every address is banned or excluded")
	ErrBadBlockConfig = errors.New("route planner: unusable ip blocks for this strategy")
)

// Strategy names as written in application.yml (compared case-insensitively).
const (
	RotateOnBan        = "RotateOnBan"
	LoadBalance        = "LoadBalance"
	NanoSwitch         = "NanoSwitch"
	RotatingNanoSwitch = "RotatingNanoSwitch"
)

// BanDuration is how long an address stays banned after a 429 (Lavaplayer
// keeps failing addresses for a week).
const BanDuration = 7 * 24 * time.Hour

// maxBans bounds the ban table; the oldest ban is forgotten first.
const maxBans = 1 << 16

// maxTries bounds the search for a usable address.
const maxTries = 1024

// Config is the planner's part of the settings.
type Config struct {
	Strategy    string
	IPBlocks    []netip.Prefix
	ExcludedIPs []netip.Addr
}

// Planner picks local addresses. Create it with New.
type Planner struct {
	class    string
	strategy string
	blocks   []block
	total    *big.Int // addresses across all blocks
	excluded map[netip.Addr]bool
	now      func() time.Time

	mu          sync.Mutex
	bans        map[netip.Addr]time.Time
	rotateIndex *big.Int // RotateOnBan: how many rotations happened
	ipIndex     *big.Int // RotateOnBan: index of the current address
	current     netip.Addr
	blockIndex  int      // RotatingNanoSwitch: current /64
	lastIndex   *big.Int // NanoSwitch/RotatingNanoSwitch: last chosen index
}

type block struct {
	prefix netip.Prefix
	size   *big.Int
	first  *big.Int // address as an integer
}

// New builds a planner; it returns ErrNoBlocks when no block is configured
// (the node then has no route planner, as the reference).
func New(cfg Config) (*Planner, error) {
	if len(cfg.IPBlocks) == 0 {
		return nil, ErrNoBlocks
	}
	p := &Planner{
		excluded: map[netip.Addr]bool{}, bans: map[netip.Addr]time.Time{}, now: time.Now,
		total: new(big.Int), rotateIndex: new(big.Int), ipIndex: new(big.Int), lastIndex: new(big.Int),
	}
	for _, a := range cfg.ExcludedIPs {
		p.excluded[a.Unmap()] = true
	}
	for _, pr := range cfg.IPBlocks {
		pr = pr.Masked()
		bits := pr.Addr().BitLen() - pr.Bits()
		b := block{prefix: pr, size: new(big.Int).Lsh(big.NewInt(1), uint(bits)), first: new(big.Int).SetBytes(pr.Addr().AsSlice())}
		p.blocks = append(p.blocks, b)
		p.total.Add(p.total, b.size)
	}
	switch strings.ToLower(cfg.Strategy) {
	case "", strings.ToLower(RotateOnBan):
		p.class, p.strategy = "RotatingIpRoutePlanner", RotateOnBan
	case strings.ToLower(LoadBalance):
		p.class, p.strategy = "BalancingIpRoutePlanner", LoadBalance
	case strings.ToLower(NanoSwitch):
		p.class, p.strategy = "NanoIpRoutePlanner", NanoSwitch
		if !p.allIPv6(64) {
			return nil, fmt.Errorf("%w: NanoSwitch needs IPv6 blocks of /64 or larger", ErrBadBlockConfig)
		}
	case strings.ToLower(RotatingNanoSwitch):
		p.class, p.strategy = "RotatingNanoIpRoutePlanner", RotatingNanoSwitch
		if !p.allIPv6(63) {
			return nil, fmt.Errorf("%w: RotatingNanoSwitch needs IPv6 blocks holding at least two /64s", ErrBadBlockConfig)
		}
	default:
		return nil, fmt.Errorf("%w: %q", ErrUnknownPolicy, cfg.Strategy)
	}
	return p, nil
}

func (p *Planner) allIPv6(maxBits int) bool {
	for _, b := range p.blocks {
		if !b.prefix.Addr().Is6() || b.prefix.Bits() > maxBits {
			return false
		}
	}
	return true
}

// Class is the planner's class name in the status JSON.
func (p *Planner) Class() string { return p.class }

// addrAt maps a global index (0 ≤ i < total) to an address.
func (p *Planner) addrAt(i *big.Int) netip.Addr {
	off := new(big.Int).Set(i)
	for _, b := range p.blocks {
		if off.Cmp(b.size) < 0 {
			return bigToAddr(new(big.Int).Add(b.first, off), b.prefix.Addr().Is4())
		}
		off.Sub(off, b.size)
	}
	return netip.Addr{}
}

func bigToAddr(n *big.Int, v4 bool) netip.Addr {
	if v4 {
		var b [4]byte
		n.FillBytes(b[:])
		return netip.AddrFrom4(b)
	}
	var b [16]byte
	n.FillBytes(b[:])
	return netip.AddrFrom16(b)
}

// usableLocked reports whether a is neither excluded nor banned, expiring
// an old ban on the way.
func (p *Planner) usableLocked(a netip.Addr) bool {
	if !a.IsValid() || p.excluded[a] {
		return false
	}
	if t, ok := p.bans[a]; ok {
		if p.now().Sub(t) < BanDuration {
			return false
		}
		delete(p.bans, a)
	}
	return true
}

// Next returns the local address for the next outgoing connection.
func (p *Planner) Next() (netip.Addr, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch p.strategy {
	case RotateOnBan:
		for range maxTries {
			a := p.addrAt(p.ipIndex)
			if p.usableLocked(a) {
				p.current = a
				return a, nil
			}
			p.advanceLocked()
		}
	case LoadBalance:
		for range maxTries {
			i := randBelow(p.total)
			if a := p.addrAt(i); p.usableLocked(a) {
				return a, nil
			}
		}
	case NanoSwitch:
		for k := range maxTries {
			i := new(big.Int).Mod(big.NewInt(p.now().UnixNano()+int64(k)), p.total)
			if a := p.addrAt(i); p.usableLocked(a) {
				p.lastIndex.Set(i)
				return a, nil
			}
		}
	case RotatingNanoSwitch:
		slash64 := new(big.Int).Lsh(big.NewInt(1), 64)
		blocks := new(big.Int).Quo(p.total, slash64)
		for k := range maxTries {
			bi := new(big.Int).Mod(big.NewInt(int64(p.blockIndex)), blocks)
			i := new(big.Int).Mul(bi, slash64)
			i.Add(i, new(big.Int).Mod(big.NewInt(p.now().UnixNano()+int64(k)), slash64))
			if a := p.addrAt(i); p.usableLocked(a) {
				p.lastIndex.Set(i)
				return a, nil
			}
		}
	}
	return netip.Addr{}, ErrNoFreeAddress
}

func (p *Planner) advanceLocked() {
	p.rotateIndex.Add(p.rotateIndex, big.NewInt(1))
	p.ipIndex.Add(p.ipIndex, big.NewInt(1))
	if p.ipIndex.Cmp(p.total) >= 0 {
		p.ipIndex.SetInt64(0)
	}
}

// Ban marks a as failing (the source answered 429 from it) and moves the
// rotating strategies on.
func (p *Planner) Ban(a netip.Addr) {
	a = a.Unmap()
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.bans) >= maxBans {
		var oldest netip.Addr
		var at time.Time
		for k, t := range p.bans {
			if !oldest.IsValid() || t.Before(at) {
				oldest, at = k, t
			}
		}
		delete(p.bans, oldest)
	}
	p.bans[a] = p.now()
	switch p.strategy {
	case RotateOnBan:
		if a == p.current {
			p.advanceLocked()
		}
	case RotatingNanoSwitch:
		p.blockIndex++
	}
}

// Free lifts the ban on one address; it reports whether there was one.
func (p *Planner) Free(a netip.Addr) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, ok := p.bans[a.Unmap()]
	delete(p.bans, a.Unmap())
	return ok
}

// FreeAll lifts every ban.
func (p *Planner) FreeAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	clear(p.bans)
}

// DialContext dials from the next planned address. Use it as an
// http.Transport's DialContext (wrap it with any address guard first).
func (p *Planner) DialContext(base *net.Dialer) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		local, err := p.Next()
		if err != nil {
			return nil, err
		}
		d := *base
		d.LocalAddr = &net.TCPAddr{IP: local.AsSlice()}
		// Dial only the address family the local address can reach.
		switch {
		case local.Is4() && network == "tcp":
			network = "tcp4"
		case local.Is6() && network == "tcp":
			network = "tcp6"
		}
		return d.DialContext(ctx, network, addr)
	}
}

// Transport wraps rt so that a 429 response bans the local address the
// request went out from.
func (p *Planner) Transport(rt http.RoundTripper) http.RoundTripper {
	return banOn429{p: p, rt: rt}
}

type banOn429 struct {
	p  *Planner
	rt http.RoundTripper
}

func (b banOn429) RoundTrip(req *http.Request) (*http.Response, error) {
	var local netip.Addr
	trace := &httptrace.ClientTrace{GotConn: func(ci httptrace.GotConnInfo) {
		if ta, ok := ci.Conn.LocalAddr().(*net.TCPAddr); ok {
			local = ta.AddrPort().Addr().Unmap()
		}
	}}
	resp, err := b.rt.RoundTrip(req.WithContext(httptrace.WithClientTrace(req.Context(), trace)))
	if err == nil && resp.StatusCode == http.StatusTooManyRequests && local.IsValid() {
		b.p.Ban(local)
	}
	return resp, err
}

// randBelow returns a uniform-enough random integer in [0, n).
func randBelow(n *big.Int) *big.Int {
	if n.IsUint64() {
		return new(big.Int).SetUint64(rand.Uint64N(n.Uint64()))
	}
	buf := make([]byte, (n.BitLen()+7)/8+8) // 64 extra bits keep the modulo bias negligible
	for i := 0; i < len(buf); i += 8 {
		v := rand.Uint64()
		for j := 0; j < 8 && i+j < len(buf); j++ {
			buf[i+j] = byte(v >> (8 * j))
		}
	}
	return new(big.Int).Mod(new(big.Int).SetBytes(buf), n)
}
