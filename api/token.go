package api

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/parleychat/parley"
)

// Token types, the "typ" claim: an access token never works as a refresh
// token, nor the other way round.
const (
	typAccess  = "access"
	typRefresh = "refresh"
)

const (
	// maxTokenLen bounds a token before any parsing, so crafted tokens (a
	// megabyte of dots) cost nothing. Real tokens are about 300 bytes.
	maxTokenLen = 2048
	// maxHeaderLen bounds the encoded header tokenAlg decodes.
	maxHeaderLen = 1024
	// tokenLeeway absorbs clock skew between nodes when checking exp, nbf,
	// iat, unless Config.TokenLeeway says otherwise.
	tokenLeeway = 30 * time.Second
	// defaultIssuer is the "iss" claim when Config.Issuer is empty.
	defaultIssuer = "parley"
)

// claims are the claims of Parley's HS256 tokens: sub is the user id, adm marks
// a platform admin, typ is access or refresh, fam the refresh family (login
// session) the token belongs to, jti its unique id. Times must be JSON
// numbers: jwt's own NumericDate also takes numeric strings.
type claims struct {
	Issuer    string      `json:"iss"`
	Subject   string      `json:"sub"`
	ID        string      `json:"jti"`
	IssuedAt  *strictDate `json:"iat,omitempty"`
	ExpiresAt *strictDate `json:"exp,omitempty"`
	NotBefore *strictDate `json:"nbf,omitempty"`
	Admin     bool        `json:"adm,omitempty"`
	Type      string      `json:"typ"`
	Family    string      `json:"fam,omitempty"`
}

var _ jwt.Claims = (*claims)(nil)

func (c *claims) principal() parley.Principal {
	return parley.Principal{User: parley.UserID(c.Subject), Admin: c.Admin}
}

func (c *claims) credential() credential {
	return credential{Principal: c.principal(), Expires: c.ExpiresAt.Time, Family: c.Family}
}

// GetExpirationTime implements jwt.Claims.
func (c *claims) GetExpirationTime() (*jwt.NumericDate, error) { return c.ExpiresAt.date(), nil }

// GetIssuedAt implements jwt.Claims.
func (c *claims) GetIssuedAt() (*jwt.NumericDate, error) { return c.IssuedAt.date(), nil }

// GetNotBefore implements jwt.Claims.
func (c *claims) GetNotBefore() (*jwt.NumericDate, error) { return c.NotBefore.date(), nil }

// GetIssuer implements jwt.Claims.
func (c *claims) GetIssuer() (string, error) { return c.Issuer, nil }

// GetSubject implements jwt.Claims.
func (c *claims) GetSubject() (string, error) { return c.Subject, nil }

// GetAudience implements jwt.Claims; Parley's tokens have no audience.
func (c *claims) GetAudience() (jwt.ClaimStrings, error) { return nil, nil }

// strictDate is a NumericDate that must be a JSON number.
type strictDate struct{ jwt.NumericDate }

var errDateNotNumber = errors.New("api: token time is not a number")

func newDate(t time.Time) *strictDate { return &strictDate{*jwt.NewNumericDate(t)} }

// UnmarshalJSON accepts only JSON numbers.
func (d *strictDate) UnmarshalJSON(b []byte) error {
	if len(b) == 0 || !(b[0] == '-' || b[0] >= '0' && b[0] <= '9') {
		return errDateNotNumber
	}
	return d.NumericDate.UnmarshalJSON(b)
}

func (d *strictDate) date() *jwt.NumericDate {
	if d == nil {
		return nil
	}
	return &d.NumericDate
}

// MintAccessToken returns an HS256 access token for p, valid for ttl from now,
// as the server with this secret and issuer accepts it ("" means "parley").
// The command line uses it to mint tokens for scripts; such tokens belong to
// no login session, so logout cannot revoke them: keep their ttl short.
func MintAccessToken(secret []byte, issuer string, p parley.Principal, ttl time.Duration, now time.Time) (string, error) {
	if !parley.ValidID(string(p.User)) {
		return "", fmt.Errorf("api: mint token: invalid user id %q", p.User)
	}
	if issuer == "" {
		issuer = defaultIssuer
	}
	return sign(secret, newClaims(issuer, p, typAccess, "", ttl, now))
}

func newClaims(issuer string, p parley.Principal, typ, family string, ttl time.Duration, now time.Time) *claims {
	return &claims{
		Issuer: issuer, Subject: string(p.User), ID: parley.NewID(),
		IssuedAt: newDate(now), ExpiresAt: newDate(now.Add(ttl)),
		Admin: p.Admin, Type: typ, Family: family,
	}
}

func sign(secret []byte, c *claims) (string, error) {
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(secret)
	if err != nil {
		return "", fmt.Errorf("api: sign token: %w", err)
	}
	return s, nil
}

// tokens mints and verifies this server's tokens.
type tokens struct {
	secret []byte
	issuer string
	now    func() time.Time
	leeway time.Duration // zero means tokenLeeway
}

// skew returns the clock skew tolerated on exp, nbf and iat.
func (t tokens) skew() time.Duration {
	if t.leeway <= 0 {
		return tokenLeeway
	}
	return t.leeway
}

// tokenAlg returns the "alg" of raw's JOSE header, or "" when the header is
// missing, too long or not base64url JSON. Only the header is decoded, so it
// is cheap on any input; it picks the verifier, and each verifier still pins
// its own algorithms.
func tokenAlg(raw string) string {
	head, _, ok := strings.Cut(raw, ".")
	if !ok || len(head) > maxHeaderLen {
		return ""
	}
	b, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil {
		return ""
	}
	var h struct {
		Alg string `json:"alg"`
	}
	if json.Unmarshal(b, &h) != nil {
		return ""
	}
	return h.Alg
}

// parse verifies raw and returns its claims if it is a live token of type typ.
// The signature is verified before any claim is looked at; only a correctly
// signed token that merely expired yields parley.ErrTokenExpired, everything
// else parley.ErrUnauthorized.
func (t tokens) parse(raw, typ string) (*claims, error) {
	if raw == "" || len(raw) > maxTokenLen {
		return nil, parley.ErrUnauthorized
	}
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(t.issuer),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(t.skew()),
		jwt.WithTimeFunc(t.now),
		jwt.WithStrictDecoding(),
	)
	c := &claims{}
	tok, err := parser.ParseWithClaims(raw, c, func(*jwt.Token) (any, error) { return t.secret, nil })
	switch {
	case err == nil && tok.Valid:
	case errors.Is(err, jwt.ErrTokenExpired) && !errors.Is(err, jwt.ErrTokenSignatureInvalid) &&
		errors.Is(err, jwt.ErrTokenInvalidClaims) && c.Type == typ:
		return nil, parley.ErrTokenExpired
	default:
		return nil, parley.ErrUnauthorized
	}
	if c.Type != typ || !parley.ValidID(c.Subject) || !parley.ValidID(c.ID) ||
		(c.Family != "" && !parley.ValidID(c.Family)) || (typ == typRefresh && c.Family == "") {
		return nil, parley.ErrUnauthorized
	}
	return c, nil
}

// pair mints an access token and a refresh token of family for p.
func (t tokens) pair(p parley.Principal, family string, accessTTL, refreshTTL time.Duration) (access, refresh string, err error) {
	now := t.now()
	if access, err = sign(t.secret, newClaims(t.issuer, p, typAccess, family, accessTTL, now)); err != nil {
		return "", "", err
	}
	if refresh, err = sign(t.secret, newClaims(t.issuer, p, typRefresh, family, refreshTTL, now)); err != nil {
		return "", "", err
	}
	return access, refresh, nil
}
