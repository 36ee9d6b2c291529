package api_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/parleychat/parley/api"
	"github.com/parleychat/parley/api/apitest"
)

type health struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
}

func TestHealth(t *testing.T) {
	e := apitest.Start(t)
	var h health
	e.Do(t, http.MethodGet, "/healthz", "", nil).Expect(t, http.StatusOK).JSON(t, &h)
	e.Do(t, http.MethodGet, "/readyz", "", nil).Expect(t, http.StatusOK).JSON(t, &h)
	if h.Checks["store"] != "ok" || h.Checks["shared"] != "ok" || h.Checks["node"] != "ok" {
		t.Errorf("readyz = %+v", h)
	}
	if err := e.Shared.Close(); err != nil { // the shared state goes away
		t.Fatal(err)
	}
	e.Do(t, http.MethodGet, "/readyz", "", nil).Expect(t, http.StatusServiceUnavailable).JSON(t, &h)
	if h.Status != "unavailable" || h.Checks["shared"] != "unavailable" || h.Checks["store"] != "ok" {
		t.Errorf("readyz without shared state = %+v", h)
	}
	e.Do(t, http.MethodGet, "/healthz", "", nil).Expect(t, http.StatusOK)
	// Limits fail closed: logins need the shared state.
	p := e.Do(t, http.MethodPost, "/api/auth/login", "", map[string]string{"username": "x", "password": "password"}).
		Expect(t, http.StatusServiceUnavailable).Problem(t)
	if p.Code != "unavailable" || p.Detail != "" {
		t.Errorf("problem = %+v, want a bare unavailable", p)
	}
}

func TestLoginLimit(t *testing.T) {
	e := apitest.StartWith(t, apitest.Options{Config: api.Config{LoginLimit: api.Limit{Count: 3}}})
	e.Register(t, "alice", "long enough").Expect(t, http.StatusCreated)
	login := func(password string) *apitest.Response {
		return e.Do(t, http.MethodPost, "/api/auth/login", "", map[string]string{"username": "alice", "password": password})
	}
	login("wrong one").Expect(t, http.StatusUnauthorized)
	login("wrong two").Expect(t, http.StatusUnauthorized)
	login("long enough").Expect(t, http.StatusOK)
	resp := login("long enough").Expect(t, http.StatusTooManyRequests) // right password or not
	if resp.Header.Get("Retry-After") == "" || resp.Problem(t).Code != "rate_limited" {
		t.Errorf("429 without Retry-After or code: %v %s", resp.Header, resp.Body)
	}
	// The per-IP limit counts the socket's peer: X-Forwarded-For from an
	// untrusted client changes nothing, whatever the username.
	req := e.NewRequest(t, http.MethodPost, "/api/auth/login", strings.NewReader(`{"username":"bob","password":"whatever1"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-For", "203.0.113.7")
	e.Send(t, req).Expect(t, http.StatusTooManyRequests)
}

// TestSendLimit: exactly Count of many concurrent sends pass; the rest get 429.
func TestSendLimit(t *testing.T) {
	e := apitest.StartWith(t, apitest.Options{Config: api.Config{SendLimit: api.Limit{Count: 10}}})
	alice := e.SignUp(t, "alice")
	room := createRoom(t, e, alice.Token, "Limited", "public")
	statuses := make([]int, 40)
	var wg sync.WaitGroup
	for i := range statuses {
		wg.Go(func() {
			statuses[i] = e.Do(t, http.MethodPost, "/api/chat/rooms/"+room.ID+"/send_message/", alice.Token,
				map[string]string{"body": fmt.Sprint("m", i)}).Status
		})
	}
	wg.Wait()
	if ok, limited := count(statuses, 201), count(statuses, 429); ok != 10 || limited != 30 {
		t.Errorf("201s = %d, 429s = %d; want 10 and 30 (%v)", ok, limited, statuses)
	}
	assertNothingStoredIn(t, e, alice.Token, room.ID, 10)
}

func count(xs []int, v int) int {
	n := 0
	for _, x := range xs {
		if x == v {
			n++
		}
	}
	return n
}

// TestConcurrentSenders: REST sends from several users at once get one
// gapless order, and history shows exactly the acked messages.
func TestConcurrentSenders(t *testing.T) {
	e := apitest.Start(t)
	owner := e.SignUp(t, "owner")
	room := createRoom(t, e, owner.Token, "Busy", "public")
	users := []apitest.User{owner}
	for i := range 4 {
		u := e.SignUp(t, fmt.Sprintf("user%d", i))
		e.Do(t, http.MethodPost, "/api/chat/rooms/"+room.ID+"/join/", u.Token, nil).Expect(t, http.StatusOK)
		users = append(users, u)
	}
	const perUser = 20
	var mu sync.Mutex
	var acked []uint64
	var wg sync.WaitGroup
	for _, u := range users {
		wg.Go(func() {
			for i := range perUser {
				m := send(t, e, u.Token, room.ID, fmt.Sprintf("%s %d", u.Username, i))
				mu.Lock()
				acked = append(acked, m.Seq)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	slices.Sort(acked)
	for i, s := range acked {
		if s != uint64(i+1) {
			t.Fatalf("acked seqs are not 1..%d without gaps: %v", len(acked), acked)
		}
	}
	var page messagePage
	e.Do(t, http.MethodGet, "/api/chat/rooms/"+room.ID+"/messages/?limit=200", owner.Token, nil).Expect(t, http.StatusOK).JSON(t, &page)
	if len(page.Results) != len(acked) || page.Results[0].Seq != uint64(len(acked)) {
		t.Errorf("history has %d messages, newest %d; want %d", len(page.Results), page.Results[0].Seq, len(acked))
	}
}

// TestAckSurvivesRestart: an acked REST send is in history after the whole
// stack stops and starts again on the same data dir.
func TestAckSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	e := apitest.StartWith(t, apitest.Options{Dir: dir})
	alice := e.SignUp(t, "alice")
	room := createRoom(t, e, alice.Token, "Durable", "public")
	acked := send(t, e, alice.Token, room.ID, "remember me")
	e.Stop(t)

	e2 := apitest.StartWith(t, apitest.Options{Dir: dir})
	token := e2.Login(t, "alice", alice.Password)
	var page messagePage
	e2.Do(t, http.MethodGet, "/api/chat/rooms/"+room.ID+"/messages/", token, nil).Expect(t, http.StatusOK).JSON(t, &page)
	if len(page.Results) != 1 || page.Results[0].ID != acked.ID || page.Results[0].Body != "remember me" {
		t.Fatalf("history after restart = %+v, want the acked message", page.Results)
	}
	next := send(t, e2, token, room.ID, "and me")
	if next.Seq != 2 {
		t.Errorf("seq after restart = %d, want 2", next.Seq)
	}
}
