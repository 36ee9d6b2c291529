package api

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/parleychat/parley"
)

// Browser protections: the Host check, CORS, CSRF tokens and the WebSocket
// Origin check. Browsers attach cookies to requests that other sites make,
// so everything a cookie authenticates must prove it comes from a page the
// operator trusts.

const (
	// cookieCSRF carries the CSRF token to the page's script (not HttpOnly);
	// the script sends it back in headerCSRF.
	cookieCSRF = "parley_csrf"
	headerCSRF = "X-CSRF-Token"
	// csrfLabel separates CSRF MACs from every other use of the secret: JWT
	// signing inputs are base64url and dots, never a space or a NUL.
	csrfLabel = "parley csrf v1\x00"
	// hstsValue asks browsers to use https only, for two years.
	hstsValue = "max-age=63072000; includeSubDomains"
	// corsMaxAge is how long browsers may cache a preflight answer.
	corsMaxAge = 10 * time.Minute
)

// CORS answers. Methods and headers are those the API uses; responses show
// their request id and Retry-After to allowed pages.
const (
	corsAllowMethods  = "GET, POST, PATCH, DELETE"
	corsAllowHeaders  = "Authorization, Content-Type, X-CSRF-Token, X-Audit-Reason, X-Request-ID"
	corsExposeHeaders = "X-Request-ID, Retry-After"
)

// edgePolicy is the parsed form of the Config lists that guard the edge.
type edgePolicy struct {
	origins map[string]bool // normalized scheme://host[:port] of other sites
	hosts   []string        // lower-case host or host:port; empty means any
	proxies trustedProxies
	tls     bool
}

func newEdgePolicy(cfg Config) (edgePolicy, error) {
	p := edgePolicy{origins: map[string]bool{}, tls: cfg.TLS}
	for _, o := range cfg.AllowedOrigins {
		if strings.TrimSpace(o) == "" {
			continue
		}
		n, ok := normalizeOrigin(o)
		if !ok {
			return p, fmt.Errorf("allowed origin %q: use scheme://host[:port], without path or wildcard", o)
		}
		p.origins[n] = true
	}
	for _, h := range cfg.AllowedHosts {
		h = strings.ToLower(strings.TrimSpace(h))
		if h == "" {
			continue
		}
		if strings.ContainsAny(h, "/*@ ") {
			return p, fmt.Errorf("allowed host %q: use host or host:port", h)
		}
		p.hosts = append(p.hosts, strings.TrimSuffix(strings.TrimPrefix(h, "["), "]"))
	}
	var err error
	p.proxies, err = parseTrustedProxies(cfg.TrustedProxies)
	return p, err
}

// ValidateEdge checks AllowedOrigins, AllowedHosts and TrustedProxies the way
// New does, so a command line can refuse them before it opens anything.
func (c Config) ValidateEdge() error {
	_, err := newEdgePolicy(c)
	return err
}

// normalizeOrigin returns the serialized origin of s (lower case, without a
// default port), or false if s is not an http(s) origin. "null", wildcards,
// paths and credentials are not origins.
func normalizeOrigin(s string) (string, bool) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		u.Opaque != "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return "", false
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if host == "" || strings.Contains(host, "*") {
		return "", false
	}
	if (u.Scheme == "http" && port == "80") || (u.Scheme == "https" && port == "443") {
		port = ""
	}
	if port != "" {
		return u.Scheme + "://" + net.JoinHostPort(host, port), true
	}
	if strings.Contains(host, ":") { // IPv6
		host = "[" + host + "]"
	}
	return u.Scheme + "://" + host, true
}

// hostAllowed reports whether the Host header names this server. An entry
// without a port matches any port.
func (p edgePolicy) hostAllowed(host string) bool {
	if len(p.hosts) == 0 {
		return true
	}
	host = strings.ToLower(host)
	name := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		name = h
	}
	for _, h := range p.hosts {
		if h == host || h == name {
			return true
		}
	}
	return false
}

// ownOrigin returns the origin of the page the server itself would serve
// for this request: scheme (https when Config.TLS) and the Host header.
func (s *Server) ownOrigin(c *fiber.Ctx) string {
	scheme := "http"
	if s.edge.tls || c.Context().IsTLS() { // not c.Protocol(): it believes X-Forwarded-Proto from anyone
		scheme = "https"
	}
	o, _ := normalizeOrigin(scheme + "://" + string(c.Request().Host()))
	return o
}

// originAllowed reports whether a page from origin (an Origin header) may
// act with the user's credentials: the server's own origin or an allowed one.
func (s *Server) originAllowed(c *fiber.Ctx, origin string) bool {
	n, ok := normalizeOrigin(origin)
	return ok && (s.edge.origins[n] || n == s.ownOrigin(c))
}

// guardEdge runs first on every request: it resolves the client IP, asks for
// https when TLS is on, and refuses requests for hosts this server does not
// serve (health checks excepted: probes use the pod address).
func (s *Server) guardEdge(c *fiber.Ctx) error {
	s.resolveClientIP(c)
	s.setHSTS(c)
	if !s.edge.hostAllowed(string(c.Request().Host())) && c.Path() != "/healthz" && c.Path() != "/readyz" {
		return fiber.NewError(fiber.StatusMisdirectedRequest)
	}
	return c.Next()
}

// setHSTS sets Strict-Transport-Security when clients use https; over plain
// http the header would be meaningless (and is ignored by browsers).
func (s *Server) setHSTS(c *fiber.Ctx) {
	if s.edge.tls {
		c.Set(fiber.HeaderStrictTransportSecurity, hstsValue)
	}
}

