package sqlitestore

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/persistence"
)

var _ persistence.Store = (*Store)(nil)

// Store is the SQLite implementation of persistence.Store. It is safe for
// concurrent use: writes queue for one connection, reads share a pool.
type Store struct {
	w *sql.DB // exactly one connection: SQLite has one writer at a time anyway
	r *sql.DB // read-only pool; in WAL mode readers see the last commit and never block

	insertMessage *sql.Stmt // on w
	pageDesc      *sql.Stmt // on r
	pageAsc       *sql.Stmt // on r
	lastSeq       *sql.Stmt // on r

	appends *appender // commits AppendMessages calls, grouped, through insertMessage

	closeOnce sync.Once
	closeErr  error
}

// Open opens (creating if needed) the database in cfg.Dir, brings its schema
// up to date and prepares the hot statements. The caller must Close it.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	cfg = cfg.withDefaults()
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("sqlitestore: create data dir: %w: %v", parley.ErrInternal, err)
	}
	path, err := filepath.Abs(filepath.Join(cfg.Dir, FileName))
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: resolve data dir: %w: %v", parley.ErrInternal, err)
	}
	s := &Store{}
	if err := s.open(ctx, path, cfg); err != nil {
		_ = s.Close() // the open error is the one worth reporting
		return nil, err
	}
	return s, nil
}

// open connects both pools, migrates and prepares statements.
func (s *Store) open(ctx context.Context, path string, cfg Config) error {
	var err error
	s.w, err = sql.Open("sqlite", dsn(path, cfg, true))
	if err != nil {
		return fail(ctx, err, nil, "open %s", path)
	}
	s.w.SetMaxOpenConns(1)
	s.w.SetMaxIdleConns(1)
	s.w.SetConnMaxLifetime(0)
	s.w.SetConnMaxIdleTime(0)
	if err := migrate(ctx, s.w); err != nil {
		return err
	}
	s.r, err = sql.Open("sqlite", dsn(path, cfg, false))
	if err != nil {
		return fail(ctx, err, nil, "open %s read-only", path)
	}
	s.r.SetMaxOpenConns(cfg.ReadConns)
	s.r.SetMaxIdleConns(cfg.ReadConns)
	if err := s.r.PingContext(ctx); err != nil {
		return fail(ctx, err, nil, "open %s read-only", path)
	}
	if err := s.prepare(ctx); err != nil {
		return err
	}
	s.appends = startAppender(ctx, s.w, s.insertMessage)
	return nil
}

// dsn returns the driver's URI for path: the write connection or a read-only
// one. The writer takes its lock when a transaction begins (_txlock=immediate),
// so a transaction never fails halfway while upgrading from reader to writer.
func dsn(path string, cfg Config, write bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout("+strconv.FormatInt(cfg.BusyTimeout.Milliseconds(), 10)+")")
	if write {
		syncMode := "FULL"
		if cfg.RelaxedSync {
			syncMode = "NORMAL"
		}
		q.Add("_pragma", "foreign_keys(1)")
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous("+syncMode+")")
		q.Set("_txlock", "immediate")
	} else {
		q.Add("_pragma", "query_only(1)")
	}
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(path), RawQuery: q.Encode()}).String()
}

// migrations are the schema changes in order: migrations[i] takes a database
// from PRAGMA user_version i to i+1. Append only; never edit a released one.
//
// Times are INTEGER unix milliseconds in UTC, NULL for the zero time. Nothing
// is ever erased: deleted_at and deleted_by mark soft deletes.
var migrations = []string{`
CREATE TABLE users (
	id            TEXT PRIMARY KEY,
	username      TEXT NOT NULL UNIQUE,
	display_name  TEXT NOT NULL,
	password_hash TEXT NOT NULL,
	external_id   TEXT NOT NULL,
	is_admin      INTEGER NOT NULL,
	created_at    INTEGER,
	deleted_at    INTEGER
) STRICT;
CREATE UNIQUE INDEX users_external_id ON users (external_id) WHERE external_id <> '';

CREATE TABLE rooms (
	id          TEXT PRIMARY KEY,
	name        TEXT NOT NULL,
	description TEXT NOT NULL,
	kind        TEXT NOT NULL,
	created_by  TEXT NOT NULL,
	created_at  INTEGER,
	updated_at  INTEGER,
	deleted_at  INTEGER,
	deleted_by  TEXT NOT NULL
) STRICT;
CREATE INDEX rooms_live_created ON rooms (created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX rooms_live_name ON rooms (name, id) WHERE deleted_at IS NULL;

CREATE TABLE members (
	room_id    TEXT NOT NULL REFERENCES rooms (id),
	user_id    TEXT NOT NULL,
	role       INTEGER NOT NULL,
	joined_at  INTEGER,
	banned     INTEGER NOT NULL,
	deleted_at INTEGER,
	deleted_by TEXT NOT NULL,
	PRIMARY KEY (room_id, user_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX members_user ON members (user_id);

CREATE TABLE messages (
	room_id    TEXT NOT NULL REFERENCES rooms (id),
	seq        INTEGER NOT NULL,
	id         TEXT NOT NULL,
	sender_id  TEXT NOT NULL,
	client_id  TEXT NOT NULL,
	body       TEXT NOT NULL,
	created_at INTEGER,
	edited_at  INTEGER,
	deleted_at INTEGER,
	deleted_by TEXT NOT NULL,
	PRIMARY KEY (room_id, seq)
) STRICT, WITHOUT ROWID;
CREATE UNIQUE INDEX messages_client ON messages (room_id, sender_id, client_id) WHERE client_id <> '';
CREATE INDEX messages_sender ON messages (sender_id, created_at);
CREATE INDEX messages_created ON messages (created_at);

CREATE TABLE audit (
	id      TEXT PRIMARY KEY,
	room_id TEXT NOT NULL,
	actor   TEXT NOT NULL,
	action  TEXT NOT NULL,
	target  TEXT NOT NULL,
	detail  TEXT NOT NULL,
	reason  TEXT NOT NULL,
	at      INTEGER NOT NULL -- unix ms; the zero time as its own (negative) value, so cursors stay range scans
) STRICT;
CREATE INDEX audit_room_at ON audit (room_id, at, id);
`}

