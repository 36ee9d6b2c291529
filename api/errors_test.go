package api

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/parleychat/parley"
	"github.com/parleychat/parley/api/wsproto"
)

// TestErrorTableComplete: every domain error has a REST status and a WebSocket
// answer, and the table holds nothing else.
func TestErrorTableComplete(t *testing.T) {
	sentinels := parley.Sentinels()
	for _, e := range sentinels {
		tr, ok := errorTable[e]
		if !ok {
			t.Errorf("errorTable has no row for %q", e.Code)
			continue
		}
		if tr.status < 400 || tr.status > 599 || http.StatusText(tr.status) == "" {
			t.Errorf("%q: status %d is not an HTTP error status", e.Code, tr.status)
		}
		if tr.close != 0 && (tr.close < 1000 || tr.close > 4999) {
			t.Errorf("%q: close code %d out of range", e.Code, tr.close)
		}
	}
	if len(errorTable) != len(sentinels) {
		t.Errorf("errorTable has %d rows for %d sentinels", len(errorTable), len(sentinels))
	}
	// Codes that force a reconnect or a stop.
	for e, want := range map[*parley.Error]int{
		parley.ErrUnauthorized: wsproto.CloseUnauthorized, parley.ErrTokenExpired: wsproto.CloseTokenExpired,
		parley.ErrSlowConsumer: wsproto.CloseSlowConsumer, parley.ErrInternal: wsproto.CloseInternalError,
	} {
		if got := closeCodeOf(fmt.Errorf("wrapped: %w", e)); got != want {
			t.Errorf("closeCodeOf(%q) = %d, want %d", e.Code, got, want)
		}
	}
}

func TestProblemFor(t *testing.T) {
	secret := errors.New("sqlite: disk I/O error at /var/lib/parley/parley.db")
	tests := []struct {
		name string
		err  error
		want Problem
	}{
		{"Internal", fmt.Errorf("store: %w", secret),
			Problem{Type: "urn:parley:error:internal", Title: "internal error", Status: 500, Code: "internal"}},
		{"Unavailable", fmt.Errorf("call room r: %w: %w", parley.ErrUnavailable, secret),
			Problem{Type: "urn:parley:error:unavailable", Title: parley.ErrUnavailable.Error(), Status: 503, Code: "unavailable"}},
		{"Field", parley.Invalid("name", "must be 1 to 100 visible characters"),
			Problem{Type: "urn:parley:error:invalid", Title: "invalid input", Status: 400, Code: "invalid",
				Field: "name", Detail: "name: must be 1 to 100 visible characters"}},
		{"RouteNotFound", fiber.NewError(404, "Cannot GET /<script>"),
			Problem{Type: "about:blank", Title: "Not Found", Status: 404, Code: "not_found"}},
		{"ParserError", fiber.NewError(400, "error when reading request headers: \x00junk"),
			Problem{Type: "about:blank", Title: "Bad Request", Status: 400, Code: "bad_request"}},
		{"TooLarge", fiber.ErrRequestEntityTooLarge,
			Problem{Type: "about:blank", Title: "Request Entity Too Large", Status: 413, Code: "too_large"}},
		{"Teapot", fiber.NewError(418, "x"),
			Problem{Type: "about:blank", Title: "I'm a teapot", Status: 418, Code: "http_418"}},
		{"NotAnError", fiber.NewError(200, "x"),
			Problem{Type: "about:blank", Title: "Internal Server Error", Status: 500, Code: "http_500"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := problemFor(tc.err); got != tc.want {
				t.Errorf("problemFor = %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestRoutesParams guards against GHSA-mrq8-rjmw-wpq3 (more than 30 route
// params overflowed Fiber's fixed array) and lists what is registered.
func TestRoutesParams(t *testing.T) {
	app := fiber.New()
	s := &Server{}
	s.routes(app)
	n := 0
	for _, r := range app.GetRoutes(true) {
		n++
		if len(r.Params) > 30 {
			t.Errorf("%s %s has %d params, more than 30", r.Method, r.Path, len(r.Params))
		}
	}
	if n < 20 {
		t.Errorf("only %d routes registered", n)
	}
}
