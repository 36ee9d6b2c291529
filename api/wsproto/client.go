package wsproto

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"

	"github.com/parleychat/parley"
)

// Client frame types. Append only.
const (
	TypeSubscribe   = "subscribe"
	TypeUnsubscribe = "unsubscribe"
	TypeSend        = "send"
	TypePing        = "ping"
	TypeTyping      = "typing"
)

// ClientFrame is one frame a client sends. ID is echoed in the reply; zero
// means the client does not want to correlate.
type ClientFrame struct {
	ID       uint64 `json:"id"`
	Type     string `json:"type"`
	Room     string `json:"room,omitempty"`
	Since    uint64 `json:"since,omitempty"`
	Body     string `json:"body,omitempty"`
	ClientID string `json:"client_id,omitempty"`
}

// MaxClientFrame bounds a decoded client frame in bytes; the socket's read limit
// enforces it before decoding.
const MaxClientFrame = 32 << 10

// DecodeClient parses one client frame strictly: a single JSON object, no
// unknown fields, no wrong types, a known type with the fields it needs. The
// error is a *parley.FieldError naming the offending field, and the ID parsed
// so far (if any) so the error frame can echo it.
func DecodeClient(data []byte) (ClientFrame, error) {
	var f ClientFrame
	if len(data) > MaxClientFrame {
		return f, parley.Invalid("frame", "too large")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return f, jsonFieldError("frame", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return f, parley.Invalid("frame", "must be a single JSON object")
	}
	return f, f.check()
}

func (f ClientFrame) check() error {
	switch f.Type {
	case TypePing:
		return nil
	case TypeSubscribe, TypeUnsubscribe, TypeTyping:
		return checkRoom(f.Room)
	case TypeSend:
		if err := checkRoom(f.Room); err != nil {
			return err
		}
		return parley.CheckClientID(f.ClientID)
	case "":
		return parley.Invalid("type", "is required")
	}
	return parley.Invalid("type", "unknown frame type")
}

func checkRoom(room string) error {
	if !parley.ValidID(room) {
		return parley.Invalid("room", "must be a room id")
	}
	return nil
}

// jsonFieldError turns an encoding/json error into a FieldError that names the
// field without echoing client input.
func jsonFieldError(whole string, err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return parley.Invalid(te.Field, "has the wrong type")
	}
	var se *json.SyntaxError
	if errors.As(err, &se) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return parley.Invalid(whole, "is not valid JSON")
	}
	if f, ok := unknownField(err); ok {
		return parley.Invalid(f, "is not a known field")
	}
	return parley.Invalid(whole, "is not a valid JSON object")
}

// unknownField extracts the name from encoding/json's `json: unknown field "x"`.
func unknownField(err error) (string, bool) {
	const prefix = `json: unknown field "`
	msg := err.Error()
	if len(msg) > len(prefix) && msg[:len(prefix)] == prefix && msg[len(msg)-1] == '"' {
		name := msg[len(prefix) : len(msg)-1]
		if len(name) <= 64 && parley.ValidID(name) {
			return name, true
		}
		return "", true
	}
	return "", false
}

// DecodeStrict decodes a REST request body into v with the same rules as client
// frames: one object, no unknown fields, wrong types named. Shared so REST and
// WebSocket reject the same inputs the same way.
func DecodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonFieldError("body", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return parley.Invalid("body", "must be a single JSON object")
	}
	return nil
}
