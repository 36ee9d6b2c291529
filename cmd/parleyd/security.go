package main

import (
	"flag"
	"fmt"
	"strconv"
	"strings"
)

// securityInputs are the raw flag values of the browser protections and
// connection limits; apply turns them into api and actors settings.
type securityInputs struct {
	origins, hosts, proxies           *string
	tls                               *string
	connsPerUser, connsPerIP, maxSubs *string
	frameRate, frameBurst             *string
}

// securityFlags registers the flags, each defaulting to its environment
// variables (the first set one wins; the unprefixed names are aliases).
func securityFlags(fs *flag.FlagSet, env func(def string, names ...string) string) *securityInputs {
	return &securityInputs{
		origins: fs.String("cors-allowed-origins", env("", "PARLEY_CORS_ALLOWED_ORIGINS", "CORS_ALLOWED_ORIGINS"),
			"comma-separated origins of other sites that may call the API with credentials and open WebSockets (PARLEY_CORS_ALLOWED_ORIGINS, CORS_ALLOWED_ORIGINS)"),
		hosts: fs.String("allowed-hosts", env("", "PARLEY_ALLOWED_HOSTS", "ALLOWED_HOSTS"),
			"comma-separated Host header values served; empty serves any (PARLEY_ALLOWED_HOSTS, ALLOWED_HOSTS)"),
		proxies: fs.String("trusted-proxies", env("", "PARLEY_TRUSTED_PROXIES"),
			"comma-separated CIDRs of reverse proxies whose X-Forwarded-For is believed (PARLEY_TRUSTED_PROXIES)"),
		tls: fs.String("tls", env("false", "PARLEY_TLS"),
			"clients use https (TLS ends here or at a proxy): send HSTS (PARLEY_TLS)"),
		connsPerUser: fs.String("ws-max-conns-per-user", env("0", "PARLEY_WS_MAX_CONNS_PER_USER"), "WebSockets per user on this node; 0 means 20 (PARLEY_WS_MAX_CONNS_PER_USER)"),
		connsPerIP:   fs.String("ws-max-conns-per-ip", env("0", "PARLEY_WS_MAX_CONNS_PER_IP"), "WebSockets per client IP on this node; 0 means 100 (PARLEY_WS_MAX_CONNS_PER_IP)"),
		maxSubs:      fs.String("ws-max-subscriptions", env("0", "PARLEY_WS_MAX_SUBSCRIPTIONS"), "rooms one WebSocket may subscribe; 0 means 256 (PARLEY_WS_MAX_SUBSCRIPTIONS)"),
		frameRate:    fs.String("ws-frame-rate", env("0", "PARLEY_WS_FRAME_RATE"), "frames per second one WebSocket may send; 0 means 20 (PARLEY_WS_FRAME_RATE)"),
		frameBurst:   fs.String("ws-frame-burst", env("0", "PARLEY_WS_FRAME_BURST"), "frames one WebSocket may send at once; 0 means 40 (PARLEY_WS_FRAME_BURST)"),
	}
}

// apply parses the inputs into c.API and c.Actors.
func (in *securityInputs) apply(c *config) error {
	c.API.AllowedOrigins, c.API.AllowedHosts, c.API.TrustedProxies = splitList(*in.origins), splitList(*in.hosts), splitList(*in.proxies)
	var err error
	if c.API.TLS, err = strconv.ParseBool(*in.tls); err != nil {
		return fmt.Errorf("tls %q: use true or false", *in.tls)
	}
	ws := &c.API.WS
	for _, n := range []struct {
		name string
		raw  string
		dst  *int
	}{
		{"ws-max-conns-per-user", *in.connsPerUser, &ws.MaxConnsPerUser}, {"ws-max-conns-per-ip", *in.connsPerIP, &ws.MaxConnsPerIP},
		{"ws-max-subscriptions", *in.maxSubs, &c.Actors.MaxSubscriptions}, {"ws-frame-burst", *in.frameBurst, &ws.FrameRate.Burst},
	} {
		if *n.dst, err = strconv.Atoi(n.raw); err != nil || *n.dst < 0 {
			return fmt.Errorf("%s %q: use a whole number, or 0 for the default", n.name, n.raw)
		}
	}
	if ws.FrameRate.PerSecond, err = strconv.ParseFloat(*in.frameRate, 64); err != nil || ws.FrameRate.PerSecond < 0 {
		return fmt.Errorf("ws-frame-rate %q: use a number of frames per second, or 0 for the default", *in.frameRate)
	}
	return c.API.ValidateEdge()
}

// splitList splits a comma-separated list, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}
