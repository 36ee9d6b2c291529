package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleychat/parley/api"
	"github.com/parleychat/parley/api/apitest"
	"github.com/parleychat/parley/persistence"
	"github.com/parleychat/parley/persistence/memstore"
	"github.com/parleychat/parley/persistence/redisstore"
	"github.com/parleychat/parley/persistence/storetest"
)

// Fault tests: the real HTTP server over real backends that stop and come
// back mid-run. Each measures what an operator would ask (how fast requests
// fail, how long recovery takes) and logs it with t.Logf.

// fallbackShared is the composition cmd/parleyd runs with Redis: shared
// state in Redis whose rate limits fall back to a node-local limiter while
// Redis is unavailable.
type fallbackShared struct {
	*redisstore.Store
	limiter *persistence.FallbackLimiter
}

func (f *fallbackShared) Allow(ctx context.Context, key string, l persistence.Limit) (persistence.Decision, error) {
	return f.limiter.Allow(ctx, key, l)
}

// openRedis opens a redisstore on addr with a key prefix of the test's own,
// closed in t.Cleanup.
func openRedis(t *testing.T, addr, prefix string) *redisstore.Store {
	t.Helper()
	rs, err := redisstore.Open(t.Context(), redisstore.Config{Addr: addr, KeyPrefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rs.Close() }) // after the Env's Stop (LIFO); errors do not matter then
	return rs
}

// withFallback returns rs with node-local rate limits during outages,
// logging to log; the local limiter is closed in t.Cleanup.
func withFallback(t *testing.T, rs *redisstore.Store, log *slog.Logger) *fallbackShared {
	local := memstore.New(memstore.Config{})
	t.Cleanup(func() { _ = local.Close() }) // memstore.Close always returns nil
	return &fallbackShared{Store: rs, limiter: persistence.NewFallbackLimiter(rs, local, log)}
}

// logRecorder is a slog.Handler that keeps every record's level and message.
type logRecorder struct {
	mu      sync.Mutex
	records []slog.Record
}

func (r *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *logRecorder) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *logRecorder) WithGroup(string) slog.Handler            { return r }

func (r *logRecorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.records = append(r.records, rec.Clone())
	return nil
}

// count returns how many records at level have a message containing msg.
func (r *logRecorder) count(level slog.Level, msg string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, rec := range r.records {
		if rec.Level == level && strings.Contains(rec.Message, msg) {
			n++
		}
	}
	return n
}

// request sends one JSON request from any goroutine (no t.Fatal) and
// returns the status, headers and body.
func request(client *http.Client, method, url, token string, body any) (int, http.Header, []byte, error) {
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return 0, nil, nil, err
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, data, err
}

// readiness returns /readyz's status and checks.
func readiness(t *testing.T, e *apitest.Env) (int, map[string]string) {
	t.Helper()
	var h health
	r := e.Do(t, http.MethodGet, "/readyz", "", nil)
	r.JSON(t, &h)
	return r.Status, h.Checks
}

// wsSend sends one message frame over w and returns the reply or error
// event for it.
func wsSend(t *testing.T, w *apitest.WS, id uint64, room, body string) map[string]any {
	t.Helper()
	w.Send(t, map[string]any{"id": id, "type": "send", "room": room, "body": body})
	return w.Reply(t, id)
}

// TestFault_RedisOutage stops Redis under a node that uses it for shared
// state, then restarts it, without touching the node (B-32, B-34):
//   - /readyz says 503 naming "shared" during the outage, /healthz stays 200;
//   - sends keep working on open WebSockets under the node-local limiter,
//     which still enforces the limit, and the outage is logged once;
//   - requests that need Redis itself (presence; with the current auth
//     policy every REST token check) answer 503 unavailable, never hang;
//   - after the restart everything recovers by itself.
func TestFault_RedisOutage(t *testing.T) {
	srv := storetest.StartRedisServer(t)
	rec := &logRecorder{}
	log := slog.New(rec)
	shared := withFallback(t, openRedis(t, srv.Addr(), storetest.UniqueName(t)), log)
	const limit = 20
	e := apitest.StartWith(t, apitest.Options{Shared: shared, Log: log, Config: api.Config{
		SendLimit: api.Limit{Count: limit, Window: time.Minute},
		WS:        api.WSConfig{PingInterval: 300 * time.Millisecond}, // presence heartbeats: recovery is quick to see
	}})
	alice := e.SignUp(t, "alice")
	room := createRoom(t, e, alice.Token, "Outage", "public").ID
	for i := range 5 {
		send(t, e, alice.Token, room, fmt.Sprint("before ", i))
	}
	w := e.MustDialWS(t, alice.Token)
	w.Send(t, map[string]any{"id": 1, "type": "subscribe", "room": room})
	w.Reply(t, 1)

	srv.Stop()
	stoppedAt := time.Now()
	storetest.WaitFor(t, wait, "/readyz 503 naming shared", func() bool {
		code, checks := readiness(t, e)
		return code == http.StatusServiceUnavailable && checks["shared"] == "unavailable" && checks["store"] == "ok"
	})
	t.Logf("readiness reported the outage %v after Redis stopped", time.Since(stoppedAt).Round(time.Millisecond))
	e.Do(t, http.MethodGet, "/healthz", "", nil).Expect(t, http.StatusOK)
	checkRedisDownAnswers(t, e, alice.Token, room)
	accepted := wsSendBurst(t, w, room, limit+10, 100)
	if accepted != limit {
		t.Errorf("during the outage %d of %d WebSocket sends were accepted, want exactly %d (node-local limit)", accepted, limit+10, limit)
	}
	if n := rec.count(slog.LevelWarn, "shared rate limiter unavailable"); n != 1 {
		t.Errorf("outage logged %d times, want once", n)
	}

	srv.Restart()
	restartedAt := time.Now()
	checkRedisRecovery(t, e, alice, room, restartedAt)
	checkSharedLimits(t, e, shared, room, limit)
	if n := rec.count(slog.LevelInfo, "shared rate limiter available again"); n != 1 {
		t.Errorf("recovery logged %d times, want once", n)
	}
	if n := rec.count(slog.LevelError, "panicked"); n != 0 {
		t.Errorf("%d panics logged", n)
	}
}

