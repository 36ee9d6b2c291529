package api

import (
	"bytes"
	"mime"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/parleychat/parley"
	"github.com/parleychat/parley/api/wsproto"
)

// Request bodies. Each is decoded strictly (wsproto.DecodeStrict): unknown
// fields, wrong types and operator objects such as {"$ne": null} are 400s that
// name the field. encoding/json copies every string it decodes, so nothing
// here aliases Fiber's request buffer.

type registerBody struct {
	Username    string `json:"username"`
	Password    string `json:"password"`
	DisplayName string `json:"display_name"`
}

type loginBody struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

type refreshBody struct {
	RefreshToken string `json:"refresh_token"`
}

type createRoomBody struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Kind        string `json:"kind"`
}

type updateRoomBody struct {
	Name        *string `json:"name"`
	Description *string `json:"description"`
	Kind        *string `json:"kind"`
	Reason      string  `json:"reason"`
}

type sendBody struct {
	Body     string `json:"body"`
	ClientID string `json:"client_id"`
}

type editBody struct {
	Body string `json:"body"`
}

type addMemberBody struct {
	UserID string `json:"user_id"`
	Role   string `json:"role"`
	Reason string `json:"reason"`
}

type setRoleBody struct {
	Role   string `json:"role"`
	Reason string `json:"reason"`
}

type reasonBody struct {
	Reason string `json:"reason"`
}

// decodeJSON decodes the request body into v. The body must be declared JSON
// (415 otherwise: form and text/plain bodies never reach a decoder, which also
// keeps cross-site "simple" form posts out) and must not be empty.
func decodeJSON(c *fiber.Ctx, v any) error {
	body := c.Body()
	if len(bytes.TrimSpace(body)) == 0 {
		return parley.Invalid("body", "is required")
	}
	if err := checkJSONType(c.Get(fiber.HeaderContentType)); err != nil {
		return err
	}
	return decodeBody(body, v)
}

// decodeOptionalJSON is decodeJSON for routes whose body may be absent.
func decodeOptionalJSON(c *fiber.Ctx, v any) error {
	if len(bytes.TrimSpace(c.Body())) == 0 {
		return nil
	}
	return decodeJSON(c, v)
}

// decodeBody is the part of decodeJSON that does not need Fiber (fuzzed).
func decodeBody(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return parley.Invalid("body", "is required")
	}
	if !utf8.Valid(body) { // encoding/json would quietly turn invalid bytes into U+FFFD
		return parley.Invalid("body", "must be valid UTF-8")
	}
	return wsproto.DecodeStrict(body, v)
}

// checkJSONType accepts application/json with an optional utf-8 charset.
func checkJSONType(contentType string) error {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || mt != fiber.MIMEApplicationJSON {
		return fiber.ErrUnsupportedMediaType
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return fiber.ErrUnsupportedMediaType
	}
	return nil
}
