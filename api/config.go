package api

import "time"

// Config configures the HTTP server. Every field has a usable zero value.
type Config struct {
	// BodyLimit bounds a request body in bytes; larger bodies get 413 before
	// they are buffered (Content-Length) or as soon as they pass it (chunked).
	// Zero means 64 KiB.
	BodyLimit int
	// ReadBufferSize bounds the request line plus headers in bytes; larger
	// requests get 431. It also bounds Authorization and Cookie headers, so a
	// token of a million dots never reaches the JWT parser. Zero means 8 KiB.
	ReadBufferSize int
	// ReadTimeout bounds reading one request, headers and body, so a slowloris
	// client cannot hold a connection open. Zero means 10s.
	ReadTimeout time.Duration
	// WriteTimeout bounds writing one response. Zero means 10s.
	WriteTimeout time.Duration
	// IdleTimeout closes keep-alive connections with no request in flight.
	// Zero means 60s.
	IdleTimeout time.Duration
	// RequestTimeout bounds the work of one request (store and room calls).
	// Zero means 10s.
	RequestTimeout time.Duration
	// ShutdownTimeout bounds Shutdown's wait for in-flight requests when the
	// caller's context has no deadline. Zero means 10s.
	ShutdownTimeout time.Duration
	// DevMode relaxes production settings for local development: cookies are
	// sent without Secure, so they work over plain http. Zero means off.
	DevMode bool
	// CookieSecure forces the Secure attribute on cookies even in DevMode.
	// Outside DevMode cookies are always Secure. Zero means "not forced".
	CookieSecure bool
	// Issuer is the JWT "iss" claim minted and required. Zero means "parley".
	Issuer string
	// AccessTTL is the lifetime of an access token. Zero means 15m.
	AccessTTL time.Duration
	// RefreshTTL is the lifetime of a refresh token and its family. Zero means 30 days.
	RefreshTTL time.Duration
	// TokenLeeway is the clock skew tolerated when checking exp, nbf and iat
	// of Parley's and external tokens. Zero means 30s.
	TokenLeeway time.Duration
	// Identity configures external ID tokens (OIDC, Firebase) verified
	// against a JWKS; see IdentityConfig. Zero accepts only Parley's tokens.
	Identity IdentityConfig
	// RevocationPoll is how often each node reads the revocation feed to close
	// the WebSockets of logged out sessions and banned users. Zero means 1s.
	RevocationPoll time.Duration
	// Password holds the argon2id parameters for new password hashes. Zero
	// fields mean the defaults documented on PasswordParams.
	Password PasswordParams
	// LoginLimit bounds login attempts per username (and is the default of
	// LoginIPLimit and RegisterLimit). Zero Count means 10 per minute.
	LoginLimit Limit
	// LoginIPLimit bounds login attempts per client IP. Zero Count means LoginLimit.
	LoginIPLimit Limit
	// RegisterLimit bounds registrations per client IP. Zero Count means LoginLimit.
	RegisterLimit Limit
	// SendLimit bounds the messages one user sends, over REST and WebSocket
	// together. Zero Count means 600 per minute.
	SendLimit Limit
	// SendIPLimit bounds the messages sent from one client IP, whoever sends
	// them. Zero Count means 3000 per minute: many users may share an address.
	SendIPLimit Limit
	// RoomLimit bounds the rooms one user creates. Zero Count means 10 per minute.
	RoomLimit Limit
	// RoomIPLimit bounds the rooms created from one client IP. Zero Count means 50 per minute.
	RoomIPLimit Limit
	// JoinLimit bounds the rooms one user joins. Zero Count means 60 per minute.
	JoinLimit Limit
	// JoinIPLimit bounds the joins from one client IP. Zero Count means 300 per minute.
	JoinIPLimit Limit
	// WS tunes the WebSocket endpoint; see WSConfig for its defaults.
	WS WSConfig
	// AllowedOrigins lists the browser origins (scheme://host[:port]) of other
	// sites that may call the API with credentials (CORS) and open WebSockets.
	// The server's own origin is always allowed; "*" and "null" are refused.
	// Zero means none: only pages served from the server's own origin.
	AllowedOrigins []string
	// AllowedHosts lists the Host header values (host or host:port) the server
	// answers; any other gets 421 (DNS rebinding, host header injection). Health
	// checks answer any host. Zero means any host.
	AllowedHosts []string
	// TrustedProxies lists the CIDRs (or single IPs) of reverse proxies whose
	// X-Forwarded-For is believed; the client IP is then the right-most address
	// in it that is not a trusted proxy. Zero means the socket peer is the
	// client and X-Forwarded-For is ignored.
	TrustedProxies []string
	// TLS says clients reach the server over https (directly or through a
	// TLS-terminating proxy): responses then carry Strict-Transport-Security
	// and the server's own origin is https. Zero means plain http.
	TLS bool
}

// Limit is a rate: Count events per Window.
type Limit struct {
	Count  int           // zero means the default of the field that holds it
	Window time.Duration // zero means one minute
}

func (c Config) withDefaults() Config {
	setInt := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	setDur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	setInt(&c.BodyLimit, 64<<10)
	setInt(&c.ReadBufferSize, 8<<10)
	setDur(&c.ReadTimeout, 10*time.Second)
	setDur(&c.WriteTimeout, 10*time.Second)
	setDur(&c.IdleTimeout, 60*time.Second)
	setDur(&c.RequestTimeout, 10*time.Second)
	setDur(&c.ShutdownTimeout, 10*time.Second)
	setDur(&c.AccessTTL, 15*time.Minute)
	setDur(&c.RefreshTTL, 30*24*time.Hour)
	setDur(&c.TokenLeeway, 30*time.Second)
	setDur(&c.RevocationPoll, time.Second)
	c.Identity = c.Identity.withDefaults()
	setInt(&c.LoginLimit.Count, 10)
	setDur(&c.LoginLimit.Window, time.Minute)
	setInt(&c.SendLimit.Count, 600)
	setDur(&c.SendLimit.Window, time.Minute)
	c.LoginIPLimit = c.LoginIPLimit.orDefault(c.LoginLimit)
	c.RegisterLimit = c.RegisterLimit.orDefault(c.LoginLimit)
	c.SendIPLimit = c.SendIPLimit.orDefault(Limit{3000, time.Minute})
	c.RoomLimit = c.RoomLimit.orDefault(Limit{10, time.Minute})
	c.RoomIPLimit = c.RoomIPLimit.orDefault(Limit{50, time.Minute})
	c.JoinLimit = c.JoinLimit.orDefault(Limit{60, time.Minute})
	c.JoinIPLimit = c.JoinIPLimit.orDefault(Limit{300, time.Minute})
	c.WS = c.WS.withDefaults()
	if c.Issuer == "" {
		c.Issuer = "parley"
	}
	c.Password = c.Password.withDefaults()
	return c
}

// secureCookies reports whether cookies carry the Secure attribute.
func (c Config) secureCookies() bool { return !c.DevMode || c.CookieSecure }
