package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/parleychat/parley"

	"github.com/parleychat/parley/api"
	"github.com/parleychat/parley/api/apitest"
	"github.com/parleychat/parley/api/wsproto"
)

type tokenPair struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
}

func TestAuth_RegisterAndLogin(t *testing.T) {
	e := apitest.Start(t)
	var u wsproto.User
	e.Do(t, http.MethodPost, "/api/auth/register", "", map[string]string{
		"username": "Alice", "password": "long enough", "display_name": "  Alice A.  ",
	}).Expect(t, http.StatusCreated).JSON(t, &u)
	if u.Username != "alice" || u.DisplayName != "Alice A." || u.ID == "" || u.IsAdmin {
		t.Fatalf("registered = %+v", u)
	}
	if strings.Contains(string(e.Register(t, "bob", "long enough").Body), "password") {
		t.Error("registration response mentions the password")
	}
	p := e.Register(t, "ALICE", "another one").Expect(t, http.StatusConflict).Problem(t)
	if p.Code != "username_taken" {
		t.Errorf("duplicate username code = %q", p.Code)
	}
	e.Register(t, "al", "long enough").Expect(t, http.StatusBadRequest)
	e.Register(t, "alice2", "short").Expect(t, http.StatusBadRequest)
	e.Register(t, "al ice", "long enough").Expect(t, http.StatusBadRequest)

	resp := e.Do(t, http.MethodPost, "/api/auth/login", "", map[string]string{"username": "alice", "password": "long enough"}).
		Expect(t, http.StatusOK)
	var tok tokenPair
	resp.JSON(t, &tok)
	if tok.TokenType != "Bearer" || tok.ExpiresIn != 900 || tok.AccessToken == "" || tok.RefreshToken == "" {
		t.Fatalf("login = %+v", tok)
	}
	checkCookies(t, resp.Header.Values("Set-Cookie"))

	var me wsproto.User
	e.Do(t, http.MethodGet, "/api/auth/me", tok.AccessToken, nil).Expect(t, http.StatusOK).JSON(t, &me)
	if me.ID != u.ID {
		t.Errorf("me = %+v, want %s", me, u.ID)
	}

	// Wrong password and unknown user are indistinguishable.
	wrong := e.Do(t, http.MethodPost, "/api/auth/login", "", map[string]string{"username": "alice", "password": "wrong password"}).
		Expect(t, http.StatusUnauthorized).Problem(t)
	unknown := e.Do(t, http.MethodPost, "/api/auth/login", "", map[string]string{"username": "nobody", "password": "wrong password"}).
		Expect(t, http.StatusUnauthorized).Problem(t)
	wrong.RequestID, unknown.RequestID = "", ""
	if wrong != unknown || wrong.Code != "bad_credentials" {
		t.Errorf("wrong password %+v vs unknown user %+v: must be identical bad_credentials", wrong, unknown)
	}
}

func checkCookies(t *testing.T, cookies []string) {
	t.Helper()
	if len(cookies) != 3 {
		t.Fatalf("Set-Cookie = %q, want access, refresh and csrf", cookies)
	}
	for _, c := range cookies {
		for _, attr := range []string{"HttpOnly", "SameSite=Lax", "Secure", "max-age="} {
			if attr == "HttpOnly" && strings.HasPrefix(c, "parley_csrf=") { // the page's script reads it
				continue
			}
			if !strings.Contains(strings.ToLower(c), strings.ToLower(attr)) {
				t.Errorf("cookie %q lacks %s", c, attr)
			}
		}
		if strings.HasPrefix(c, "parley_refresh=") && !strings.Contains(c, "path=/api/auth") {
			t.Errorf("refresh cookie %q is not scoped to /api/auth", c)
		}
	}
}

