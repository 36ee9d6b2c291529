package api_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/fasthttp/websocket"
	"github.com/parleychat/parley"
	"github.com/parleychat/parley/api"
	"github.com/parleychat/parley/api/apitest"
	"github.com/parleychat/parley/api/wsproto"
)

const evil = "https://evil.example"

// browserSession is a logged-in browser: its cookies and its CSRF token.
type browserSession struct {
	access, refresh, csrf string
}

// cookies returns the Cookie header the browser sends to the API.
func (b browserSession) cookies() string {
	return "parley_access=" + b.access + "; parley_csrf=" + b.csrf
}

// browserLogin logs u in the way a browser does and keeps the cookies.
func browserLogin(t *testing.T, e *apitest.Env, u apitest.User) browserSession {
	t.Helper()
	resp := e.Do(t, http.MethodPost, "/api/auth/login", "", map[string]string{"username": u.Username, "password": u.Password}).
		Expect(t, http.StatusOK)
	set := resp.Header.Values("Set-Cookie")
	b := browserSession{cookieValue(set, "parley_access"), cookieValue(set, "parley_refresh"), cookieValue(set, "parley_csrf")}
	if b.access == "" || b.refresh == "" || b.csrf == "" {
		t.Fatalf("login cookies = %q", set)
	}
	return b
}

// csrfFor is browserLogin for tests that need only the access cookie and token.
func csrfFor(t *testing.T, e *apitest.Env, u apitest.User) struct{ access, token string } {
	t.Helper()
	b := browserLogin(t, e, u)
	return struct{ access, token string }{b.access, b.csrf}
}

