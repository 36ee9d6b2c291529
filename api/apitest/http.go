package apitest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/api"
)

// Response is one finished HTTP exchange.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Expect fails t unless the status is want, and returns r for chaining.
func (r *Response) Expect(t testing.TB, want int) *Response {
	t.Helper()
	if r.Status != want {
		t.Fatalf("status = %d, want %d; body: %s", r.Status, want, r.Body)
	}
	return r
}

// JSON decodes the body into v, failing t if it is not JSON.
func (r *Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %q: %v", r.Body, err)
	}
}

// Problem decodes a problem JSON body, failing t unless the response is one.
func (r *Response) Problem(t testing.TB) api.Problem {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		t.Fatalf("Content-Type = %q, want application/problem+json; status %d, body %s", ct, r.Status, r.Body)
	}
	var p api.Problem
	r.JSON(t, &p)
	if p.Status != r.Status || p.Code == "" {
		t.Fatalf("problem %+v does not match status %d", p, r.Status)
	}
	return p
}

// Do sends a request to path (e.g. "/api/chat/rooms/") with token as Bearer
// ("" sends none). body nil sends nothing; []byte and string are sent as
// they are; anything else is marshalled. Bodies are declared JSON.
func (e *Env) Do(t testing.TB, method, path, token string, body any) *Response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatalf("encode body: %v", err)
		}
		rd = bytes.NewReader(data)
	}
	req := e.NewRequest(t, method, path, rd)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return e.Send(t, req)
}

// NewRequest builds a request to path on the Env's server.
func (e *Env) NewRequest(t testing.TB, method, path string, body io.Reader) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, e.URL+path, body)
	if err != nil {
		t.Fatalf("new request %s %s: %v", method, path, err)
	}
	return req
}

// Send sends req and reads the whole response.
func (e *Env) Send(t testing.TB, req *http.Request) *Response {
	t.Helper()
	resp, err := e.Client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", req.Method, req.URL.Path, err)
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: data}
}

// User is a signed-up test user with a live access token.
type User struct {
	ID       parley.UserID
	Username string
	Password string
	Token    string
}

// SignUp registers username (password "password-<username>") and logs in.
func (e *Env) SignUp(t testing.TB, username string) User {
	t.Helper()
	u := User{Username: username, Password: "password-" + username}
	var created struct {
		ID string `json:"id"`
	}
	e.Register(t, u.Username, u.Password).Expect(t, http.StatusCreated).JSON(t, &created)
	u.ID = parley.UserID(created.ID)
	u.Token = e.Login(t, u.Username, u.Password)
	return u
}

// Register posts a registration and returns the response as it is.
func (e *Env) Register(t testing.TB, username, password string) *Response {
	t.Helper()
	return e.Do(t, http.MethodPost, "/api/auth/register", "", map[string]string{
		"username": username, "password": password,
	})
}

// Login logs in and returns the access token, failing t otherwise.
func (e *Env) Login(t testing.TB, username, password string) string {
	t.Helper()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	e.Do(t, http.MethodPost, "/api/auth/login", "", map[string]string{
		"username": username, "password": password,
	}).Expect(t, http.StatusOK).JSON(t, &tok)
	return tok.AccessToken
}
