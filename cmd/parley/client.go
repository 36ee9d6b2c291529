package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// maxResponse bounds what the command line reads from the server.
const maxResponse = 16 << 20

// client calls the REST API of one server with one token.
type client struct {
	server *string
	token  *string
	out    io.Writer
	http   *http.Client
}

// clientFlags registers --server and --token on fs.
func (e env) clientFlags(fs *flag.FlagSet) *client {
	return &client{
		server: fs.String("server", e.or("http://127.0.0.1:8080", "PARLEY_SERVER"), "server base URL (PARLEY_SERVER)"),
		token:  fs.String("token", e.getenv("PARLEY_TOKEN"), "access token (PARLEY_TOKEN)"),
		out:    e.stdout,
		http:   &http.Client{Timeout: 30 * time.Second},
	}
}

// print calls the API and prints the JSON answer indented.
func (c *client) print(method, path string, body any) error {
	var out json.RawMessage
	if err := c.call(method, path, body, &out); err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, out, "", "  "); err != nil {
		return fmt.Errorf("server answered with invalid JSON: %w", err)
	}
	buf.WriteByte('\n')
	_, err := buf.WriteTo(c.out)
	return err
}

// call sends body (JSON, nil for none) and decodes a 2xx answer into out. A
// problem answer becomes an error with its title, detail and code.
func (c *client) call(method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, strings.TrimRight(*c.server, "/")+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if *c.token != "" {
		req.Header.Set("Authorization", "Bearer "+*c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return fmt.Errorf("read answer: %w", err)
	}
	if resp.StatusCode >= 300 {
		return problemError(resp.StatusCode, data)
	}
	if out == nil || resp.StatusCode == http.StatusNoContent {
		return nil
	}
	return json.Unmarshal(data, out)
}

func problemError(status int, data []byte) error {
	var p struct {
		Title  string `json:"title"`
		Detail string `json:"detail"`
		Code   string `json:"code"`
	}
	if json.Unmarshal(data, &p) != nil || p.Code == "" {
		return fmt.Errorf("server answered %d %s", status, http.StatusText(status))
	}
	msg := p.Title
	if p.Detail != "" {
		msg = p.Detail
	}
	return fmt.Errorf("%s (%d %s)", msg, status, p.Code)
}