// migrate brings the schema to the newest version in one transaction and
// checks the connection runs in WAL mode with foreign keys on.
func migrate(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fail(ctx, err, nil, "migrate: begin")
	}
	defer rollback(tx)
	var version int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return fail(ctx, err, nil, "migrate: read version")
	}
	if version > len(migrations) {
		return fmt.Errorf("sqlitestore: schema version %d is newer than this build (%d): %w",
			version, len(migrations), parley.ErrInternal)
	}
	for v := version; v < len(migrations); v++ {
		if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
			return fail(ctx, err, nil, "migrate to version %d", v+1)
		}
	}
	if _, err := tx.ExecContext(ctx, "PRAGMA user_version = "+strconv.Itoa(len(migrations))); err != nil {
		return fail(ctx, err, nil, "migrate: set version")
	}
	if err := tx.Commit(); err != nil {
		return fail(ctx, err, nil, "migrate: commit")
	}
	var mode string
	var fk int
	if err := db.QueryRowContext(ctx, "SELECT journal_mode, foreign_keys FROM pragma_journal_mode, pragma_foreign_keys").Scan(&mode, &fk); err != nil {
		return fail(ctx, err, nil, "check pragmas")
	}
	if mode != "wal" || fk != 1 {
		return fmt.Errorf("sqlitestore: journal_mode=%s foreign_keys=%d, want wal and 1: %w", mode, fk, parley.ErrInternal)
	}
	return nil
}

// rollback ends tx unless it was committed. Its error is not reported: after
// Commit it is sql.ErrTxDone, and otherwise the error that made the caller
// give up is the one worth returning.
func rollback(tx *sql.Tx) { _ = tx.Rollback() }

// Close stops the committer of AppendMessages, which answers the calls still
// queued with parley.ErrUnavailable, then closes both pools. It may be called
// more than once; later calls return nil.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		if s.appends != nil {
			s.appends.stop()
		}
		var errs []error
		for _, st := range []*sql.Stmt{s.insertMessage, s.pageDesc, s.pageAsc, s.lastSeq} {
			if st != nil {
				errs = append(errs, st.Close())
			}
		}
		for _, db := range []*sql.DB{s.r, s.w} {
			if db != nil {
				errs = append(errs, db.Close())
			}
		}
		if err := errors.Join(errs...); err != nil {
			s.closeErr = fmt.Errorf("sqlitestore: close: %w: %v", parley.ErrInternal, err)
		}
	})
	return s.closeErr
}

// Ping checks that both the write connection and the read pool answer.
func (s *Store) Ping(ctx context.Context) error {
	for _, db := range []*sql.DB{s.w, s.r} {
		var one int
		if err := db.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
			return fail(ctx, err, nil, "ping")
		}
	}
	return nil
}

// fail translates a driver error into the store's vocabulary, adding the
// operation (format, args) for logs. A done context, a lock held too long and
// an interrupted statement wrap parley.ErrUnavailable; a violated primary key
// wraps parley.ErrConflict and a violated unique index onUnique (ErrConflict
// if nil); a foreign key (they all reference rooms) parley.ErrRoomNotFound.
// Anything else wraps parley.ErrInternal. The driver's error survives only
// as text, so no driver type escapes the package.
func fail(ctx context.Context, err error, onUnique *parley.Error, format string, args ...any) error {
	op := fmt.Sprintf(format, args...)
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("sqlitestore: %s: %w: %w", op, parley.ErrUnavailable, cerr)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("sqlitestore: %s: %w: %w", op, parley.ErrUnavailable, err)
	}
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return fmt.Errorf("sqlitestore: %s: %w: %v", op, parley.ErrInternal, err)
	}
	sentinel := parley.ErrInternal
	switch code := se.Code(); {
	case code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		sentinel = parley.ErrConflict
	case code == sqlite3.SQLITE_CONSTRAINT_UNIQUE:
		sentinel = cmp.Or(onUnique, parley.ErrConflict)
	case code == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		sentinel = parley.ErrRoomNotFound
	case code&0xff == sqlite3.SQLITE_BUSY, code&0xff == sqlite3.SQLITE_LOCKED, code == sqlite3.SQLITE_INTERRUPT:
		sentinel = parley.ErrUnavailable
	}
	return fmt.Errorf("sqlitestore: %s: %w: %v", op, sentinel, err)
}

// millis returns t as UTC unix milliseconds, or NULL for the zero time.
func millis(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMilli(), Valid: true}
}

// fromMillis is the inverse of millis.
func fromMillis(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.UnixMilli(n.Int64).UTC()
}
