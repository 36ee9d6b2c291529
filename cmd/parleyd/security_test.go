package main

import (
	"io"
	"slices"
	"testing"
)

// TestParseConfig_Security: the browser and limit settings come from flags or
// the environment, aliases included, and unsafe values are refused at start.
func TestParseConfig_Security(t *testing.T) {
	env := map[string]string{
		"CORS_ALLOWED_ORIGINS":   "https://app.example, https://admin.example",
		"ALLOWED_HOSTS":          "chat.example",
		"PARLEY_TRUSTED_PROXIES": "10.0.0.0/8,192.0.2.1",
		"PARLEY_TLS":             "true",
		"PARLEY_WS_FRAME_RATE":   "5.5",
	}
	cfg, err := parseConfig([]string{"-ws-max-conns-per-user", "3", "-ws-max-subscriptions", "8"}, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	a := cfg.API
	if !slices.Equal(a.AllowedOrigins, []string{"https://app.example", "https://admin.example"}) ||
		!slices.Equal(a.AllowedHosts, []string{"chat.example"}) || len(a.TrustedProxies) != 2 || !a.TLS ||
		a.WS.MaxConnsPerUser != 3 || a.WS.FrameRate.PerSecond != 5.5 || cfg.Actors.MaxSubscriptions != 8 {
		t.Errorf("config = %+v, actors %+v", a, cfg.Actors)
	}
	env = map[string]string{"PARLEY_CORS_ALLOWED_ORIGINS": "https://new.example", "CORS_ALLOWED_ORIGINS": "https://old.example"}
	if cfg, _ := parseConfig(nil, func(k string) string { return env[k] }, io.Discard); !slices.Equal(cfg.API.AllowedOrigins, []string{"https://new.example"}) {
		t.Errorf("PARLEY_ name must win over the alias: %v", cfg.API.AllowedOrigins)
	}
	for name, bad := range map[string]map[string]string{
		"WildcardOrigin": {"PARLEY_CORS_ALLOWED_ORIGINS": "*"},
		"NullOrigin":     {"CORS_ALLOWED_ORIGINS": "null"},
		"OriginPath":     {"CORS_ALLOWED_ORIGINS": "https://app.example/app"},
		"BadProxy":       {"PARLEY_TRUSTED_PROXIES": "proxy.internal"},
		"BadTLS":         {"PARLEY_TLS": "sometimes"},
		"NegativeLimit":  {"PARLEY_WS_MAX_CONNS_PER_IP": "-1"},
		"BadRate":        {"PARLEY_WS_FRAME_RATE": "fast"},
	} {
		if _, err := parseConfig(nil, func(k string) string { return bad[k] }, io.Discard); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
