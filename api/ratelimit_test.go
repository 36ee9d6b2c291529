package api_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/api"
	"github.com/parleychat/parley/api/apitest"
	"github.com/parleychat/parley/persistence"
	"github.com/parleychat/parley/persistence/storetest"
)

// burst sends one REST request per token at once and returns each status,
// Retry-After header and latency, in token order.
func burst(t *testing.T, e *apitest.Env, path string, tokens []string) ([]int, []string, []time.Duration) {
	t.Helper()
	statuses, retry, took := make([]int, len(tokens)), make([]string, len(tokens)), make([]time.Duration, len(tokens))
	errs := make([]error, len(tokens))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, tok := range tokens {
		wg.Go(func() {
			<-start
			t0 := time.Now()
			var h http.Header
			statuses[i], h, _, errs[i] = request(e.Client, http.MethodPost, e.URL+path, tok, map[string]string{"body": fmt.Sprint("m", i)})
			took[i] = time.Since(t0)
			if h != nil {
				retry[i] = h.Get("Retry-After")
			}
		})
	}
	close(start)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return statuses, retry, took
}

// percentile returns the q-quantile of ds (sorted in place).
func percentile(ds []time.Duration, q float64) time.Duration {
	slices.Sort(ds)
	return ds[int(q*float64(len(ds)-1))].Round(100 * time.Microsecond)
}

// TestRateLimit_ConcurrentRedis is B-09 against Redis: 200 concurrent sends
// from one user under a limit of 10 per minute pass exactly 10 times, the
// rest get 429 with Retry-After; 200 users sending once each at the same
// moment all pass, without queueing behind one another.
func TestRateLimit_ConcurrentRedis(t *testing.T) {
	rs := openRedis(t, storetest.StartRedis(t), storetest.UniqueName(t))
	e := apitest.StartWith(t, apitest.Options{Shared: rs, Config: api.Config{
		SendLimit:   api.Limit{Count: 10, Window: time.Minute},
		SendIPLimit: api.Limit{Count: 100_000, Window: time.Minute}, // every client here is 127.0.0.1
	}})
	alice := e.SignUp(t, "alice")
	room := createRoom(t, e, alice.Token, "Busy", "public").ID
	path := "/api/chat/rooms/" + room + "/send_message/"

	statuses, retry, _ := burst(t, e, path, slices.Repeat([]string{alice.Token}, 200))
	if ok, limited := count(statuses, http.StatusCreated), count(statuses, http.StatusTooManyRequests); ok != 10 || limited != 190 {
		t.Fatalf("one user, 200 at once: %d accepted, %d limited; want 10 and 190", ok, limited)
	}
	for i, s := range statuses {
		if n, err := strconv.Atoi(retry[i]); s == http.StatusTooManyRequests && (err != nil || n < 1 || n > 60) {
			t.Fatalf("429 with Retry-After %q, want 1..60 seconds", retry[i])
		}
	}
	assertNothingStoredIn(t, e, alice.Token, room, 10)

	tokens := make([]string, 200)
	for i := range tokens {
		tokens[i] = e.Token(t, parley.UserID(fmt.Sprintf("user%03d", i)), false)
	}
	joins, _, _ := burst(t, e, "/api/chat/rooms/"+room+"/join/", tokens)
	if n := count(joins, http.StatusOK); n != len(tokens) {
		t.Fatalf("%d of %d joins passed", n, len(tokens))
	}
	start := time.Now()
	statuses, _, took := burst(t, e, path, tokens)
	wall := time.Since(start)
	if n := count(statuses, http.StatusCreated); n != len(tokens) {
		t.Fatalf("200 users, one send each: %d accepted, want all", n)
	}
	t.Logf("200 users x 1 send at once, through HTTP, the room and the store: all accepted in %v; latency p50 %v, p99 %v",
		wall.Round(time.Millisecond), percentile(took, 0.5), percentile(took, 0.99))
	logLimiterLatency(t, rs)
}

// logLimiterLatency measures the Redis limiter alone: 200 concurrent calls
// on distinct keys (they must not serialise) and on one key.
func logLimiterLatency(t *testing.T, l persistence.Limiter) {
	t.Helper()
	for _, same := range []bool{false, true} {
		took := make([]time.Duration, 200)
		var wg sync.WaitGroup
		start := time.Now()
		for i := range took {
			wg.Go(func() {
				key := fmt.Sprint("bench:", i)
				if same {
					key = "bench:one"
				}
				t0 := time.Now()
				if _, err := l.Allow(context.Background(), key, persistence.Limit{Count: 10, Window: time.Minute}); err != nil {
					t.Error(err)
				}
				took[i] = time.Since(t0)
			})
		}
		wg.Wait()
		t.Logf("limiter alone, 200 concurrent Allow calls (one key: %v): all done in %v; p50 %v, p99 %v",
			same, time.Since(start).Round(100*time.Microsecond), percentile(took, 0.5), percentile(took, 0.99))
	}
}

