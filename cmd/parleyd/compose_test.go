package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/persistence"
	"github.com/parleychat/parley/persistence/storetest"
)

// composeEnvironment returns the environment docker-compose.yml gives the
// parley service: the keys of services.parley.environment and their values
// as written (a line scan: the file is ours and plain).
func composeEnvironment(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open("../../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	env := map[string]string{}
	section := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		indent := len(line) - len(strings.TrimLeft(line, " "))
		switch {
		case trimmed == "" || strings.HasPrefix(trimmed, "#"):
		case indent == 2:
			section = strings.TrimSuffix(trimmed, ":")
		case indent == 4 && section == "parley":
			section = "parley." + strings.TrimSuffix(trimmed, ":")
		case indent == 4 && strings.HasPrefix(section, "parley."):
			section = "parley." + strings.TrimSuffix(trimmed, ":")
		case indent == 6 && section == "parley.environment":
			k, v, _ := strings.Cut(trimmed, ":")
			env[k] = strings.TrimSpace(v)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(env) == 0 {
		t.Fatal("docker-compose.yml: no environment found for the parley service")
	}
	return env
}

// TestRun_ComposeEnvironment starts parleyd with exactly the variables
// docker-compose.yml sets, parsed by the real config parser, with the
// addresses pointed at test servers (an in-process Mongo wire server and a
// redis-server), then walks a user story over HTTP.
func TestRun_ComposeEnvironment(t *testing.T) {
	mongo := storetest.StartMongoServer(t)
	redisAddr := storetest.StartRedis(t)
	compose := composeEnvironment(t)
	overrides := map[string]string{
		"PARLEY_HTTP_ADDR":  "127.0.0.1:0", // compose: 0.0.0.0:8080
		"PARLEY_SECRET_KEY": strings.Repeat("k", 64),
		"PARLEY_MONGO_URI":  mongo.URI(), // compose: mongodb://mongo:27017/?replicaSet=rs0; FerretDB has no replica set
		"PARLEY_REDIS_URL":  "redis://" + redisAddr + "/0",
	}
	env := map[string]string{}
	for k, v := range compose {
		env[k] = v
		if o, ok := overrides[k]; ok {
			env[k] = o
		}
	}
	for k := range overrides {
		if _, ok := compose[k]; !ok {
			t.Fatalf("docker-compose.yml no longer sets %s; update this test", k)
		}
	}
	cfg, err := parseConfig(nil, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatalf("parseConfig(compose environment): %v", err)
	}
	if cfg.MongoDB != compose["PARLEY_MONGO_DB"] || cfg.LimitFallback != limitsLocal {
		t.Fatalf("config = %+v", cfg)
	}
	logs := &lockedBuffer{}
	url, stop := startRunWithLog(t, cfg, newLogger(cfg, logs))
	walkStory(t, url)
	if err := stop(); err != nil {
		t.Fatalf("run returned %v after a clean shutdown", err)
	}
	if _, err := os.Stat(cfg.DataDir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("data dir %s exists (%v): with MongoDB and a secret, parleyd must not need one", cfg.DataDir, err)
	}
	first, _, _ := bytes.Cut(logs.bytes(), []byte("\n"))
	if !json.Valid(first) {
		t.Errorf("logs are not JSON: %s", first)
	}
}

// lockedBuffer is a log sink that goroutines may write while a test reads.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}

// walkStory registers, logs in, creates a room, sends and reads history, and
// checks readiness, all over HTTP.
func walkStory(t *testing.T, url string) {
	t.Helper()
	do := func(method, path, token string, body any, want int, out any) {
		t.Helper()
		status, data := call(t, method, url+path, token, body)
		if status != want {
			t.Fatalf("%s %s = %d, want %d: %s", method, path, status, want, data)
		}
		if out != nil {
			if err := json.Unmarshal(data, out); err != nil {
				t.Fatalf("%s %s: decode %s: %v", method, path, data, err)
			}
		}
	}
	creds := map[string]string{"username": "alice", "password": "correct horse battery"}
	do(http.MethodPost, "/api/auth/register", "", creds, http.StatusCreated, nil)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	do(http.MethodPost, "/api/auth/login", "", creds, http.StatusOK, &tok)
	var room struct {
		ID string `json:"id"`
	}
	do(http.MethodPost, "/api/chat/rooms/", tok.AccessToken, map[string]string{"name": "Compose"}, http.StatusCreated, &room)
	do(http.MethodPost, "/api/chat/rooms/"+room.ID+"/send_message/", tok.AccessToken, map[string]string{"body": "hello"}, http.StatusCreated, nil)
	var page struct {
		Results []struct {
			Seq  uint64 `json:"seq"`
			Body string `json:"body"`
		} `json:"results"`
	}
	do(http.MethodGet, "/api/chat/rooms/"+room.ID+"/messages/", tok.AccessToken, nil, http.StatusOK, &page)
	if len(page.Results) != 1 || page.Results[0].Seq != 1 || page.Results[0].Body != "hello" {
		t.Fatalf("history = %+v, want the one message", page.Results)
	}
	var ready struct {
		Checks map[string]string `json:"checks"`
	}
	do(http.MethodGet, "/readyz", "", nil, http.StatusOK, &ready)
	if ready.Checks["store"] != "ok" || ready.Checks["shared"] != "ok" || ready.Checks["node"] != "ok" {
		t.Fatalf("/readyz checks = %v", ready.Checks)
	}
}

// call sends one JSON request and returns the status and body.
func call(t *testing.T, method, url, token string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, data
}

// TestRun_RefusesUnreachableBackends: a configured MongoDB or Redis that does
// not answer stops start-up quickly, with a message naming the variable to
// fix and never a password. (Parleyd has no multi-node setting yet, so there
// is no "several nodes without Redis" configuration to refuse.)
func TestRun_RefusesUnreachableBackends(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: waits for server selection to time out")
	}
	closed := closedPort(t)
	for _, tc := range []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"Mongo", map[string]string{"PARLEY_MONGO_URI": "mongodb://parley:hunter2@" + closed + "/"},
			[]string{"PARLEY_MONGO_URI", "does not answer", "unset it"}},
		{"Redis", map[string]string{"PARLEY_REDIS_URL": "redis://:hunter2@" + closed + "/0"},
			[]string{"PARLEY_REDIS_URL", "does not answer", closed}},
		{"RedisScheme", map[string]string{"PARLEY_REDIS_URL": "http://" + closed},
			[]string{"PARLEY_REDIS_URL", "redis://"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.env["PARLEY_HTTP_ADDR"], tc.env["PARLEY_DATA_DIR"] = "127.0.0.1:0", t.TempDir()
			cfg, err := parseConfig(nil, func(k string) string { return tc.env[k] }, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			err = run(t.Context(), cfg, newLogger(cfg, io.Discard), func(string) { t.Error("parleyd started serving") })
			took := time.Since(start)
			if err == nil {
				t.Fatal("run succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "hunter2") || took > 10*time.Second {
				t.Errorf("error %q after %v: shows the password, or too slow", err, took)
			}
			t.Logf("refused after %v: %v", took.Round(time.Millisecond), err)
		})
	}
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestParseConfig_Limits(t *testing.T) {
	env := map[string]string{
		"PARLEY_LIMIT_SEND": "5/30s", "PARLEY_LIMIT_LOGIN_IP": "100/1h", "PARLEY_LIMIT_FALLBACK": "closed",
	}
	cfg, err := parseConfig([]string{"-limit-room", "2/1m"}, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.API.SendLimit.String() != "5/30s" || cfg.API.LoginIPLimit.String() != "100/1h" ||
		cfg.API.RoomLimit.String() != "2/1m" || cfg.API.JoinLimit.Count != 0 || cfg.LimitFallback != limitsClosed {
		t.Errorf("limits = send %v, login ip %v, room %v, join %v, fallback %q",
			cfg.API.SendLimit, cfg.API.LoginIPLimit, cfg.API.RoomLimit, cfg.API.JoinLimit, cfg.LimitFallback)
	}
	for _, bad := range []map[string]string{
		{"PARLEY_LIMIT_SEND": "600"}, {"PARLEY_LIMIT_SEND": "600/"}, {"PARLEY_LIMIT_SEND": "/1m"},
		{"PARLEY_LIMIT_SEND": "0/1m"}, {"PARLEY_LIMIT_SEND": "-1/1m"}, {"PARLEY_LIMIT_SEND": "+5/1m"},
		{"PARLEY_LIMIT_SEND": "1.5/1m"}, {"PARLEY_LIMIT_SEND": " 5/1m"}, {"PARLEY_LIMIT_SEND": "5/1m "},
		{"PARLEY_LIMIT_SEND": "5/0s"}, {"PARLEY_LIMIT_SEND": "5/100ms"}, {"PARLEY_LIMIT_SEND": "5/-1m"},
		{"PARLEY_LIMIT_SEND": "5/48h"}, {"PARLEY_LIMIT_SEND": "5/m"}, {"PARLEY_LIMIT_SEND": "5/1m/2"},
		{"PARLEY_LIMIT_JOIN_IP": "lots"}, {"PARLEY_LIMIT_FALLBACK": "open"},
	} {
		_, err := parseConfig(nil, func(k string) string { return bad[k] }, io.Discard)
		var name string
		for k := range bad {
			name = k
		}
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%v: err = %v, want an error naming %s", bad, err, name)
		}
	}
}

// TestOpenShared_Fallback: with Redis, parleyd's shared state counts limits
// in Redis, falls back to this node's limiter while Redis is down (still
// enforcing), and goes back to Redis once it returns; with
// PARLEY_LIMIT_FALLBACK=closed, limits fail with unavailable instead.
func TestOpenShared_Fallback(t *testing.T) {
	srv := storetest.StartRedisServer(t)
	open := func(policy string) persistence.Shared {
		cfg := config{RedisURL: "redis://" + srv.Addr() + "/0", LimitFallback: policy}
		s, err := openShared(t.Context(), cfg, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() }) // closing twice is fine; errors after a test do not matter
		return s
	}
	local, closed := open(limitsLocal), open(limitsClosed)
	limit := persistence.Limit{Count: 2, Window: time.Minute}
	allowed := func(s persistence.Shared, key string) (bool, error) {
		d, err := s.Allow(t.Context(), key, limit)
		return d.Allowed, err
	}
	srv.Stop()
	for i, want := range []bool{true, true, false} {
		if ok, err := allowed(local, "down"); err != nil || ok != want {
			t.Fatalf("fallback call %d during the outage = %v, %v; want %v", i+1, ok, err, want)
		}
	}
	if _, err := allowed(closed, "down"); !errors.Is(err, parley.ErrUnavailable) {
		t.Fatalf("closed policy during the outage: err = %v, want unavailable", err)
	}
	if err := local.Ping(t.Context()); !errors.Is(err, parley.ErrUnavailable) {
		t.Fatalf("Ping during the outage = %v, want unavailable", err)
	}
	srv.Restart()
	storetest.WaitFor(t, 10*time.Second, "limits counted in Redis again", func() bool {
		_, err := allowed(closed, "up")
		return err == nil
	})
	storetest.WaitFor(t, 10*time.Second, "the fallback to hand back to Redis", func() bool {
		_, _ = allowed(local, "probe") // while degraded, a call probes Redis at most once a second
		return !local.(*fallbackShared).limiter.IsDegraded()
	})
	// Both clients now count the same key in Redis: "up" has one event from
	// the closed-policy client above.
	if ok, err := allowed(local, "up"); err != nil || !ok {
		t.Fatalf("after recovery: %v, %v", ok, err)
	}
	if ok, err := allowed(closed, "up"); err != nil || ok {
		t.Fatalf("third event of a shared key = %v, %v; want refused by Redis", ok, err)
	}
}
