package sqlitestore

import (
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/persistence"
	"github.com/parleychat/parley/persistence/storetest"
)

// mustOpen opens a store with cfg, fails tb on error and closes it in Cleanup.
func mustOpen(tb testing.TB, cfg Config) *Store {
	tb.Helper()
	s, err := Open(tb.Context(), cfg)
	if err != nil {
		tb.Fatalf("Open(%+v): %v", cfg, err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) persistence.Store {
		return mustOpen(t, Config{Dir: t.TempDir()})
	})
}

func TestOpen_Pragmas(t *testing.T) {
	for _, tc := range []struct {
		relaxed bool
		want    int // PRAGMA synchronous: 1 NORMAL, 2 FULL
	}{{false, 2}, {true, 1}} {
		s := mustOpen(t, Config{Dir: t.TempDir(), RelaxedSync: tc.relaxed})
		var mode string
		var sync, fk, busy int
		err := s.w.QueryRowContext(t.Context(), `SELECT journal_mode, synchronous, foreign_keys, timeout
			FROM pragma_journal_mode, pragma_synchronous, pragma_foreign_keys, pragma_busy_timeout`).Scan(&mode, &sync, &fk, &busy)
		if err != nil {
			t.Fatalf("read pragmas: %v", err)
		}
		if mode != "wal" || sync != tc.want || fk != 1 || busy != 5000 {
			t.Errorf("RelaxedSync=%v: journal_mode=%s synchronous=%d foreign_keys=%d busy_timeout=%d; want wal, %d, 1, 5000",
				tc.relaxed, mode, sync, fk, busy, tc.want)
		}
		var readOnly int
		if err := s.r.QueryRowContext(t.Context(), `SELECT query_only FROM pragma_query_only`).Scan(&readOnly); err != nil || readOnly != 1 {
			t.Errorf("read pool query_only = %d, %v; want 1", readOnly, err)
		}
	}
}

func TestOpen_Reopen(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nested", "data")
	s := mustOpen(t, Config{Dir: dir})
	room := parley.Room{ID: "r1", Name: "one", Kind: parley.RoomPublic, CreatedBy: "alice"}
	if err := s.CreateRoom(t.Context(), room, parley.Member{UserID: "alice", Role: parley.RoleOwner}); err != nil {
		t.Fatalf("CreateRoom: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("data dir: %v, %v; want mode 0700", fi.Mode(), err)
	}

	again := mustOpen(t, Config{Dir: dir, RelaxedSync: true, ReadConns: 1})
	got, err := again.Room(t.Context(), "r1")
	if err != nil || got.Name != "one" {
		t.Fatalf("Room after reopen = %+v, %v; want the room created before", got, err)
	}
}

func TestOpen_Errors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Open(t.Context(), Config{Dir: file}) // a file, not a directory
	if err == nil {
		t.Fatalf("Open on a file = nil error, want one")
	}
	if parley.Classify(err) != parley.ErrInternal {
		t.Errorf("Open on a file: Classify = %v, want ErrInternal", parley.Classify(err))
	}
}

func TestAppendMessages_Atomic(t *testing.T) {
	s := mustOpen(t, Config{Dir: t.TempDir()})
	ctx := t.Context()
	room := parley.Room{ID: "r1", Name: "one", Kind: parley.RoomPublic, CreatedBy: "alice"}
	if err := s.CreateRoom(ctx, room, parley.Member{UserID: "alice", Role: parley.RoleOwner}); err != nil {
		t.Fatalf("CreateRoom: %v", err)
	}
	msg := func(seq uint64) parley.Message {
		return parley.Message{ID: parley.MessageID(parley.NewID()), RoomID: "r1", Seq: seq, SenderID: "alice", Body: "hi"}
	}
	if err := s.AppendMessages(ctx, []parley.Message{msg(3)}); err != nil {
		t.Fatalf("AppendMessages(3): %v", err)
	}
	err := s.AppendMessages(ctx, []parley.Message{msg(1), msg(2), msg(3), msg(4)})
	if !errors.Is(err, parley.ErrConflict) {
		t.Fatalf("AppendMessages(1..4) = %v, want ErrConflict", err)
	}
	// This store is atomic: the prefix the contract allows is not kept.
	for _, seq := range []uint64{1, 2, 4} {
		if _, err := s.MessageBySeq(ctx, "r1", seq); !errors.Is(err, parley.ErrMessageNotFound) {
			t.Errorf("MessageBySeq(%d) after a failed batch = %v, want ErrMessageNotFound", seq, err)
		}
	}
	mixed := []parley.Message{msg(5), {RoomID: "r2", Seq: 6}}
	if err := s.AppendMessages(ctx, mixed); !errors.Is(err, parley.ErrInvalid) {
		t.Errorf("AppendMessages of two rooms = %v, want ErrInvalid", err)
	}
}

