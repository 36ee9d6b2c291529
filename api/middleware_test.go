package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
)

// testApp is a bare app with this package's middleware and error handler.
func testApp(t *testing.T) (*fiber.App, *bytes.Buffer) {
	t.Helper()
	var logs bytes.Buffer
	s := &Server{cfg: Config{}.withDefaults(), log: slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	app := fiber.New(fiber.Config{ErrorHandler: s.handleError})
	app.Use(s.observe, s.recoverPanic)
	app.Get("/boom", func(*fiber.Ctx) error { panic("secret panic text") })
	app.Get("/fail", func(*fiber.Ctx) error { return errors.New("db password is hunter2") })
	app.Get("/ok", func(c *fiber.Ctx) error { return writeJSON(c, 200, map[string]string{"a": "<b>"}) })
	return app, &logs
}

func TestMiddleware_Recover(t *testing.T) {
	app, logs := testApp(t)
	for _, path := range []string{"/boom", "/fail"} {
		resp, err := app.Test(httptest.NewRequest("GET", path, nil))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 500 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") {
			t.Errorf("%s: %d %q", path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if strings.Contains(string(body), "secret") || strings.Contains(string(body), "hunter2") {
			t.Errorf("%s: internal detail leaked: %s", path, body)
		}
		if resp.Header.Get("X-Request-ID") == "" || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: headers %v", path, resp.Header)
		}
	}
	if !strings.Contains(logs.String(), "secret panic text") || !strings.Contains(logs.String(), "hunter2") {
		t.Errorf("the causes were not logged: %s", logs)
	}
}

func TestMiddleware_AccessLog(t *testing.T) {
	app, logs := testApp(t)
	req := httptest.NewRequest("GET", "/ok", nil)
	req.Header.Set("X-Request-ID", "client-chosen-id")
	resp, err := app.Test(req)
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Header.Get("X-Request-ID"); got != "client-chosen-id" {
		t.Errorf("request id = %q, want the client's", got)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(strings.TrimSpace(logs.String())), &rec); err != nil {
		t.Fatalf("log %q: %v", logs, err)
	}
	if rec["msg"] != "request" || rec["request_id"] != "client-chosen-id" || rec["status"] != float64(200) || rec["path"] != "/ok" {
		t.Errorf("access log = %v", rec)
	}
	// An id that is not safe to log is replaced.
	logs.Reset()
	req = httptest.NewRequest("GET", "/ok", nil)
	req.Header.Set("X-Request-ID", "evil\"id with spaces")
	resp, _ = app.Test(req)
	if got := resp.Header.Get("X-Request-ID"); got == "" || strings.Contains(got, " ") {
		t.Errorf("unsafe request id kept: %q", got)
	}
}
