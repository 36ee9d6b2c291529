package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parleychat/parley/api/apitest"
)

// cli runs one command line against env vars vars and returns exit status,
// stdout and stderr.
func cli(t *testing.T, vars map[string]string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errOut, func(k string) string { return vars[k] })
	return code, out.String(), errOut.String()
}

func TestCLI_Story(t *testing.T) {
	e := apitest.Start(t)
	e.SignUp(t, "alice")
	vars := map[string]string{"PARLEY_SECRET_KEY": string(apitest.Secret), "PARLEY_SERVER": e.URL}

	code, tok, stderr := cli(t, vars, "password-alice\n", "login", "--username", "alice")
	if code != 0 || strings.TrimSpace(tok) == "" {
		t.Fatalf("login: %d %q %q", code, tok, stderr)
	}
	vars["PARLEY_TOKEN"] = strings.TrimSpace(tok)

	code, out, stderr := cli(t, vars, "", "rooms", "create", "--name", "From the shell", "--kind", "private")
	var room struct {
		ID   string `json:"id"`
		Kind string `json:"kind"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &room) != nil || room.Kind != "private" {
		t.Fatalf("rooms create: %d %q %q", code, out, stderr)
	}
	code, out, stderr = cli(t, vars, "", "send", "--room", room.ID, "--body", "hello from the shell", "--client-id", "cli-1")
	if code != 0 || !strings.Contains(out, `"seq": 1`) {
		t.Fatalf("send: %d %q %q", code, out, stderr)
	}
	code, out, _ = cli(t, vars, "", "rooms", "list", "--member-only")
	if code != 0 || !strings.Contains(out, room.ID) {
		t.Fatalf("rooms list: %d %q", code, out)
	}

	// A minted admin token sees the room too.
	code, admin, stderr := cli(t, vars, "", "token", "--user", "ops", "--admin", "--ttl", "5m")
	if code != 0 {
		t.Fatalf("token: %d %q", code, stderr)
	}
	code, out, _ = cli(t, vars, "", "rooms", "list", "--token", strings.TrimSpace(admin))
	if code != 0 || !strings.Contains(out, room.ID) {
		t.Fatalf("rooms list as admin: %d %q", code, out)
	}
}

func TestCLI_Errors(t *testing.T) {
	e := apitest.Start(t)
	vars := map[string]string{"PARLEY_SERVER": e.URL, "PARLEY_TOKEN": "garbage"}
	if code, _, stderr := cli(t, vars, "", "rooms", "list"); code != 1 || !strings.Contains(stderr, "401 unauthorized") {
		t.Errorf("bad token: %d %q", code, stderr)
	}
	if code, _, _ := cli(t, vars, ""); code != 2 {
		t.Errorf("no command: exit %d, want 2", code)
	}
	if code, _, _ := cli(t, vars, "", "send", "--room", "r1"); code != 2 {
		t.Errorf("send without body: exit %d, want 2", code)
	}
	if code, _, _ := cli(t, vars, "", "send", "--room", "../x", "--body", "b"); code != 2 {
		t.Errorf("send to a bad room id: exit %d, want 2", code)
	}
	if code, _, _ := cli(t, vars, "", "frobnicate"); code != 1 {
		t.Errorf("unknown command: exit %d", code)
	}
}

func TestCLI_TokenFromDataDir(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, secretFile), []byte(strings.Repeat("k", 64)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, tok, stderr := cli(t, nil, "", "token", "--user", "u1", "--data-dir", dir)
	if code != 0 || strings.Count(tok, ".") != 2 {
		t.Fatalf("token: %d %q %q", code, tok, stderr)
	}
	if code, _, _ := cli(t, nil, "", "token", "--user", "u1", "--data-dir", t.TempDir()); code != 1 {
		t.Errorf("token without any secret: exit %d, want 1", code)
	}
	if code, _, _ := cli(t, nil, "", "token", "--data-dir", dir); code != 2 {
		t.Errorf("token without --user: exit %d, want 2", code)
	}
}

func TestCLI_WatchHealthLoad(t *testing.T) {
	e := apitest.Start(t)
	u := e.SignUp(t, "alice")
	vars := map[string]string{"PARLEY_SERVER": e.URL, "PARLEY_TOKEN": u.Token}
	if code, out, stderr := cli(t, vars, "", "health"); code != 0 || !strings.Contains(out, "ready") {
		t.Fatalf("health: %d %q %q", code, out, stderr)
	}
	code, out, stderr := cli(t, vars, "", "rooms", "create", "--name", "watched")
	var room struct{ ID string }
	if code != 0 || json.Unmarshal([]byte(out), &room) != nil {
		t.Fatalf("rooms create: %d %q %q", code, out, stderr)
	}
	for i := range 2 {
		if code, _, stderr := cli(t, vars, "", "send", "--room", room.ID, "--body", "m"+string(rune('0'+i))); code != 0 {
			t.Fatalf("send: %q", stderr)
		}
	}
	// watch replays from since=0 and exits after two messages.
	code, out, stderr = cli(t, vars, "", "watch", "--room", room.ID, "--count", "2")
	if code != 0 || strings.Count(out, `"type":"message"`) != 2 || !strings.Contains(out, `"body":"m1"`) {
		t.Fatalf("watch: %d %q %q", code, out, stderr)
	}
	code, out, stderr = cli(t, vars, "", "load", "--rooms", "2", "--senders", "4", "--messages", "40", "--watchers", "1", "--duration", "30s")
	if code != 0 || !strings.Contains(out, "acked=40 ") {
		t.Fatalf("load: %d %q %q", code, out, stderr)
	}
	if code, out, _ := cli(t, vars, "", "watch", "--room", "nosuchroom", "--count", "1"); code == 0 {
		t.Errorf("watch of a missing room succeeded: %s", out)
	}
}
