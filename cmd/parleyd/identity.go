package main

import (
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/parleychat/parley/api"
)

// maxLeeway bounds PARLEY_JWT_LEEWAY: it absorbs clock skew, nothing more.
const maxLeeway = 5 * time.Minute

// identityInputs are the raw settings of sign-in with external ID tokens.
type identityInputs struct {
	jwksURL, issuer, audience, firebase, leeway *string
}

// identityFlags registers the flags, each defaulting to its environment variable.
func identityFlags(fs *flag.FlagSet, env func(def string, names ...string) string) *identityInputs {
	return &identityInputs{
		jwksURL: fs.String("jwks-url", env("", "PARLEY_JWKS_URL"),
			"JWKS URL of an identity provider whose RS256/ES256 ID tokens sign users in; needs -jwt-issuer and -jwt-audience (PARLEY_JWKS_URL)"),
		issuer: fs.String("jwt-issuer", env("", "PARLEY_JWT_ISSUER"),
			"the iss claim external ID tokens must carry (PARLEY_JWT_ISSUER)"),
		audience: fs.String("jwt-audience", env("", "PARLEY_JWT_AUDIENCE"),
			"the aud claim external ID tokens must carry: the client or project id (PARLEY_JWT_AUDIENCE)"),
		firebase: fs.String("firebase-project-id", env("", "PARLEY_FIREBASE_PROJECT_ID"),
			"Firebase project whose ID tokens sign users in; sets the JWKS URL, issuer and audience (PARLEY_FIREBASE_PROJECT_ID)"),
		leeway: fs.String("jwt-leeway", env("30s", "PARLEY_JWT_LEEWAY"),
			"clock skew tolerated on the times of every token, at most 5m (PARLEY_JWT_LEEWAY)"),
	}
}

// apply parses the inputs into c.API.
func (in *identityInputs) apply(c *config) error {
	leeway, err := time.ParseDuration(*in.leeway)
	if err != nil || leeway <= 0 || leeway > maxLeeway {
		return fmt.Errorf("PARLEY_JWT_LEEWAY %q: use a duration above 0 and at most %v, e.g. 30s", *in.leeway, maxLeeway)
	}
	c.API.TokenLeeway = leeway
	custom := *in.jwksURL != "" || *in.issuer != "" || *in.audience != ""
	switch {
	case *in.firebase != "" && custom:
		return errors.New("set PARLEY_FIREBASE_PROJECT_ID or PARLEY_JWKS_URL with PARLEY_JWT_ISSUER and PARLEY_JWT_AUDIENCE, not both")
	case *in.firebase != "":
		if !validProjectID(*in.firebase) {
			return fmt.Errorf("PARLEY_FIREBASE_PROJECT_ID %q: use the project id (lower-case letters, digits, '-')", *in.firebase)
		}
		c.API.Identity = api.FirebaseIdentity(*in.firebase)
	case custom:
		c.API.Identity = api.IdentityConfig{JWKSURL: *in.jwksURL, Issuer: *in.issuer, Audience: *in.audience}
	}
	if err := c.API.Identity.Check(); err != nil {
		return fmt.Errorf("PARLEY_JWKS_URL, PARLEY_JWT_ISSUER, PARLEY_JWT_AUDIENCE: %w", err)
	}
	if id := c.API.Identity; id.Enabled() && !strings.HasPrefix(id.JWKSURL, "https://") && !c.Dev {
		return errors.New("PARLEY_JWKS_URL must be https (plain http is allowed only with PARLEY_DEV)")
	}
	return nil
}

// validProjectID reports whether s looks like a Google Cloud project id.
func validProjectID(s string) bool {
	return len(s) >= 4 && len(s) <= 63 && strings.Trim(s, "abcdefghijklmnopqrstuvwxyz0123456789-") == ""
}