func TestAuth_DevModeCookies(t *testing.T) {
	e := apitest.StartWith(t, apitest.Options{Config: api.Config{DevMode: true}})
	e.SignUp(t, "alice")
	resp := e.Do(t, http.MethodPost, "/api/auth/login", "", map[string]string{"username": "alice", "password": "password-alice"})
	for _, c := range resp.Expect(t, http.StatusOK).Header.Values("Set-Cookie") {
		if strings.Contains(strings.ToLower(c), "secure") {
			t.Errorf("dev mode cookie %q is Secure", c)
		}
	}
}

// TestAuth_RefreshRotation: a refresh token works once; replaying an old one
// revokes the whole family, including the access tokens it produced.
func TestAuth_RefreshRotation(t *testing.T) {
	e := apitest.Start(t)
	e.SignUp(t, "alice")
	var first tokenPair
	e.Do(t, http.MethodPost, "/api/auth/login", "", map[string]string{"username": "alice", "password": "password-alice"}).
		Expect(t, http.StatusOK).JSON(t, &first)

	var second tokenPair
	e.Do(t, http.MethodPost, "/api/auth/refresh", "", map[string]string{"refresh_token": first.RefreshToken}).
		Expect(t, http.StatusOK).JSON(t, &second)
	if second.RefreshToken == first.RefreshToken || second.AccessToken == "" {
		t.Fatal("refresh did not rotate the token")
	}
	e.Do(t, http.MethodGet, "/api/auth/me", second.AccessToken, nil).Expect(t, http.StatusOK)

	// The access token is not a refresh token.
	e.Do(t, http.MethodPost, "/api/auth/refresh", "", map[string]string{"refresh_token": second.AccessToken}).
		Expect(t, http.StatusUnauthorized)
	// Replay of the first refresh token: refused, and the family is revoked.
	e.Do(t, http.MethodPost, "/api/auth/refresh", "", map[string]string{"refresh_token": first.RefreshToken}).
		Expect(t, http.StatusUnauthorized)
	e.Do(t, http.MethodPost, "/api/auth/refresh", "", map[string]string{"refresh_token": second.RefreshToken}).
		Expect(t, http.StatusUnauthorized)
	e.Do(t, http.MethodGet, "/api/auth/me", second.AccessToken, nil).Expect(t, http.StatusUnauthorized)
}

func TestAuth_RefreshCookie(t *testing.T) {
	e := apitest.Start(t)
	e.SignUp(t, "alice")
	login := e.Do(t, http.MethodPost, "/api/auth/login", "", map[string]string{"username": "alice", "password": "password-alice"})
	refresh := cookieValue(login.Expect(t, http.StatusOK).Header.Values("Set-Cookie"), "parley_refresh")
	req := e.NewRequest(t, http.MethodPost, "/api/auth/refresh", nil)
	req.Header.Set("Cookie", "parley_refresh="+refresh)
	e.Send(t, req).Expect(t, http.StatusOK)

	// A cross-site page cannot refresh with the cookie.
	req = e.NewRequest(t, http.MethodPost, "/api/auth/refresh", nil)
	req.Header.Set("Cookie", "parley_refresh="+refresh)
	req.Header.Set("Origin", "https://evil.example")
	e.Send(t, req).Expect(t, http.StatusForbidden)
}

func TestAuth_Logout(t *testing.T) {
	e := apitest.Start(t)
	e.SignUp(t, "alice")
	var tok tokenPair
	e.Do(t, http.MethodPost, "/api/auth/login", "", map[string]string{"username": "alice", "password": "password-alice"}).
		Expect(t, http.StatusOK).JSON(t, &tok)
	other := e.Login(t, "alice", "password-alice") // a second session stays logged in
	resp := e.Do(t, http.MethodPost, "/api/auth/logout", tok.AccessToken, nil).Expect(t, http.StatusNoContent)
	if len(resp.Header.Values("Set-Cookie")) != 3 {
		t.Errorf("logout cookies = %q, want access, refresh and csrf cleared", resp.Header.Values("Set-Cookie"))
	}
	e.Do(t, http.MethodGet, "/api/auth/me", tok.AccessToken, nil).Expect(t, http.StatusUnauthorized)
	e.Do(t, http.MethodPost, "/api/auth/refresh", "", map[string]string{"refresh_token": tok.RefreshToken}).
		Expect(t, http.StatusUnauthorized)
	e.Do(t, http.MethodGet, "/api/auth/me", other, nil).Expect(t, http.StatusOK)
	e.Do(t, http.MethodPost, "/api/auth/logout", "", nil).Expect(t, http.StatusNoContent) // idempotent
}

