package api

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/parleychat/parley"
	"github.com/parleychat/parley/api/wsproto"
)

// transport is how one domain error reaches a client.
type transport struct {
	status int // REST status
	close  int // WebSocket close code; 0 = send an error frame and keep the socket
}

// errorTable is the one place where domain errors meet transports. Every
// sentinel of parley.Sentinels() has a row (TestErrorTableComplete).
var errorTable = map[*parley.Error]transport{
	parley.ErrInternal:        {fiber.StatusInternalServerError, wsproto.CloseInternalError},
	parley.ErrUnavailable:     {fiber.StatusServiceUnavailable, wsproto.CloseTryAgainLater},
	parley.ErrUnauthorized:    {fiber.StatusUnauthorized, wsproto.CloseUnauthorized},
	parley.ErrForbidden:       {fiber.StatusForbidden, 0},
	parley.ErrInvalid:         {fiber.StatusBadRequest, 0},
	parley.ErrConflict:        {fiber.StatusConflict, 0},
	parley.ErrRoomNotFound:    {fiber.StatusNotFound, 0},
	parley.ErrUserNotFound:    {fiber.StatusNotFound, 0},
	parley.ErrMessageNotFound: {fiber.StatusNotFound, 0},
	parley.ErrNotMember:       {fiber.StatusForbidden, 0},
	parley.ErrAlreadyMember:   {fiber.StatusConflict, 0},
	parley.ErrBanned:          {fiber.StatusForbidden, 0},
	parley.ErrUsernameTaken:   {fiber.StatusConflict, 0},
	parley.ErrBadCredentials:  {fiber.StatusUnauthorized, 0},
	parley.ErrRateLimited:     {fiber.StatusTooManyRequests, 0},
	parley.ErrOwnerMustStay:   {fiber.StatusConflict, 0},
	parley.ErrClientIDReused:  {fiber.StatusConflict, 0},
	parley.ErrTooLarge:        {fiber.StatusRequestEntityTooLarge, wsproto.CloseTooBig},
	parley.ErrSlowConsumer:    {fiber.StatusServiceUnavailable, wsproto.CloseSlowConsumer},
	parley.ErrRoomDeleted:     {fiber.StatusNotFound, 0}, // deleted rooms read as gone: 404
	parley.ErrTokenExpired:    {fiber.StatusUnauthorized, wsproto.CloseTokenExpired},
}

// httpCodes are the stable codes of errors raised by HTTP itself (routing,
// parsing, limits) rather than the domain. Append only.
var httpCodes = map[int]string{
	fiber.StatusBadRequest:                  "bad_request",
	fiber.StatusNotFound:                    "not_found",
	fiber.StatusMethodNotAllowed:            "method_not_allowed",
	fiber.StatusRequestTimeout:              "request_timeout",
	fiber.StatusRequestEntityTooLarge:       parley.ErrTooLarge.Code,
	fiber.StatusUnsupportedMediaType:        "unsupported_media_type",
	fiber.StatusRequestHeaderFieldsTooLarge: "headers_too_large",
	fiber.StatusTooManyRequests:             parley.ErrRateLimited.Code,
	fiber.StatusServiceUnavailable:          parley.ErrUnavailable.Code,
	fiber.StatusMisdirectedRequest:          "misdirected_request", // Host not in Config.AllowedHosts
}

// Problem is an RFC 9457 problem detail with Parley's stable code, and the
// offending field for invalid input.
type Problem struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail,omitempty"`
	Code      string `json:"code"`
	Field     string `json:"field,omitempty"`
	RequestID string `json:"request_id,omitempty"`
}

// problemFor builds the problem for err. It never copies internal error text:
// only sentinel messages, FieldError reasons and HTTP status texts reach it.
func problemFor(err error) Problem {
	var fe *fiber.Error
	if errors.As(err, &fe) {
		status := fe.Code
		if status < 400 || status > 599 {
			status = fiber.StatusInternalServerError
		}
		code, ok := httpCodes[status]
		if !ok {
			code = "http_" + strconv.Itoa(status)
		}
		return Problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Code: code}
	}
	e := parley.Classify(err)
	p := Problem{
		Type: "urn:parley:error:" + e.Code, Title: e.Error(), Status: statusOf(e), Code: e.Code,
	}
	var field *parley.FieldError
	if errors.As(err, &field) {
		p.Field, p.Detail = field.Field, field.Error()
	}
	return p
}

// statusOf returns e's REST status; an unknown error is a 500.
func statusOf(e *parley.Error) int {
	if t, ok := errorTable[e]; ok {
		return t.status
	}
	return fiber.StatusInternalServerError
}

// closeCodeOf returns the WebSocket close code for err, 0 meaning "answer
// with an error frame and keep the socket open".
func closeCodeOf(err error) int {
	var fe *fiber.Error
	if errors.As(err, &fe) {
		return 0
	}
	return errorTable[parley.Classify(err)].close
}

// handleError is fiber.Config.ErrorHandler: REST handlers just return errors.
// Internal errors are logged here (once) and answered without detail.
func (s *Server) handleError(c *fiber.Ctx, err error) error {
	p := problemFor(err)
	if p.Status >= 500 {
		s.log.LogAttrs(c.UserContext(), slog.LevelError, "request failed",
			slog.String("request_id", requestID(c)), slog.String("method", strings.Clone(c.Method())),
			slog.String("path", strings.Clone(c.Path())), slog.Any("err", err))
	}
	p.RequestID = requestID(c)
	s.setHSTS(c) // also on errors raised before routing (413, 431)
	if le := (*limitError)(nil); errors.As(err, &le) {
		c.Set(fiber.HeaderRetryAfter, le.seconds())
	}
	return writeProblem(c, p)
}

func writeProblem(c *fiber.Ctx, p Problem) error {
	b, err := json.Marshal(p)
	if err != nil { // cannot happen: Problem holds only strings and ints
		return c.SendStatus(fiber.StatusInternalServerError)
	}
	setSecurityHeaders(c)
	c.Status(p.Status)
	c.Set(fiber.HeaderContentType, "application/problem+json; charset=utf-8")
	if p.Status == fiber.StatusUnauthorized {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="parley"`)
	}
	return c.Send(b)
}

// writeJSON answers with v as JSON.
func writeJSON(c *fiber.Ctx, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err // an internal error; handleError logs it
	}
	c.Status(status)
	c.Set(fiber.HeaderContentType, "application/json; charset=utf-8")
	return c.Send(b)
}
