package api

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
	"github.com/parleychat/parley"
	"golang.org/x/time/rate"
)

const (
	// maxExternalTokenLen bounds an external ID token before any parsing.
	// Firebase ID tokens are about 1 KB; the request's header limit (8 KiB by
	// default) is lower than a megabyte of dots anyway.
	maxExternalTokenLen = 4096
	// maxKIDLen bounds a token's kid before it is looked up. Real key ids are
	// a few dozen characters; the lookup is in memory only, never a file or a
	// query, but a short bound keeps a 10 KB kid out of logs and maps.
	maxKIDLen = 128
	// maxSubjectLen bounds the external subject (OIDC allows 255 ASCII characters).
	maxSubjectLen = 255
	// maxJWKSBytes bounds a JWKS response body.
	maxJWKSBytes = 1 << 20
	// minRSABits is the smallest RSA modulus a JWKS key may have.
	minRSABits = 2048
)

// Header parameters that point at keys. Parley only ever uses the keys of
// the configured JWKS: a token naming its own key (or a URL to fetch one) is
// refused outright, and no URL from a token is ever fetched.
var keyHeaders = []string{"jku", "x5u", "jwk", "x5c"}

var (
	errKID          = errors.New("api: token kid missing or too long")
	errKeyHeader    = errors.New("api: token names its own key")
	errKeyAlg       = errors.New("api: token alg does not fit the key")
	errClaimsShape  = errors.New("api: external token lacks iat or a usable sub")
	otherClaimFault = []error{
		jwt.ErrTokenMalformed, jwt.ErrTokenUnverifiable, jwt.ErrTokenSignatureInvalid,
		jwt.ErrTokenInvalidIssuer, jwt.ErrTokenInvalidAudience, jwt.ErrTokenNotValidYet,
		jwt.ErrTokenUsedBeforeIssued, jwt.ErrTokenRequiredClaimMissing, errClaimsShape,
	}
)

// externalClaims are the claims Parley reads from an external ID token.
// Times must be JSON numbers (strictDate).
type externalClaims struct {
	Issuer    string           `json:"iss"`
	Subject   string           `json:"sub"`
	Audience  jwt.ClaimStrings `json:"aud"`
	IssuedAt  *strictDate      `json:"iat"`
	ExpiresAt *strictDate      `json:"exp"`
	NotBefore *strictDate      `json:"nbf,omitempty"`
	Email     string           `json:"email,omitempty"`
	Name      string           `json:"name,omitempty"`
}

var (
	_ jwt.Claims          = (*externalClaims)(nil)
	_ jwt.ClaimsValidator = (*externalClaims)(nil)
)

// GetExpirationTime implements jwt.Claims.
func (c *externalClaims) GetExpirationTime() (*jwt.NumericDate, error) {
	return c.ExpiresAt.date(), nil
}

// GetIssuedAt implements jwt.Claims.
func (c *externalClaims) GetIssuedAt() (*jwt.NumericDate, error) { return c.IssuedAt.date(), nil }

// GetNotBefore implements jwt.Claims.
func (c *externalClaims) GetNotBefore() (*jwt.NumericDate, error) { return c.NotBefore.date(), nil }

// GetIssuer implements jwt.Claims.
func (c *externalClaims) GetIssuer() (string, error) { return c.Issuer, nil }

// GetSubject implements jwt.Claims.
func (c *externalClaims) GetSubject() (string, error) { return c.Subject, nil }

// GetAudience implements jwt.Claims.
func (c *externalClaims) GetAudience() (jwt.ClaimStrings, error) { return c.Audience, nil }

// Validate implements jwt.ClaimsValidator: iat is required, and the subject
// must be 1 to 255 printable ASCII characters, as OIDC requires, so it is
// safe in a store key and a log line.
func (c *externalClaims) Validate() error {
	if c.IssuedAt == nil || c.Subject == "" || len(c.Subject) > maxSubjectLen {
		return errClaimsShape
	}
	for i := 0; i < len(c.Subject); i++ {
		if c.Subject[i] <= ' ' || c.Subject[i] > '~' {
			return errClaimsShape
		}
	}
	return nil
}

// externalVerifier verifies ID tokens of one issuer against its JWKS. The
// key set is cached and refreshed every IdentityConfig.RefreshInterval, and
// at most once per RefreshCooldown when a token names a kid it does not
// hold (key rotation), so a flood of made-up kids costs one fetch.
type externalVerifier struct {
	keys   keyfunc.Keyfunc
	parser *jwt.Parser
}

