package main

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/parleychat/parley/api"
	"github.com/parleychat/parley/api/apitest"
)

func TestConfig_Identity(t *testing.T) {
	base := []string{"-data-dir", t.TempDir()}
	for _, tc := range []struct {
		name    string
		env     map[string]string
		args    []string
		want    api.IdentityConfig
		leeway  time.Duration
		wantErr string
	}{
		{name: "Default", leeway: 30 * time.Second},
		{name: "Firebase", env: map[string]string{"PARLEY_FIREBASE_PROJECT_ID": "chat-prod-42"}, leeway: 30 * time.Second,
			want: api.IdentityConfig{JWKSURL: "https://www.googleapis.com/service_accounts/v1/jwk/securetoken@system.gserviceaccount.com",
				Issuer: "https://securetoken.google.com/chat-prod-42", Audience: "chat-prod-42"}},
		{name: "Custom", env: map[string]string{"PARLEY_JWKS_URL": "https://idp.example/jwks", "PARLEY_JWT_ISSUER": "https://idp.example",
			"PARLEY_JWT_AUDIENCE": "parley", "PARLEY_JWT_LEEWAY": "10s"}, leeway: 10 * time.Second,
			want: api.IdentityConfig{JWKSURL: "https://idp.example/jwks", Issuer: "https://idp.example", Audience: "parley"}},
		{name: "FlagsWin", env: map[string]string{"PARLEY_JWT_LEEWAY": "10s"}, args: []string{"-jwt-leeway", "5s",
			"-jwks-url", "https://idp.example/k", "-jwt-issuer", "i", "-jwt-audience", "a"}, leeway: 5 * time.Second,
			want: api.IdentityConfig{JWKSURL: "https://idp.example/k", Issuer: "i", Audience: "a"}},
		{name: "HTTPInDev", env: map[string]string{"PARLEY_DEV": "1", "PARLEY_JWKS_URL": "http://127.0.0.1:9/jwks",
			"PARLEY_JWT_ISSUER": "i", "PARLEY_JWT_AUDIENCE": "a"}, leeway: 30 * time.Second,
			want: api.IdentityConfig{JWKSURL: "http://127.0.0.1:9/jwks", Issuer: "i", Audience: "a"}},
		{name: "HTTPInProduction", env: map[string]string{"PARLEY_JWKS_URL": "http://idp.example/jwks",
			"PARLEY_JWT_ISSUER": "i", "PARLEY_JWT_AUDIENCE": "a"}, wantErr: "https"},
		{name: "Both", env: map[string]string{"PARLEY_FIREBASE_PROJECT_ID": "p-1234", "PARLEY_JWKS_URL": "https://x/j"}, wantErr: "not both"},
		{name: "NoAudience", env: map[string]string{"PARLEY_JWKS_URL": "https://x/j", "PARLEY_JWT_ISSUER": "i"}, wantErr: "audience"},
		{name: "IssuerAlone", env: map[string]string{"PARLEY_JWT_ISSUER": "i"}, wantErr: "jwks url"},
		{name: "BadProject", env: map[string]string{"PARLEY_FIREBASE_PROJECT_ID": "Evil/../x"}, wantErr: "project id"},
		{name: "BadLeeway", env: map[string]string{"PARLEY_JWT_LEEWAY": "1h"}, wantErr: "PARLEY_JWT_LEEWAY"},
		{name: "ZeroLeeway", env: map[string]string{"PARLEY_JWT_LEEWAY": "0s"}, wantErr: "PARLEY_JWT_LEEWAY"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parseConfig(append(base, tc.args...), func(k string) string { return tc.env[k] }, &bytes.Buffer{})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("parseConfig = %v, want an error about %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.API.Identity != tc.want || c.API.TokenLeeway != tc.leeway {
				t.Fatalf("identity = %+v, leeway %v; want %+v, %v", c.API.Identity, c.API.TokenLeeway, tc.want, tc.leeway)
			}
		})
	}
}

func TestConfig_IdentityHelp(t *testing.T) {
	var usage bytes.Buffer
	_, _ = parseConfig([]string{"-h"}, func(string) string { return "" }, &usage)
	for _, name := range []string{"PARLEY_JWKS_URL", "PARLEY_JWT_ISSUER", "PARLEY_JWT_AUDIENCE", "PARLEY_FIREBASE_PROJECT_ID", "PARLEY_JWT_LEEWAY"} {
		if !strings.Contains(usage.String(), name) {
			t.Errorf("-h does not mention %s", name)
		}
	}
}

// TestRun_ExternalIdentity: parleyd configured from the environment accepts
// ID tokens of the identity provider it names, and only those.
func TestRun_ExternalIdentity(t *testing.T) {
	idp := apitest.StartIdP(t, "parleyd")
	env := map[string]string{"PARLEY_DEV": "1", "PARLEY_JWKS_URL": idp.URL, "PARLEY_JWT_ISSUER": idp.Issuer, "PARLEY_JWT_AUDIENCE": idp.Audience}
	cfg, err := parseConfig([]string{"-http-addr", "127.0.0.1:0", "-data-dir", t.TempDir()}, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	url, _ := startRun(t, cfg)
	for _, tc := range []struct {
		token string
		want  int
	}{
		{idp.Token(t, "rsa-1", "run-alice"), http.StatusOK},
		{idp.Token(t, "ec-1", "run-alice"), http.StatusOK},
		{apitest.NewRSAKey(t, "rsa-1").Sign(t, idp.Claims("run-mallory")), http.StatusUnauthorized},
	} {
		req, _ := http.NewRequest(http.MethodGet, url+"/api/auth/me", nil)
		req.Header.Set("Authorization", "Bearer "+tc.token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("GET /api/auth/me = %d, want %d", resp.StatusCode, tc.want)
		}
	}
}
