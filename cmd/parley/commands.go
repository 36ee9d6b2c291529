package main

import (
	"bufio"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/api"
)

// secretFile is where parleyd keeps the secret it generated (see
// cmd/parleyd/secret.go): the trimmed content is the key.
const secretFile = "secret.key"

// token mints an access token from the server's secret: PARLEY_SECRET_KEY
// (or SECRET_KEY), else <data dir>/secret.key.
func (e env) token(args []string) error {
	fs := e.flags("token")
	user := fs.String("user", "", "user id the token is for (required)")
	admin := fs.Bool("admin", false, "mark the token as a platform admin's")
	ttl := fs.Duration("ttl", time.Hour, "lifetime of the token")
	dataDir := fs.String("data-dir", e.or("./data", "PARLEY_DATA_DIR"), "parleyd's data dir, for secret.key (PARLEY_DATA_DIR)")
	issuer := fs.String("issuer", "", "token issuer; empty means parleyd's default")
	if err := e.parse(fs, args); err != nil {
		return err
	}
	if err := required("user", *user); err != nil {
		return err
	}
	if *ttl <= 0 {
		return fmt.Errorf("%w: --ttl must be positive", errUsage)
	}
	secret, err := e.secret(*dataDir)
	if err != nil {
		return err
	}
	tok, err := api.MintAccessToken(secret, *issuer, parley.Principal{User: parley.UserID(*user), Admin: *admin}, *ttl, time.Now())
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(e.stdout, tok)
	return err
}

func (e env) secret(dataDir string) ([]byte, error) {
	if s := e.or("", "PARLEY_SECRET_KEY", "SECRET_KEY"); s != "" {
		return []byte(s), nil
	}
	data, err := os.ReadFile(filepath.Join(dataDir, secretFile))
	if err != nil {
		return nil, fmt.Errorf("no PARLEY_SECRET_KEY and no readable secret in the data dir: %w", err)
	}
	return []byte(strings.TrimSpace(string(data))), nil
}

// login logs in and prints the access token. The password comes from
// PARLEY_PASSWORD or the first line of stdin, never from a flag (flags show
// up in process lists).
func (e env) login(args []string) error {
	fs := e.flags("login")
	c := e.clientFlags(fs)
	username := fs.String("username", "", "username (required)")
	if err := e.parse(fs, args); err != nil {
		return err
	}
	if err := required("username", *username); err != nil {
		return err
	}
	password := e.getenv("PARLEY_PASSWORD")
	if password == "" {
		line, err := bufio.NewReader(e.stdin).ReadString('\n')
		if err != nil && line == "" {
			return fmt.Errorf("read password from stdin: %w", err)
		}
		password = strings.TrimRight(line, "\r\n")
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := c.call("POST", "/api/auth/login", map[string]string{"username": *username, "password": password}, &tok); err != nil {
		return err
	}
	_, err := fmt.Fprintln(e.stdout, tok.AccessToken)
	return err
}

// rooms runs "rooms create" and "rooms list".
func (e env) rooms(args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: rooms needs create or list", errUsage)
	}
	fs := e.flags("rooms " + args[0])
	c := e.clientFlags(fs)
	switch args[0] {
	case "create":
		name := fs.String("name", "", "room name (required)")
		kind := fs.String("kind", "public", "public or private")
		desc := fs.String("description", "", "room description")
		if err := e.parse(fs, args[1:]); err != nil {
			return err
		}
		if err := required("name", *name); err != nil {
			return err
		}
		return c.print("POST", "/api/chat/rooms/", map[string]string{"name": *name, "kind": *kind, "description": *desc})
	case "list":
		search := fs.String("search", "", "search names and descriptions")
		page := fs.Int("page", 1, "page number")
		mine := fs.Bool("member-only", false, "only rooms I am a member of")
		if err := e.parse(fs, args[1:]); err != nil {
			return err
		}
		q := url.Values{"page": {strconv.Itoa(*page)}}
		if *search != "" {
			q.Set("search", *search)
		}
		if *mine {
			q.Set("member", "me")
		}
		return c.print("GET", "/api/chat/rooms/?"+q.Encode(), nil)
	}
	return fmt.Errorf("%w: unknown rooms command %q", errUsage, args[0])
}

// send posts one message.
func (e env) send(args []string) error {
	fs := e.flags("send")
	c := e.clientFlags(fs)
	room := fs.String("room", "", "room id (required)")
	body := fs.String("body", "", "message text (required)")
	clientID := fs.String("client-id", "", "idempotency key; a resend with the same key returns the first message")
	if err := e.parse(fs, args); err != nil {
		return err
	}
	if err := required("room", *room); err != nil {
		return err
	}
	if err := required("body", *body); err != nil {
		return err
	}
	if !parley.ValidID(*room) {
		return fmt.Errorf("%w: --room %q is not a room id", errUsage, *room)
	}
	req := map[string]string{"body": *body}
	if *clientID != "" {
		req["client_id"] = *clientID
	}
	return c.print("POST", "/api/chat/rooms/"+*room+"/send_message/", req)
}

func (e env) or(def string, names ...string) string {
	for _, n := range names {
		if v := e.getenv(n); v != "" {
			return v
		}
	}
	return def
}
