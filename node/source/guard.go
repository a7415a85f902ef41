package source

import (
	"fmt"
	"net"
	"net/netip"
	"syscall"
)

// blockedPrefixes are the ranges the SSRF guard refuses by default.
var blockedPrefixes = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8",      // "this network", includes 0.0.0.0
		"10.0.0.0/8",     // private
		"100.64.0.0/10",  // carrier-grade NAT
		"127.0.0.0/8",    // loopback
		"169.254.0.0/16", // link-local, cloud metadata (169.254.169.254)
		"172.16.0.0/12",  // private
		"192.0.0.0/24",   // IETF protocol assignments
		"192.168.0.0/16", // private
		"198.18.0.0/15",  // benchmarking
		"224.0.0.0/4",    // multicast
		"240.0.0.0/4",    // reserved, broadcast
		"::/128",         // unspecified
		"::1/128",        // loopback
		"fc00::/7",       // unique local (includes AWS fd00:ec2::254)
		"fe80::/10",      // link-local
		"ff00::/8",       // multicast
		"100::/64",       // discard
		"2001:db8::/32",  // documentation
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

// nat64 is the well-known NAT64 prefix; its embedded IPv4 address is checked.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// AddrAllowed reports whether the SSRF guard lets a connection to a through
// when private addresses are not allowed.
func AddrAllowed(a netip.Addr) bool {
	a = a.Unmap()
	if nat64.Contains(a) {
		b := a.As16()
		a = netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})
	}
	if !a.IsValid() || a.IsUnspecified() || a.IsLoopback() || a.IsPrivate() || a.IsMulticast() ||
		a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() || a.IsInterfaceLocalMulticast() {
		return false
	}
	for _, p := range blockedPrefixes {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

// guardControl is a net.Dialer.Control hook. It runs after the socket is
// created and before connect(2), on the address the resolver chose, so a
// refused address never sees a packet — whatever the URL, redirect or DNS
// answer that led there.
func guardControl(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: cannot parse %q", ErrBlockedAddress, address)
	}
	if !AddrAllowed(ap.Addr()) {
		return fmt.Errorf("%w: %s is a private, loopback, link-local or reserved address (set audionode.sources.http.allowPrivate to allow it)", ErrBlockedAddress, ap.Addr())
	}
	return nil
}

// newDialer returns the dialer of the shared HTTP client.
func newDialer(cfg Config) *net.Dialer {
	d := &net.Dialer{Timeout: cfg.ConnectTimeout}
	if cfg.AllowPrivate {
		return d
	}
	d.Control = guardControl
	if exempt := cfg.testExempt; exempt.IsValid() {
		d.Control = func(network, address string, c syscall.RawConn) error {
			if ap, err := netip.ParseAddrPort(address); err == nil && ap == exempt {
				return nil
			}
			return guardControl(network, address, c)
		}
	}
	return d
}
