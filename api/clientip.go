package api

import (
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// headerForwardedFor is the header reverse proxies append the address of
// their peer to: "client, proxy1, proxy2".
const headerForwardedFor = "X-Forwarded-For"

// trustedProxies are the networks whose X-Forwarded-For is believed.
type trustedProxies []netip.Prefix

// parseTrustedProxies parses CIDRs ("10.0.0.0/8") and single addresses.
func parseTrustedProxies(list []string) (trustedProxies, error) {
	out := make(trustedProxies, 0, len(list))
	for _, s := range list {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if strings.Contains(s, "/") {
			p, err := netip.ParsePrefix(s)
			if err != nil {
				return nil, fmt.Errorf("trusted proxy %q: not a CIDR", s)
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q: not an IP address or CIDR", s)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

func (t trustedProxies) contains(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range t {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// clientAddr returns the client's address. Without trusted proxies, or when
// the socket peer is not one, the peer is the client and X-Forwarded-For is
// ignored: anyone can write that header. Behind trusted proxies it walks
// X-Forwarded-For from the right (the entry the nearest proxy appended) and
// returns the first address that is not a trusted proxy. Entries left of it
// were written by the client and prove nothing. An entry that is not an
// address ends the walk at the last trusted hop.
func (t trustedProxies) clientAddr(peer netip.Addr, forwarded [][]byte) netip.Addr {
	peer = peer.Unmap()
	if len(t) == 0 || !t.contains(peer) {
		return peer
	}
	hops := make([]string, 0, 4)
	for _, h := range forwarded { // several headers form one list, in order
		hops = append(hops, strings.Split(string(h), ",")...)
	}
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := parseHop(hops[i])
		if !ok {
			return client
		}
		if !t.contains(a) {
			return a
		}
		client = a
	}
	return client
}

// parseHop parses one X-Forwarded-For entry: an address, optionally with a
// port ("1.2.3.4:5678", "[::1]:80").
func parseHop(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	return netip.Addr{}, false
}

// resolveClientIP makes c.IP() return the client's address as clientAddr
// decides, by setting the request's remote address. Everything that keys on
// the client IP (login and registration limits, connection limits, the access
// log) therefore counts the real client and cannot be steered by a forged
// X-Forwarded-For.
func (s *Server) resolveClientIP(c *fiber.Ctx) {
	if len(s.edge.proxies) == 0 {
		return
	}
	tcp, ok := c.Context().RemoteAddr().(*net.TCPAddr)
	if !ok {
		return
	}
	peer := tcp.AddrPort().Addr()
	client := s.edge.proxies.clientAddr(peer, c.Request().Header.PeekAll(headerForwardedFor))
	if client != peer.Unmap() {
		c.Context().SetRemoteAddr(net.TCPAddrFromAddrPort(netip.AddrPortFrom(client, 0)))
	}
}
