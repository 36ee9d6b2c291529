package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// startRun runs parleyd's run in the background on 127.0.0.1:0 and returns
// its base URL and a stop function that cancels it and returns run's error.
func startRun(t *testing.T, cfg config) (string, func() error) {
	t.Helper()
	return startRunWithLog(t, cfg, slog.New(slog.DiscardHandler))
}

// startRunWithLog is startRun with run logging to log.
func startRunWithLog(t *testing.T, cfg config, log *slog.Logger) (string, func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addrs := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- run(ctx, cfg, log, func(a string) { addrs <- a }) }()
	var stopped bool
	var runErr error
	stop := func() error {
		if !stopped {
			stopped = true
			cancel()
			runErr = <-done
		}
		return runErr
	}
	t.Cleanup(func() { _ = stop() }) // errors are checked by tests that call stop themselves
	select {
	case a := <-addrs:
		return "http://" + a, stop
	case err := <-done:
		t.Fatalf("run: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("run did not become ready")
	}
	return "", nil
}

func testConfig(t *testing.T) config {
	t.Helper()
	cfg, err := parseConfig([]string{"-http-addr", "127.0.0.1:0", "-data-dir", t.TempDir()}, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func getJSON(t *testing.T, url string, v any) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: decode: %v", url, err)
	}
	return resp.StatusCode
}

func TestRun_HealthAndShutdown(t *testing.T) {
	cfg := testConfig(t)
	cfg.AdminUsername, cfg.AdminPassword = "root", "root password"
	url, stop := startRun(t, cfg)
	var health struct {
		Status string            `json:"status"`
		Checks map[string]string `json:"checks"`
	}
	if code := getJSON(t, url+"/healthz", &health); code != 200 || health.Status != "ok" {
		t.Errorf("/healthz = %d %+v", code, health)
	}
	if code := getJSON(t, url+"/readyz", &health); code != 200 || health.Checks["store"] != "ok" || health.Checks["node"] != "ok" {
		t.Errorf("/readyz = %d %+v", code, health)
	}
	resp, err := http.Post(url+"/api/auth/login", "application/json", strings.NewReader(`{"username":"root","password":"root password"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("admin login = %d, want 200", resp.StatusCode)
	}
	if err := stop(); err != nil {
		t.Errorf("run returned %v after a clean shutdown", err)
	}
	if _, err := http.Get(url + "/healthz"); err == nil {
		t.Error("server still answers after shutdown")
	}
	info, err := os.Stat(filepath.Join(cfg.DataDir, secretFile))
	if err != nil {
		t.Errorf("secret file: %v", err)
	} else if info.Mode().Perm() != 0o600 {
		t.Errorf("secret file mode %v, want 0600", info.Mode().Perm())
	}
}

// TestRun_Restart: the generated secret survives a restart, so tokens stay valid.
func TestRun_Restart(t *testing.T) {
	cfg := testConfig(t)
	_, stop := startRun(t, cfg)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	first, err := loadSecret(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	_, stop = startRun(t, cfg)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	again, _ := loadSecret(cfg, slog.New(slog.DiscardHandler))
	if string(first) != string(again) || len(first) != 64 {
		t.Errorf("secret changed across restarts or has the wrong size (%d)", len(first))
	}
}

func TestParseConfig(t *testing.T) {
	env := map[string]string{
		"PARLEY_HTTP_ADDR": "127.0.0.1:9999", "SECRET_KEY": strings.Repeat("s", 32),
		"REDIS_URL": "redis://127.0.0.1:6379/0", "DEBUG": "true", "PARLEY_LOG_LEVEL": "debug",
	}
	cfg, err := parseConfig([]string{"-http-addr", "127.0.0.1:7777"}, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HTTPAddr != "127.0.0.1:7777" || string(cfg.Secret) != env["SECRET_KEY"] || cfg.RedisURL != env["REDIS_URL"] ||
		!cfg.Dev || !cfg.API.DevMode || cfg.LogLevel != slog.LevelDebug || cfg.DataDir != "./data" {
		t.Errorf("config = %+v", cfg)
	}
	bad := []struct {
		name string
		args []string
		env  map[string]string
	}{
		{"ShortSecret", nil, map[string]string{"PARLEY_SECRET_KEY": "short"}},
		{"BadLevel", []string{"-log-level", "loud"}, nil},
		{"BadDev", nil, map[string]string{"PARLEY_DEV": "maybe"}},
		{"AdminWithoutPassword", nil, map[string]string{"PARLEY_ADMIN_USERNAME": "root"}},
		{"BadPort", []string{"-cluster-port", "70000"}, nil},
		{"ExtraArg", []string{"serve"}, nil},
	}
	for _, tc := range bad {
		if _, err := parseConfig(tc.args, func(k string) string { return tc.env[k] }, io.Discard); err == nil {
			t.Errorf("%s: parseConfig accepted it", tc.name)
		}
	}
	if _, err := parseConfig(nil, func(k string) string {
		return map[string]string{"PARLEY_SECRET_KEY": "short", "PARLEY_DEV": "1"}[k]
	}, io.Discard); err != nil {
		t.Errorf("short secret in dev mode: %v", err)
	}
	if _, err := parseConfig([]string{"-h"}, func(string) string { return "" }, io.Discard); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: err = %v, want flag.ErrHelp", err)
	}
}