// TestRateLimit_PerAction: each action's limit, per user and per client IP,
// answers 429 with Retry-After once spent, and WebSocket sends count with
// REST ones.
func TestRateLimit_PerAction(t *testing.T) {
	two := api.Limit{Count: 2, Window: time.Minute}
	e := apitest.StartWith(t, apitest.Options{Config: api.Config{
		RoomLimit: two, JoinLimit: two, SendIPLimit: api.Limit{Count: 3, Window: time.Minute},
		RegisterLimit: api.Limit{Count: 3, Window: time.Minute}, LoginIPLimit: two,
	}})
	limited := func(r *apitest.Response) {
		t.Helper()
		r.Expect(t, http.StatusTooManyRequests)
		if r.Header.Get("Retry-After") == "" || r.Problem(t).Code != "rate_limited" {
			t.Errorf("429 without Retry-After or code: %v %s", r.Header, r.Body)
		}
	}
	alice, bob := e.SignUp(t, "alice"), e.SignUp(t, "bob") // two registrations and two logins from this IP
	e.Register(t, "carol", "long enough").Expect(t, http.StatusCreated)
	limited(e.Register(t, "dave", "long enough"))
	limited(e.Do(t, http.MethodPost, "/api/auth/login", "", map[string]string{"username": "alice", "password": alice.Password}))

	rooms := []string{createRoom(t, e, alice.Token, "one", "public").ID, createRoom(t, e, alice.Token, "two", "public").ID}
	limited(e.Do(t, http.MethodPost, "/api/chat/rooms/", alice.Token, map[string]string{"name": "three"}))
	createRoom(t, e, bob.Token, "bob's", "public") // per user: bob has a limit of his own
	e.Do(t, http.MethodPost, "/api/chat/rooms/"+rooms[0]+"/join/", bob.Token, nil).Expect(t, http.StatusOK)
	e.Do(t, http.MethodPost, "/api/chat/rooms/"+rooms[1]+"/join/", bob.Token, nil).Expect(t, http.StatusOK)
	limited(e.Do(t, http.MethodPost, "/api/chat/rooms/"+rooms[0]+"/join/", bob.Token, nil)) // counted before the room answers

	// Sends per IP: two users from one address share its 3 per minute, over
	// REST and WebSocket alike.
	send(t, e, alice.Token, rooms[0], "one")
	send(t, e, bob.Token, rooms[0], "two")
	w := e.MustDialWS(t, bob.Token)
	if ev := wsSend(t, w, 1, rooms[0], "three"); ev["type"] != "reply" {
		t.Fatalf("third send = %v, want a reply", ev)
	}
	if ev := wsSend(t, w, 2, rooms[0], "four"); ev["type"] != "error" || ev["code"] != "rate_limited" {
		t.Errorf("fourth send over WebSocket = %v, want rate_limited", ev)
	}
	limited(e.Do(t, http.MethodPost, "/api/chat/rooms/"+rooms[0]+"/send_message/", alice.Token, map[string]string{"body": "five"}))
}

func TestLimit_Text(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want api.Limit
	}{
		{"600/1m", api.Limit{Count: 600, Window: time.Minute}},
		{"5/30s", api.Limit{Count: 5, Window: 30 * time.Second}},
		{"100/1h", api.Limit{Count: 100, Window: time.Hour}},
		{"7/90s", api.Limit{Count: 7, Window: 90 * time.Second}},
		{"1/24h", api.Limit{Count: 1, Window: 24 * time.Hour}},
	} {
		var l api.Limit
		if err := l.UnmarshalText([]byte(tc.in)); err != nil || l != tc.want {
			t.Errorf("UnmarshalText(%q) = %+v, %v; want %+v", tc.in, l, err, tc.want)
		}
		var again api.Limit
		if err := again.UnmarshalText([]byte(l.String())); err != nil || again != l {
			t.Errorf("%q does not round-trip: %q gives %+v, %v", tc.in, l.String(), again, err)
		}
	}
	for _, bad := range []string{"", "600", "600/", "/1m", "0/1m", "-1/1m", "+1/1m", "1e3/1m", "5/0", "5/999ms", "5/25h", "5/ 1m", "x/1m", "2000000000/1m"} {
		var l api.Limit
		if err := l.UnmarshalText([]byte(bad)); err == nil {
			t.Errorf("UnmarshalText(%q) = %+v, want an error", bad, l)
		}
	}
}