// TestAuth_CookieCSRF: cookie-authenticated writes from another site are
// refused even with the CSRF token (the same-origin check stays as a second
// line); the same request with a Bearer token, or from this site, works.
func TestAuth_CookieCSRF(t *testing.T) {
	e := apitest.Start(t)
	alice := e.SignUp(t, "alice")
	room := createRoom(t, e, alice.Token, "Cookies", "public")
	csrf := csrfFor(t, e, alice)
	post := func(origin, referer, fetchSite string, bearer bool) int {
		req := e.NewRequest(t, http.MethodPost, "/api/chat/rooms/"+room.ID+"/send_message/", strings.NewReader(`{"body":"hi"}`))
		req.Header.Set("Content-Type", "application/json")
		if bearer {
			req.Header.Set("Authorization", "Bearer "+alice.Token)
		} else {
			req.Header.Set("Cookie", "parley_access="+csrf.access+"; parley_csrf="+csrf.token)
			req.Header.Set("X-CSRF-Token", csrf.token)
		}
		for k, v := range map[string]string{"Origin": origin, "Referer": referer, "Sec-Fetch-Site": fetchSite} {
			if v != "" {
				req.Header.Set(k, v)
			}
		}
		return e.Send(t, req).Status
	}
	for _, tc := range []struct {
		name                       string
		origin, referer, fetchSite string
		bearer                     bool
		want                       int
	}{
		{"ForeignOrigin", "https://evil.example", "", "", false, 403},
		{"NullOrigin", "null", "", "", false, 403},
		{"ForeignReferer", "", "https://evil.example/page", "", false, 403},
		{"CrossSiteFetch", "", "", "cross-site", false, 403},
		{"SameOrigin", e.URL, "", "same-origin", false, 201},
		{"NoBrowserHeaders", "", "", "", false, 201},
		{"BearerFromAnywhere", "https://evil.example", "", "cross-site", true, 201},
	} {
		if got := post(tc.origin, tc.referer, tc.fetchSite, tc.bearer); got != tc.want {
			t.Errorf("%s: status = %d, want %d", tc.name, got, tc.want)
		}
	}
	var detail wsproto.Room
	e.Do(t, http.MethodGet, "/api/chat/rooms/"+room.ID+"/", alice.Token, nil).JSON(t, &detail)
	if *detail.LastSeq != 3 {
		t.Errorf("stored messages = %d, want 3 (the refused requests stored nothing)", *detail.LastSeq)
	}
}

func TestAuth_Required(t *testing.T) {
	e := apitest.Start(t)
	for _, path := range []string{"/api/auth/me", "/api/chat/rooms/", "/api/chat/rooms/abc/messages/"} {
		resp := e.Do(t, http.MethodGet, path, "", nil).Expect(t, http.StatusUnauthorized)
		if p := resp.Problem(t); p.Code != "unauthorized" || resp.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: problem %+v, WWW-Authenticate %q", path, p, resp.Header.Get("WWW-Authenticate"))
		}
	}
	expired, err := api.MintAccessToken(apitest.Secret, "", parley.Principal{User: "u1"}, -time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if p := e.Do(t, http.MethodGet, "/api/auth/me", expired, nil).Expect(t, http.StatusUnauthorized).Problem(t); p.Code != "token_expired" {
		t.Errorf("expired token code = %q, want token_expired", p.Code)
	}
}

func cookieValue(setCookies []string, name string) string {
	for _, c := range setCookies {
		if v, ok := strings.CutPrefix(c, name+"="); ok {
			v, _, _ = strings.Cut(v, ";")
			return v
		}
	}
	return ""
}