// checkRedisDownAnswers checks what needs Redis answers 503 unavailable
// quickly while it is down.
func checkRedisDownAnswers(t *testing.T, e *apitest.Env, token, room string) {
	t.Helper()
	for _, path := range []string{"/api/chat/rooms/" + room + "/presence/", "/api/chat/rooms/" + room + "/messages/"} {
		start := time.Now()
		r := e.Do(t, http.MethodGet, path, token, nil)
		took := time.Since(start)
		switch {
		case r.Status == http.StatusOK && !strings.HasSuffix(path, "/presence/"):
			t.Logf("GET %s during the Redis outage: 200 in %v", path, took.Round(time.Millisecond))
		case r.Status != http.StatusServiceUnavailable:
			t.Fatalf("GET %s during the Redis outage = %d %s, want 503", path, r.Status, r.Body)
		default:
			if p := r.Problem(t); p.Code != "unavailable" || took > 3*time.Second {
				t.Errorf("GET %s = %+v after %v, want a quick unavailable", path, p, took)
			}
			t.Logf("GET %s during the Redis outage: 503 unavailable in %v", path, took.Round(time.Millisecond))
		}
	}
}

// wsSendBurst sends n messages over w, one after another, with ids from
// firstID, and returns how many were accepted; the others must be refused
// with rate_limited.
func wsSendBurst(t *testing.T, w *apitest.WS, room string, n int, firstID uint64) int {
	t.Helper()
	accepted := 0
	for i := range n {
		id := firstID + uint64(i)
		ev := wsSend(t, w, id, room, fmt.Sprint("ws ", id))
		switch {
		case ev["type"] == "reply" && ev["seq"] != nil:
			accepted++
		case ev["type"] == "error" && ev["code"] == "rate_limited":
		default:
			t.Fatalf("send %d: %v, want a reply or rate_limited", id, ev)
		}
	}
	return accepted
}

// checkRedisRecovery waits for the node to recover from the outage by
// itself and reports how long each part took after Redis restarted.
func checkRedisRecovery(t *testing.T, e *apitest.Env, alice apitest.User, room string, restartedAt time.Time) {
	t.Helper()
	storetest.WaitFor(t, wait, "/readyz 200", func() bool {
		code, _ := readiness(t, e)
		return code == http.StatusOK
	})
	ready := time.Since(restartedAt)
	storetest.WaitFor(t, wait, "a REST send to succeed", func() bool {
		code, _, _, err := request(e.Client, http.MethodPost, e.URL+"/api/chat/rooms/"+room+"/send_message/",
			alice.Token, map[string]string{"body": "after"})
		return err == nil && code == http.StatusCreated
	})
	sent := time.Since(restartedAt)
	storetest.WaitFor(t, wait, "presence to show alice again", func() bool {
		var p struct {
			Online []string `json:"online"`
		}
		r := e.Do(t, http.MethodGet, "/api/chat/rooms/"+room+"/presence/", alice.Token, nil)
		if r.Status != http.StatusOK {
			return false
		}
		r.JSON(t, &p)
		return slices.Contains(p.Online, string(alice.ID))
	})
	t.Logf("after Redis restarted: ready in %v, REST send in %v, presence back in %v",
		ready.Round(time.Millisecond), sent.Round(time.Millisecond), time.Since(restartedAt).Round(time.Millisecond))
	if ready > 5*time.Second || sent > 5*time.Second {
		t.Errorf("recovery took longer than 5s (B-32)")
	}
}

// checkSharedLimits checks that rate limits are counted in Redis again:
// a new user's burst is cut at the limit, and Redis itself holds the count.
func checkSharedLimits(t *testing.T, e *apitest.Env, shared *fallbackShared, room string, limit int) {
	t.Helper()
	storetest.WaitFor(t, wait, "the shared limiter to take over again", func() bool { return !shared.limiter.IsDegraded() })
	bob := e.SignUp(t, "bob")
	e.Do(t, http.MethodPost, "/api/chat/rooms/"+room+"/join/", bob.Token, nil).Expect(t, http.StatusOK)
	w := e.MustDialWS(t, bob.Token)
	if n := wsSendBurst(t, w, room, limit+5, 1); n != limit {
		t.Errorf("after recovery %d of %d sends were accepted, want %d", n, limit+5, limit)
	}
	d, err := shared.Store.Allow(t.Context(), "user:send:"+string(bob.ID), persistence.Limit{Count: limit, Window: time.Minute})
	if err != nil || d.Allowed {
		t.Errorf("Redis's own count of bob's sends: %+v, %v; want the limit spent", d, err)
	}
}