// TestBrowser_SessionFixation is B-03: the server never adopts a session id
// the client chose. Login issues fresh tokens whatever cookies came with it,
// and a chosen id used as a cookie is anonymous.
func TestBrowser_SessionFixation(t *testing.T) {
	e := apitest.Start(t)
	alice := e.SignUp(t, "alice")
	const chosen = "attacker-chosen-123"
	req := e.NewRequest(t, http.MethodPost, "/api/auth/login", strings.NewReader(`{"username":"alice","password":"password-alice"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Cookie", "session_id="+chosen+"; parley_access="+chosen+"; parley_refresh="+chosen+"; parley_csrf="+chosen)
	set := e.Send(t, req).Expect(t, http.StatusOK).Header.Values("Set-Cookie")
	for _, name := range []string{"parley_access", "parley_refresh", "parley_csrf"} {
		if v := cookieValue(set, name); v == "" || strings.Contains(v, chosen) || len(v) < 22 { // 22 base64 chars = 128 bits
			t.Errorf("login set %s = %q: not a fresh server-made value", name, v)
		}
	}
	for _, v := range set {
		if strings.HasPrefix(v, "session_id=") {
			t.Errorf("login echoed the client's session id: %q", v)
		}
	}
	// The chosen id, from another client: anonymous everywhere.
	for _, cookie := range []string{"session_id=" + chosen, "parley_access=" + chosen} {
		req := e.NewRequest(t, http.MethodGet, "/api/auth/me", nil)
		req.Header.Set("Cookie", cookie)
		e.Send(t, req).Expect(t, http.StatusUnauthorized)
	}
	// Two logins never share an id.
	if a, b := browserLogin(t, e, alice), browserLogin(t, e, alice); a.access == b.access || a.csrf == b.csrf || a.refresh == b.refresh {
		t.Error("two logins got the same session tokens")
	}
}

// TestBrowser_CSRF is B-02: a cross-site "simple" request riding on the
// cookie stores nothing, and only the session's own CSRF token, sent both as
// cookie and header, unlocks cookie-authenticated writes.
func TestBrowser_CSRF(t *testing.T) {
	e := apitest.Start(t)
	alice, bob := e.SignUp(t, "alice"), e.SignUp(t, "bob")
	room := createRoom(t, e, alice.Token, "Cookies", "public").ID
	a, b := browserLogin(t, e, alice), browserLogin(t, e, bob)
	post := func(contentType, cookie, token string, headers map[string]string) *apitest.Response {
		req := e.NewRequest(t, http.MethodPost, "/api/chat/rooms/"+room+"/send_message/", strings.NewReader(`{"body":"forged"}`))
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("Cookie", cookie)
		if token != "" {
			req.Header.Set("X-CSRF-Token", token)
		}
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		return e.Send(t, req)
	}
	const js = "application/json"
	for _, tc := range []struct {
		name, contentType, cookie, token string
		headers                          map[string]string
		want                             int
	}{
		{"TextPlainFromEvil", "text/plain", "parley_access=" + a.access, "", map[string]string{"Origin": evil}, 403},
		{"TextPlainForeignReferer", "text/plain", "parley_access=" + a.access, "", map[string]string{"Referer": evil + "/page"}, 403},
		{"JSONNoToken", js, "parley_access=" + a.access, "", nil, 403},
		{"JSONCookieTokenOnly", js, a.cookies(), "", nil, 403},
		{"HeaderTokenWithoutCookie", js, "parley_access=" + a.access, a.csrf, nil, 403},
		{"OtherSessionsToken", js, "parley_access=" + a.access + "; parley_csrf=" + b.csrf, b.csrf, nil, 403},
		{"PlantedToken", js, "parley_access=" + a.access + "; parley_csrf=planted", "planted", nil, 403},
		{"ValidTokenFromEvil", js, a.cookies(), a.csrf, map[string]string{"Origin": evil}, 403},
	} {
		resp := post(tc.contentType, tc.cookie, tc.token, tc.headers)
		if resp.Status != tc.want {
			t.Errorf("%s: status %d, want %d; body %s", tc.name, resp.Status, tc.want, resp.Body)
			continue
		}
		if p := resp.Problem(t); p.Code != "forbidden" {
			t.Errorf("%s: code %q, want forbidden", tc.name, p.Code)
		}
	}
	assertNothingStoredIn(t, e, alice.Token, room, 0)

	// The page's own request, and a Bearer request from anywhere, pass.
	post(js, a.cookies(), a.csrf, map[string]string{"Origin": e.URL}).Expect(t, http.StatusCreated)
	post(js, a.cookies(), a.csrf, nil).Expect(t, http.StatusCreated)
	post(js, "", "", map[string]string{"Authorization": "Bearer " + alice.Token, "Origin": evil}).Expect(t, http.StatusCreated)
	// Other methods are guarded the same way: the room survives a forged DELETE.
	req := e.NewRequest(t, http.MethodDelete, "/api/chat/rooms/"+room+"/", nil)
	req.Header.Set("Cookie", "parley_access="+a.access)
	e.Send(t, req).Expect(t, http.StatusForbidden)
	e.Do(t, http.MethodGet, "/api/chat/rooms/"+room+"/", alice.Token, nil).Expect(t, http.StatusOK)
	// So is the WebSocket ticket, which would let a cookie become a socket.
	req = e.NewRequest(t, http.MethodPost, "/api/chat/ws-ticket", nil)
	req.Header.Set("Cookie", "parley_access="+a.access)
	e.Send(t, req).Expect(t, http.StatusForbidden)
	// Reads need no token.
	req = e.NewRequest(t, http.MethodGet, "/api/chat/rooms/"+room+"/messages/", nil)
	req.Header.Set("Cookie", "parley_access="+a.access)
	e.Send(t, req).Expect(t, http.StatusOK)
}

// TestBrowser_CSRFFollowsSession: refresh issues a new token with the new
// access cookie (the old one stops working with it), logout clears it.
func TestBrowser_CSRFFollowsSession(t *testing.T) {
	e := apitest.Start(t)
	alice := e.SignUp(t, "alice")
	a := browserLogin(t, e, alice)
	req := e.NewRequest(t, http.MethodPost, "/api/auth/refresh", nil)
	req.Header.Set("Cookie", a.cookies()+"; parley_refresh="+a.refresh)
	req.Header.Set("X-CSRF-Token", a.csrf)
	set := e.Send(t, req).Expect(t, http.StatusOK).Header.Values("Set-Cookie")
	n := browserSession{cookieValue(set, "parley_access"), cookieValue(set, "parley_refresh"), cookieValue(set, "parley_csrf")}
	if n.csrf == "" || n.csrf == a.csrf {
		t.Fatalf("refresh did not issue a new CSRF token: %q", set)
	}
	create := func(cookie, token string) int {
		req := e.NewRequest(t, http.MethodPost, "/api/chat/rooms/", strings.NewReader(`{"name":"x"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Cookie", cookie)
		req.Header.Set("X-CSRF-Token", token)
		return e.Send(t, req).Status
	}
	if got := create("parley_access="+n.access+"; parley_csrf="+a.csrf, a.csrf); got != http.StatusForbidden {
		t.Errorf("old token with the new session: %d, want 403", got)
	}
	if got := create(n.cookies(), n.csrf); got != http.StatusCreated {
		t.Errorf("new token with the new session: %d, want 201", got)
	}
	req = e.NewRequest(t, http.MethodPost, "/api/auth/logout", nil)
	req.Header.Set("Cookie", n.cookies()) // logout needs no token: it must always work
	set = e.Send(t, req).Expect(t, http.StatusNoContent).Header.Values("Set-Cookie")
	if v := cookieValue(set, "parley_csrf"); v != "" || !strings.Contains(strings.Join(set, "\n"), "parley_csrf=;") {
		t.Errorf("logout left the CSRF cookie: %q", set)
	}
}

// TestBrowser_CORS is B-01: only allow-listed origins get CORS headers,
// never "*" and never an echo of an arbitrary origin with credentials.
func TestBrowser_CORS(t *testing.T) {
	const app = "https://app.example"
	e := apitest.StartWith(t, apitest.Options{Config: api.Config{AllowedOrigins: []string{app}}})
	alice := e.SignUp(t, "alice")
	a := browserLogin(t, e, alice)
	send := func(method, origin string) *apitest.Response {
		req := e.NewRequest(t, method, "/api/chat/rooms/", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Cookie", a.cookies())
		if method == http.MethodOptions {
			req.Header.Set("Access-Control-Request-Method", "POST")
			req.Header.Set("Access-Control-Request-Headers", "content-type, x-csrf-token")
		}
		return e.Send(t, req)
	}
	for _, origin := range []string{evil, "null", app + ".evil.example", "https://evil.example/" + app, "http://app.example", "https://app.example:8443"} {
		for _, method := range []string{http.MethodOptions, http.MethodGet} {
			resp := send(method, origin)
			if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "" {
				t.Errorf("%s from %s: Allow-Origin %q", method, origin, got)
			}
			if got := resp.Header.Get("Access-Control-Allow-Credentials"); got != "" {
				t.Errorf("%s from %s: Allow-Credentials %q", method, origin, got)
			}
			if method == http.MethodOptions && resp.Status != http.StatusForbidden {
				t.Errorf("preflight from %s: status %d, want 403", origin, resp.Status)
			}
		}
	}
	pre := send(http.MethodOptions, app).Expect(t, http.StatusNoContent)
	if pre.Header.Get("Access-Control-Allow-Origin") != app || pre.Header.Get("Access-Control-Allow-Credentials") != "true" ||
		!strings.Contains(pre.Header.Get("Access-Control-Allow-Headers"), "X-CSRF-Token") ||
		!strings.Contains(pre.Header.Get("Access-Control-Allow-Methods"), "PATCH") || pre.Header.Get("Access-Control-Max-Age") == "" {
		t.Errorf("allowed preflight headers = %v", pre.Header)
	}
	get := send(http.MethodGet, app).Expect(t, http.StatusOK)
	if get.Header.Get("Access-Control-Allow-Origin") != app || !strings.Contains(get.Header.Get("Vary"), "Origin") ||
		!strings.Contains(get.Header.Get("Access-Control-Expose-Headers"), "X-Request-ID") {
		t.Errorf("allowed GET headers = %v", get.Header)
	}
}

// TestBrowser_SecurityHeaders: every response, errors and responses made
// before routing included, carries the security headers; HSTS only with TLS.
func TestBrowser_SecurityHeaders(t *testing.T) {
	for _, tls := range []bool{false, true} {
		e := apitest.StartWith(t, apitest.Options{Config: api.Config{TLS: tls, BodyLimit: 1 << 10}})
		u := e.SignUp(t, "alice")
		responses := map[string]*apitest.Response{
			"200":    e.Do(t, http.MethodGet, "/api/chat/rooms/", u.Token, nil),
			"201":    e.Do(t, http.MethodPost, "/api/chat/rooms/", u.Token, map[string]string{"name": "x"}),
			"401":    e.Do(t, http.MethodGet, "/api/chat/rooms/", "", nil),
			"404":    e.Do(t, http.MethodGet, "/no/such/route", "", nil),
			"405":    e.Do(t, http.MethodPut, "/api/chat/rooms/", u.Token, nil),
			"413":    e.Do(t, http.MethodPost, "/api/chat/rooms/", u.Token, strings.Repeat("x", 4<<10)),
			"health": e.Do(t, http.MethodGet, "/healthz", "", nil),
		}
		raw := rawExchange(t, e.Addr, "GET /api/chat/rooms/ HTTP/1.1\r\nHost: x\r\nCookie: "+strings.Repeat(";", 9<<10)+"\r\n\r\n")
		for name, r := range responses {
			checkSecurityHeaders(t, name, r.Header, tls)
		}
		if !strings.HasPrefix(raw, "HTTP/1.1 431") {
			t.Fatalf("oversized headers: %q", firstLine(raw))
		}
		for _, h := range []string{"Content-Security-Policy: default-src 'none'", "X-Content-Type-Options: nosniff", "X-Frame-Options: DENY"} {
			if !strings.Contains(raw, h) {
				t.Errorf("431 lacks %s: %q", h, raw)
			}
		}
		if got := strings.Contains(raw, "Strict-Transport-Security"); got != tls {
			t.Errorf("431 with TLS=%v has HSTS: %v", tls, got)
		}
		e.Stop(t) // one Env at a time (see apitest)
	}
}

func checkSecurityHeaders(t *testing.T, name string, h http.Header, tls bool) {
	t.Helper()
	want := map[string]string{
		"Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "no-referrer",
		"X-Frame-Options":         "DENY",
	}
	for k, v := range want {
		if !strings.HasPrefix(h.Get(k), v) {
			t.Errorf("%s: %s = %q, want %q", name, k, h.Get(k), v)
		}
	}
	if got := h.Get("Strict-Transport-Security") != ""; got != tls {
		t.Errorf("%s: HSTS present = %v with TLS = %v", name, got, tls)
	}
}

// TestBrowser_AllowedHosts: a Host header the operator did not list gets
// 421 (DNS rebinding, poisoned links); health checks answer any host.
func TestBrowser_AllowedHosts(t *testing.T) {
	e := apitest.StartWith(t, apitest.Options{Config: api.Config{AllowedHosts: []string{"chat.example", "127.0.0.1"}}})
	get := func(path, host string) *apitest.Response {
		req := e.NewRequest(t, http.MethodGet, path, nil)
		req.Host = host
		return e.Send(t, req)
	}
	if p := get("/api/chat/rooms/", "evil.example").Expect(t, http.StatusMisdirectedRequest).Problem(t); p.Code != "misdirected_request" {
		t.Errorf("code = %q", p.Code)
	}
	get("/api/chat/rooms/", "chat.example.evil.example").Expect(t, http.StatusMisdirectedRequest)
	get("/api/chat/rooms/", "chat.example:8443").Expect(t, http.StatusUnauthorized) // past the host check
	get("/api/chat/rooms/", "CHAT.example").Expect(t, http.StatusUnauthorized)
	get("/healthz", "10.1.2.3:8080").Expect(t, http.StatusOK)
	_, resp, err := e.DialWS(t, "", http.Header{"Host": []string{"evil.example"}})
	if err == nil || resp == nil || resp.StatusCode == http.StatusSwitchingProtocols {
		t.Errorf("handshake for a foreign host: %v %v", resp, err)
	}
}

// TestBrowser_WSOrigin is B-13: the handshake's Origin decides before any
// credential does; cookies alone never open a socket without an Origin.
func TestBrowser_WSOrigin(t *testing.T) {
	const app = "https://app.example"
	e := apitest.StartWith(t, apitest.Options{Config: api.Config{AllowedOrigins: []string{app}}})
	alice := e.SignUp(t, "alice")
	a := browserLogin(t, e, alice)
	ticket := func() string {
		var tk struct{ Ticket string }
		e.Do(t, http.MethodPost, "/api/chat/ws-ticket", alice.Token, nil).Expect(t, http.StatusCreated).JSON(t, &tk)
		return tk.Ticket
	}
	own := e.URL // http://127.0.0.1:port, the server's own origin
	for _, tc := range []struct {
		name, cred, origin string
		want               int
	}{
		{"CookieEvil", "cookie", evil, 403},
		{"BearerEvil", "bearer", evil, 403},
		{"TicketEvil", "ticket", evil, 403},
		{"CookieNull", "cookie", "null", 403},
		{"BearerNull", "bearer", "null", 403},
		{"CookieNoOrigin", "cookie", "", 403},
		{"CookieLookalike", "cookie", app + ".evil.example", 403},
		{"BearerNoOrigin", "bearer", "", 101},
		{"TicketNoOrigin", "ticket", "", 101},
		{"CookieOwnOrigin", "cookie", own, 101},
		{"CookieAllowedOrigin", "cookie", app, 101},
	} {
		h, token, path := http.Header{}, "", "/ws"
		switch tc.cred {
		case "cookie":
			h.Set("Cookie", a.cookies())
		case "bearer":
			token = alice.Token
		case "ticket":
			path += "?ticket=" + ticket()
		}
		if tc.origin != "" {
			h.Set("Origin", tc.origin)
		}
		status := dialStatus(t, e, path, token, h)
		if status != tc.want {
			t.Errorf("%s: handshake status %d, want %d", tc.name, status, tc.want)
		}
	}
}

// dialStatus opens path with token and header and returns the handshake's
// status (101 when it upgraded; the socket is then closed).
func dialStatus(t *testing.T, e *apitest.Env, path, token string, h http.Header) int {
	t.Helper()
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
	w, resp, err := dialWS(t, e, path, h)
	if err == nil {
		_ = w.Conn.Close()
		return http.StatusSwitchingProtocols
	}
	if resp == nil {
		t.Fatalf("dial %s: %v", path, err)
	}
	return resp.StatusCode
}

// dialWS opens path (with its query) with header h, like apitest.DialWS.
func dialWS(t *testing.T, e *apitest.Env, path string, h http.Header) (*apitest.WS, *http.Response, error) {
	t.Helper()
	d := websocket.Dialer{HandshakeTimeout: wait}
	conn, resp, err := d.Dial("ws://"+e.Addr+path, h)
	if err != nil {
		return nil, resp, err
	}
	t.Cleanup(func() { _ = conn.Close() })
	return &apitest.WS{Conn: conn}, resp, nil
}

// TestBrowser_MalformedCookies is B-06: broken Cookie headers, with the
// access log on, on a CSRF-guarded write and on the upgrade route, get a 4xx
// and leave the server serving.
func TestBrowser_MalformedCookies(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e := apitest.StartWith(t, apitest.Options{Log: log})
	alice := e.SignUp(t, "alice")
	room := createRoom(t, e, alice.Token, "general", "public").ID
	for _, cookie := range []string{"a=b; ;=;;c", "=", strings.Repeat(";", 6<<10), "parley_access=\xff\xfe; parley_csrf=\x80",
		"parley_access=" + alice.Token + "; parley_csrf=;;=", "parley_csrf", "parley_access=;parley_access=" + alice.Token} {
		for _, raw := range []string{
			"POST /api/chat/rooms/" + room + "/send_message/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-CSRF-Token: x\r\nContent-Length: 12\r\nCookie: " + cookie + "\r\nConnection: close\r\n\r\n{\"body\":\"x\"}",
			"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nCookie: " + cookie + "\r\n\r\n",
		} {
			resp := rawExchange(t, e.Addr, raw)
			if !strings.HasPrefix(resp, "HTTP/1.1 4") {
				t.Errorf("cookie %.30q: %q, want a 4xx", cookie, firstLine(resp))
			}
		}
	}
	send(t, e, alice.Token, room, "still serving")
}

// TestBrowser_ContentIsNeverHTML is B-57: markup in messages, room names and
// display names comes back as the same JSON string; responses are JSON with
// nosniff, and errors never echo what the client sent.
func TestBrowser_ContentIsNeverHTML(t *testing.T) {
	e := apitest.Start(t)
	payloads := []string{
		"[x](javascript:alert(1))", "<img src=x onerror=alert(1)>",
		"</script><script>alert(1)</script>", "/<img/src='x'/onerror='alert(1)'>",
	}
	alice := e.SignUp(t, "alice")
	var u wsproto.User
	e.Do(t, http.MethodPost, "/api/auth/register", "", map[string]string{
		"username": "mallory", "password": "long enough", "display_name": payloads[1],
	}).Expect(t, http.StatusCreated).JSON(t, &u)
	if u.DisplayName != payloads[1] {
		t.Errorf("display name = %q", u.DisplayName)
	}
	room := createRoom(t, e, alice.Token, payloads[2], "public")
	if room.Name != payloads[2] {
		t.Errorf("room name = %q", room.Name)
	}
	for _, p := range payloads {
		send(t, e, alice.Token, room.ID, p)
	}
	resp := e.Do(t, http.MethodGet, "/api/chat/rooms/"+room.ID+"/messages/", alice.Token, nil).Expect(t, http.StatusOK)
	var page messagePage
	resp.JSON(t, &page)
	for i, m := range page.Results {
		if want := payloads[len(payloads)-1-i]; m.Body != want {
			t.Errorf("message %d = %q, want %q", m.Seq, m.Body, want)
		}
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("Content-Type %q, nosniff %q", ct, resp.Header.Get("X-Content-Type-Options"))
	}
	if strings.Contains(string(resp.Body), "<img") { // encoding/json escapes <, > and & in strings
		t.Errorf("history body has raw markup: %s", resp.Body)
	}
	for _, r := range []*apitest.Response{
		e.Do(t, http.MethodGet, "/api/chat/rooms/?%3Cscript%3E=1", alice.Token, nil),
		e.Do(t, http.MethodGet, "/%3Cscript%3Ealert(1)%3C/script%3E", alice.Token, nil),
		e.Do(t, http.MethodPost, "/api/chat/rooms/", alice.Token, `{"name":"x","<img src=x>":1}`),
	} {
		if strings.Contains(strings.ToLower(string(r.Body)), "script") || strings.Contains(string(r.Body), "img") {
			t.Errorf("error echoes the input: %d %s", r.Status, r.Body)
		}
		r.Problem(t)
	}
	w := e.MustDialWS(t, alice.Token)
	w.Send(t, map[string]any{"id": 1, "type": "<img src=x onerror=alert(1)>"})
	ev := w.Reply(t, 1)
	if b, _ := json.Marshal(ev); strings.Contains(string(b), "img") {
		t.Errorf("WS error echoes the command: %s", b)
	}
}

// TestBrowser_RegisterIsThrottled: registration names a taken username (a
// documented decision, see docs/security.md), so it shares the per-IP login
// limit: probing many names from one address is cut off.
func TestBrowser_RegisterIsThrottled(t *testing.T) {
	e := apitest.StartWith(t, apitest.Options{Config: api.Config{LoginLimit: api.Limit{Count: 3}}})
	e.Register(t, "alice", "long enough").Expect(t, http.StatusCreated)
	for range 2 {
		if p := e.Register(t, "alice", "another password").Expect(t, http.StatusConflict).Problem(t); p.Code != parley.ErrUsernameTaken.Code {
			t.Errorf("code = %q", p.Code)
		}
	}
	resp := e.Register(t, "alice", "another password").Expect(t, http.StatusTooManyRequests)
	if resp.Header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
}