// newExternalVerifier fetches the JWKS once (a failure is logged, not fatal:
// the next unknown kid or refresh tries again) and refreshes it in the
// background until ctx ends.
func newExternalVerifier(ctx context.Context, cfg IdentityConfig, leeway time.Duration, now func() time.Time, log *slog.Logger) (*externalVerifier, error) {
	client := &http.Client{
		Timeout:   cfg.HTTPTimeout,
		Transport: limitedBody{next: http.DefaultTransport, max: maxJWKSBytes},
	}
	keys, err := keyfunc.NewDefaultOverrideCtx(ctx, []string{cfg.JWKSURL}, keyfunc.Override{
		Client:      client,
		HTTPTimeout: cfg.HTTPTimeout,
		// A kid refresh waits for the limiter only when its turn is due within
		// this; otherwise the token fails at once. It also bounds that fetch.
		RateLimitWaitMax:  cfg.HTTPTimeout,
		RefreshInterval:   cfg.RefreshInterval,
		RefreshUnknownKID: rate.NewLimiter(rate.Every(cfg.RefreshCooldown), 1),
		RefreshErrorHandlerFunc: func(u string) func(context.Context, error) {
			return func(ctx context.Context, err error) {
				log.WarnContext(ctx, "jwks refresh failed", slog.String("url", u), slog.Any("err", err))
			}
		},
	})
	if err != nil {
		return nil, fmt.Errorf("api: jwks %s: %w", cfg.JWKSURL, err)
	}
	return &externalVerifier{keys: keys, parser: newExternalParser(cfg, leeway, now)}, nil
}

// newExternalParser returns the parser of external tokens: RS256 and ES256
// only; issuer, audience, exp and iat required; nbf checked when present.
func newExternalParser(cfg IdentityConfig, leeway time.Duration, now func() time.Time) *jwt.Parser {
	return jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodRS256.Alg(), jwt.SigningMethodES256.Alg()}),
		jwt.WithIssuer(cfg.Issuer),
		jwt.WithAudience(cfg.Audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(leeway),
		jwt.WithTimeFunc(now),
	)
}

// verify returns the claims of raw if it is a live ID token of the
// configured issuer and audience, signed by a key of its JWKS. Only a token
// that is correctly signed and fine but for its expiry yields
// parley.ErrTokenExpired; anything else is parley.ErrUnauthorized.
func (v *externalVerifier) verify(ctx context.Context, raw string) (*externalClaims, error) {
	if raw == "" || len(raw) > maxExternalTokenLen {
		return nil, parley.ErrUnauthorized
	}
	c := &externalClaims{}
	tok, err := v.parser.ParseWithClaims(raw, c, v.keyFunc(ctx))
	switch {
	case err == nil && tok.Valid:
		return c, nil
	case onlyExpired(err):
		return nil, parley.ErrTokenExpired
	default:
		return nil, parley.ErrUnauthorized
	}
}

// onlyExpired reports whether err says the token expired and nothing else.
func onlyExpired(err error) bool {
	if !errors.Is(err, jwt.ErrTokenExpired) {
		return false
	}
	for _, other := range otherClaimFault {
		if errors.Is(err, other) {
			return false
		}
	}
	return true
}

// keyFunc returns the key for a token: the JWKS key named by its kid, which
// must fit the token's alg (the parser already allowed only RS256 and
// ES256). HS256 never gets here, so a public key is never used as an HMAC
// secret.
func (v *externalVerifier) keyFunc(ctx context.Context) jwt.Keyfunc {
	lookup := v.keys.KeyfuncCtx(ctx)
	return func(t *jwt.Token) (any, error) {
		kid, ok := t.Header["kid"].(string)
		if !ok || kid == "" || len(kid) > maxKIDLen {
			return nil, errKID
		}
		for _, h := range keyHeaders {
			if _, ok := t.Header[h]; ok {
				return nil, errKeyHeader
			}
		}
		key, err := lookup(t)
		if err != nil {
			return nil, err
		}
		if !keyFits(t.Method.Alg(), key) {
			return nil, errKeyAlg
		}
		return key, nil
	}
}

// keyFits pins the algorithm to the key type: RS256 for RSA keys of at least
// 2048 bits, ES256 for P-256 keys. Any other pairing is refused.
func keyFits(alg string, key any) bool {
	switch k := key.(type) {
	case *rsa.PublicKey:
		return alg == jwt.SigningMethodRS256.Alg() && k.N.BitLen() >= minRSABits
	case *ecdsa.PublicKey:
		return alg == jwt.SigningMethodES256.Alg() && k.Curve == elliptic.P256()
	}
	return false
}

// limitedBody is a RoundTripper that cuts response bodies at max bytes, so
// a misbehaving JWKS endpoint cannot make the server buffer gigabytes.
type limitedBody struct {
	next http.RoundTripper
	max  int64
}

// RoundTrip implements http.RoundTripper.
func (l limitedBody) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := l.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.LimitReader(resp.Body, l.max), resp.Body}
	return resp, nil
}
