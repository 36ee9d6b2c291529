package api

import (
	"net/netip"
	"testing"
	"time"

	"github.com/parleychat/parley"
)

func TestNormalizeOrigin(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"https://app.example", "https://app.example", true},
		{"HTTPS://App.Example:443", "https://app.example", true},
		{"http://app.example:80/", "http://app.example", true},
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080", true},
		{"http://[::1]:8080", "http://[::1]:8080", true},
		{"http://[::1]", "http://[::1]", true},
		{"null", "", false},
		{"*", "", false},
		{"https://*.example", "", false},
		{"https://app.example/path", "", false},
		{"https://user@app.example", "", false},
		{"https://app.example?x=1", "", false},
		{"ftp://app.example", "", false},
		{"app.example", "", false},
		{"", "", false},
	} {
		got, ok := normalizeOrigin(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("normalizeOrigin(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestNewEdgePolicy_RefusesWildcards(t *testing.T) {
	for _, cfg := range []Config{
		{AllowedOrigins: []string{"*"}},
		{AllowedOrigins: []string{"null"}},
		{AllowedOrigins: []string{"https://*.example.com"}},
		{AllowedHosts: []string{"*.example.com"}},
		{AllowedHosts: []string{"example.com/path"}},
		{TrustedProxies: []string{"10.0.0.0/33"}},
		{TrustedProxies: []string{"proxy.internal"}},
	} {
		if _, err := newEdgePolicy(cfg); err == nil {
			t.Errorf("newEdgePolicy(%+v) accepted an unsafe setting", cfg)
		}
	}
	p, err := newEdgePolicy(Config{AllowedOrigins: []string{"https://app.example", " "}, AllowedHosts: []string{"Chat.Example", "[::1]"}})
	if err != nil || !p.origins["https://app.example"] || len(p.origins) != 1 {
		t.Fatalf("policy = %+v, %v", p, err)
	}
	for host, want := range map[string]bool{
		"chat.example": true, "chat.example:8443": true, "CHAT.EXAMPLE": true, "[::1]:80": true,
		"evil.example": false, "chat.example.evil": false, "": false,
	} {
		if got := p.hostAllowed(host); got != want {
			t.Errorf("hostAllowed(%q) = %v, want %v", host, got, want)
		}
	}
}

// TestClientAddr is B-10's rule: without a trusted peer X-Forwarded-For is
// ignored; behind trusted proxies the right-most untrusted hop is the client.
func TestClientAddr(t *testing.T) {
	trusted, err := parseTrustedProxies([]string{"10.0.0.0/8", "192.0.2.1"})
	if err != nil {
		t.Fatal(err)
	}
	addr := netip.MustParseAddr
	for _, tc := range []struct {
		name    string
		proxies trustedProxies
		peer    string
		xff     []string
		want    string
	}{
		{"NoProxiesIgnoresHeader", nil, "198.51.100.7", []string{"1.2.3.4"}, "198.51.100.7"},
		{"UntrustedPeerIgnoresHeader", trusted, "198.51.100.7", []string{"1.2.3.4"}, "198.51.100.7"},
		{"OneProxy", trusted, "10.1.1.1", []string{"203.0.113.5"}, "203.0.113.5"},
		{"SpoofedLeftPartIgnored", trusted, "10.1.1.1", []string{"6.6.6.6, 203.0.113.5"}, "203.0.113.5"},
		{"ProxyChain", trusted, "10.1.1.1", []string{"6.6.6.6, 203.0.113.5, 192.0.2.1, 10.2.2.2"}, "203.0.113.5"},
		{"SeveralHeaders", trusted, "10.1.1.1", []string{"6.6.6.6", "203.0.113.5"}, "203.0.113.5"},
		{"WithPort", trusted, "10.1.1.1", []string{"203.0.113.5:4711"}, "203.0.113.5"},
		{"IPv6", trusted, "10.1.1.1", []string{"[2001:db8::1]:443"}, "2001:db8::1"},
		{"JunkStopsAtLastTrustedHop", trusted, "10.1.1.1", []string{"203.0.113.5, junk, 10.3.3.3"}, "10.3.3.3"},
		{"AllTrusted", trusted, "10.1.1.1", []string{"10.9.9.9"}, "10.9.9.9"},
		{"NoHeader", trusted, "10.1.1.1", nil, "10.1.1.1"},
		{"MappedPeer", trusted, "::ffff:10.1.1.1", []string{"203.0.113.5"}, "203.0.113.5"},
	} {
		var hdr [][]byte
		for _, h := range tc.xff {
			hdr = append(hdr, []byte(h))
		}
		if got := tc.proxies.clientAddr(addr(tc.peer), hdr); got != addr(tc.want) {
			t.Errorf("%s: clientAddr = %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestAuditPage(t *testing.T) {
	at := func(ms int64) parley.AuditEntry { return parley.AuditEntry{At: time.UnixMilli(ms)} }
	for _, tc := range []struct {
		name    string
		entries []parley.AuditEntry
		limit   int
		want    int
		more    bool
	}{
		{"Short", []parley.AuditEntry{at(5), at(4)}, 3, 2, false},
		{"Exact", []parley.AuditEntry{at(5), at(4), at(3)}, 3, 3, false},
		{"More", []parley.AuditEntry{at(5), at(4), at(3), at(2)}, 3, 3, true},
		{"TieAtCutMovesToNextPage", []parley.AuditEntry{at(5), at(4), at(3), at(3)}, 3, 2, true},
		{"TieLargerThanPage", []parley.AuditEntry{at(3), at(3), at(3)}, 2, 2, true},
	} {
		page, more := auditPage(tc.entries, tc.limit)
		if len(page) != tc.want || more != tc.more {
			t.Errorf("%s: page of %d, more %v; want %d, %v", tc.name, len(page), more, tc.want, tc.more)
		}
	}
}

func TestFrameLimiter(t *testing.T) {
	l := newFrameLimiter(Rate{PerSecond: 10, Burst: 5})
	now := time.Unix(1000, 0)
	var verdicts []limitVerdict
	for range 12 {
		verdicts = append(verdicts, l.check(now))
	}
	want := []limitVerdict{0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2}
	for i := range want {
		if verdicts[i] != want[i] {
			t.Fatalf("verdicts = %v, want %v", verdicts, want)
		}
	}
	// A client that slows down recovers: 100 ms is one token at 10/s.
	if v := l.check(now.Add(100 * time.Millisecond)); v != frameAllowed {
		t.Errorf("after a pause: %v, want allowed", v)
	}
	// A client at 1.5x the rate is answered, never disconnected.
	l = newFrameLimiter(Rate{PerSecond: 10, Burst: 5})
	for i := range 300 {
		if v := l.check(now.Add(time.Duration(i) * 66 * time.Millisecond)); v == frameAbusive {
			t.Fatalf("frame %d at 15/s was judged abusive", i)
		}
	}
}

func TestConnLimits(t *testing.T) {
	l := newConnLimits(WSConfig{MaxConnsPerUser: 2, MaxConnsPerIP: 3})
	a1, err1 := l.reserve("alice", "ip1")
	_, err2 := l.reserve("alice", "ip2")
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if _, err := l.reserve("alice", "ip3"); err == nil {
		t.Fatal("third connection of alice was admitted")
	}
	_, _ = l.reserve("bob", "ip1")
	_, _ = l.reserve("carol", "ip1")
	if _, err := l.reserve("dave", "ip1"); err == nil {
		t.Fatal("fourth connection from ip1 was admitted")
	}
	if !a1.claim() || a1.claim() {
		t.Fatal("a slot is claimed exactly once")
	}
	a1.release()
	a1.release() // twice is fine
	if _, err := l.reserve("alice", "ip4"); err != nil {
		t.Fatalf("after a release alice may connect again: %v", err)
	}
	s, _ := l.reserve("erin", "ip5")
	s.releaseUnclaimed()
	if s.claim() {
		t.Fatal("a slot released by the timer can still be claimed")
	}
	if l.users["erin"] != 0 || l.ips["ip5"] != 0 {
		t.Fatalf("unclaimed slot not freed: %v %v", l.users, l.ips)
	}
}
