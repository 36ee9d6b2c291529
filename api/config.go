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
	// Password holds the argon2id parameters for new password hashes. Zero
	// fields mean the defaults documented on PasswordParams.
	Password PasswordParams
	// LoginLimit bounds login and registration attempts per username and,
	// separately, per client IP. Zero Count means 10 per minute.
	LoginLimit Limit
	// SendLimit bounds the messages one user sends, over REST and WebSocket
	// together. Zero Count means 600 per minute.
	SendLimit Limit
	// WS tunes the WebSocket endpoint; see WSConfig for its defaults.
	WS WSConfig
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
	setInt(&c.LoginLimit.Count, 10)
	setDur(&c.LoginLimit.Window, time.Minute)
	setInt(&c.SendLimit.Count, 600)
	setDur(&c.SendLimit.Window, time.Minute)
	c.WS = c.WS.withDefaults()
	if c.Issuer == "" {
		c.Issuer = "parley"
	}
	c.Password = c.Password.withDefaults()
	return c
}

// secureCookies reports whether cookies carry the Secure attribute.
func (c Config) secureCookies() bool { return !c.DevMode || c.CookieSecure }
