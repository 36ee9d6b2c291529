// Package sqlitestore is the embedded default persistence.Store: one SQLite
// file (pure Go, modernc.org/sqlite) for a single node.
//
// Durability: the database runs in WAL mode with synchronous=FULL, so every
// commit is fsynced before the call returns and an acked message survives a
// crash of the process, the OS or the machine. Config.RelaxedSync selects
// synchronous=NORMAL, which in WAL mode still survives a process crash but
// may lose the newest commits on power loss or an OS crash; it is not the
// default because an ack must mean durable.
//
// Concurrency: a Store is safe for concurrent use. Writes go through a single
// connection (SQLite serialises writers anyway, and queueing in Go instead of
// in SQLite's busy handler keeps latency predictable); each write transaction
// takes the lock when it begins. Reads use a separate read-only pool and,
// thanks to WAL, never wait for the writer.
//
// AppendMessages is group committed across callers: one committer goroutine,
// started by Open and stopped by Close, writes every call queued meanwhile in
// one transaction, each call inside its own SAVEPOINT, and commits them with
// one fsync. Each call is still all or nothing on its own: a call that breaks
// a constraint is rolled back to its savepoint and fails alone. Other writes
// take the write connection between groups.
//
// Errors: no driver error escapes. Constraint violations become
// parley.ErrConflict (parley.ErrUsernameTaken for usernames and external ids)
// or parley.ErrRoomNotFound (a foreign key: every one references a room); a
// done context, a lock wait that timed out or an interrupted statement wraps
// parley.ErrUnavailable; anything else wraps parley.ErrInternal with the
// driver's message as text.
//
// This package imports the domain (parley), persistence and its driver only.
package sqlitestore