// cors answers cross-origin requests from allowed origins only. It echoes an
// allowed Origin (never "*", since credentials are allowed) and sends no CORS
// header at all to other origins, whose preflights get 403: the browser then
// neither sends the request nor lets the page read a response.
func (s *Server) cors(c *fiber.Ctx) error {
	c.Vary(fiber.HeaderOrigin)
	origin := c.Get(fiber.HeaderOrigin)
	preflight := c.Method() == fiber.MethodOptions && c.Get(fiber.HeaderAccessControlRequestMethod) != ""
	if origin == "" {
		return c.Next()
	}
	n, ok := normalizeOrigin(origin)
	if !ok || !s.edge.origins[n] {
		if preflight {
			return parley.ErrForbidden
		}
		return c.Next()
	}
	c.Set(fiber.HeaderAccessControlAllowOrigin, strings.Clone(origin))
	c.Set(fiber.HeaderAccessControlAllowCredentials, "true")
	if !preflight {
		c.Set(fiber.HeaderAccessControlExposeHeaders, corsExposeHeaders)
		return c.Next()
	}
	c.Set(fiber.HeaderAccessControlAllowMethods, corsAllowMethods)
	c.Set(fiber.HeaderAccessControlAllowHeaders, corsAllowHeaders)
	c.Set(fiber.HeaderAccessControlMaxAge, strconv.Itoa(int(corsMaxAge/time.Second)))
	return c.SendStatus(fiber.StatusNoContent)
}

// csrfExempt lists the state-changing routes that do not act on the cookie's
// session: logging in and registering authenticate by password, and logging
// out only ends the session (it must work even when the CSRF cookie is gone).
var csrfExempt = map[string]bool{
	"/api/auth/login": true, "/api/auth/register": true, "/api/auth/logout": true,
}

// checkCSRF requires a CSRF token on state-changing requests that carry the
// access cookie and no Authorization header (cookie authentication). The
// token must be in the X-CSRF-Token header, equal the parley_csrf cookie
// (double submit: another site can neither read the cookie nor set the
// header) and be this session's MAC (signed: a cookie planted by a sibling
// domain does not work). Bearer requests carry no ambient credential and
// pass untouched. The same-origin check in authenticate stays as a second
// line of defence.
func (s *Server) checkCSRF(c *fiber.Ctx) error {
	if isSafeMethod(c.Method()) || c.Get(fiber.HeaderAuthorization) != "" ||
		csrfExempt[strings.TrimSuffix(c.Path(), "/")] {
		return c.Next()
	}
	access := c.Cookies(cookieAccess)
	if access == "" {
		return c.Next()
	}
	header, cookie := c.Get(headerCSRF), c.Cookies(cookieCSRF)
	want := s.csrfToken(access)
	if header == "" || subtle.ConstantTimeCompare([]byte(header), []byte(cookie)) != 1 ||
		!hmac.Equal([]byte(header), []byte(want)) {
		return parley.ErrForbidden
	}
	return c.Next()
}

// csrfToken returns the CSRF token of the session whose access token is
// access: a MAC under the server secret, so it cannot be forged or reused
// with another session.
func (s *Server) csrfToken(access string) string {
	mac := hmac.New(sha256.New, s.tokens.secret)
	mac.Write([]byte(csrfLabel))
	mac.Write([]byte(access))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// issueCSRF runs around /api/auth: whenever a response sets the access
// cookie (login, refresh) it sets the matching CSRF cookie with the same
// lifetime, and when it clears the access cookie (logout) it clears the CSRF
// cookie too. The CSRF cookie is readable by the page's script by design.
func (s *Server) issueCSRF(c *fiber.Ctx) error {
	err := c.Next()
	access, found := responseCookie(c, cookieAccess)
	if !found {
		return err
	}
	ck := &fiber.Cookie{
		Name: cookieCSRF, Value: s.csrfToken(access), Path: "/", MaxAge: int(s.cfg.AccessTTL / time.Second),
		Secure: s.cfg.secureCookies(), HTTPOnly: false, SameSite: fiber.CookieSameSiteLaxMode,
	}
	if access == "" {
		ck.Value, ck.MaxAge, ck.Expires = "", 0, time.Unix(1, 0)
	}
	c.Cookie(ck)
	return err
}

// responseCookie returns the value of the cookie name that the response
// sets, and whether it sets one.
func responseCookie(c *fiber.Ctx, name string) (value string, found bool) {
	c.Response().Header.VisitAllCookie(func(key, raw []byte) {
		if string(key) != name {
			return
		}
		v, _, _ := strings.Cut(string(raw), ";")
		value, found = strings.TrimPrefix(v, name+"="), true
	})
	return value, found
}

// checkWSOrigin guards the WebSocket handshake against cross-site WebSocket
// hijacking: browsers send Origin on every handshake and attach cookies to
// it, so a handshake whose Origin is present and neither the server's own
// origin nor an allowed one is refused whatever credential it carries
// ("null", sent by sandboxed frames and file pages, included). A handshake
// with no Origin comes from a non-browser client; it must then authenticate
// with the Authorization header or a ticket, never with the cookie alone.
func (s *Server) checkWSOrigin(c *fiber.Ctx) error {
	origin := c.Get(fiber.HeaderOrigin)
	if origin != "" {
		if !s.originAllowed(c, origin) {
			return parley.ErrForbidden
		}
		return nil
	}
	if c.Query("ticket") == "" && c.Get(fiber.HeaderAuthorization) == "" && c.Cookies(cookieAccess) != "" {
		return parley.ErrForbidden
	}
	return nil
}