func TestListRooms_BadOrdering(t *testing.T) {
	s := mustOpen(t, Config{Dir: t.TempDir()})
	_, err := s.ListRooms(t.Context(), persistence.RoomQuery{Ordering: "; DROP TABLE rooms", Limit: 10})
	if !errors.Is(err, parley.ErrInvalid) {
		t.Errorf("ListRooms with a bad ordering = %v, want ErrInvalid", err)
	}
}

func TestAppendMessages_LockedIsUnavailable(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, Config{Dir: dir, BusyTimeout: 20 * time.Millisecond})
	ctx := t.Context()
	room := parley.Room{ID: "r1", Name: "one", Kind: parley.RoomPublic, CreatedBy: "alice"}
	if err := s.CreateRoom(ctx, room, parley.Member{UserID: "alice", Role: parley.RoleOwner}); err != nil {
		t.Fatalf("CreateRoom: %v", err)
	}
	// Another process (here: another handle) holds the write lock.
	other, err := sql.Open("sqlite", filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	msg := parley.Message{ID: "m1", RoomID: "r1", Seq: 1, SenderID: "alice", Body: "hi"}
	err = s.AppendMessages(ctx, []parley.Message{msg})
	if !errors.Is(err, parley.ErrUnavailable) {
		t.Fatalf("AppendMessages while another writer holds the lock = %v, want ErrUnavailable", err)
	}
	if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	if err := s.AppendMessages(ctx, []parley.Message{msg}); err != nil {
		t.Fatalf("AppendMessages after the lock is released: %v", err)
	}
}

// crashDirEnv tells the test binary, re-run as a child, to act as the process
// that crashes in TestAppendMessages_SurvivesProcessCrash.
const crashDirEnv = "PARLEY_SQLITESTORE_CRASH_DIR"

// TestAppendMessages_SurvivesProcessCrash: every batch acked before the
// process is killed (SIGKILL, no Close) is there when the database reopens.
func TestAppendMessages_SurvivesProcessCrash(t *testing.T) {
	if dir := os.Getenv(crashDirEnv); dir != "" {
		crashAfterAcks(t, dir) // never returns
	}
	dir := t.TempDir()
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestAppendMessages_SurvivesProcessCrash$")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir)
	out, err := cmd.Output()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.Exited() {
		t.Fatalf("child = %v (output %q), want it killed by a signal", err, out)
	}
	acked, err := strconv.ParseUint(strings.TrimSpace(string(out)), 10, 64)
	if err != nil || acked == 0 {
		t.Fatalf("child reported %q acked messages: %v", out, err)
	}
	s := mustOpen(t, Config{Dir: dir})
	last, err := s.LastSeq(t.Context(), "r1")
	if err != nil || last < acked {
		t.Fatalf("LastSeq after crash = %d, %v; want at least %d acked", last, err, acked)
	}
}

// crashAfterAcks appends batches to a store in dir, reports the last acked
// seq on stdout, and kills its own process without closing anything.
func crashAfterAcks(t *testing.T, dir string) {
	s, err := Open(t.Context(), Config{Dir: dir})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	room := parley.Room{ID: "r1", Name: "one", Kind: parley.RoomPublic, CreatedBy: "alice"}
	if err := s.CreateRoom(t.Context(), room, parley.Member{UserID: "alice", Role: parley.RoleOwner}); err != nil {
		t.Fatalf("CreateRoom: %v", err)
	}
	var seq uint64
	for range 20 {
		batch := make([]parley.Message, 10)
		for i := range batch {
			seq++
			batch[i] = parley.Message{ID: parley.MessageID(parley.NewID()), RoomID: "r1", Seq: seq, SenderID: "alice", Body: "hi"}
		}
		if err := s.AppendMessages(t.Context(), batch); err != nil {
			t.Fatalf("AppendMessages: %v", err)
		}
	}
	fmt.Println(seq)
	self, err := os.FindProcess(os.Getpid())
	if err == nil {
		err = self.Kill()
	}
	t.Fatalf("kill self: %v", err)
}
