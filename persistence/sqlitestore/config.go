package sqlitestore

import "time"

// FileName is the name of the database file inside Config.Dir. SQLite keeps
// its write-ahead log and shared-memory index beside it (FileName + "-wal",
// FileName + "-shm"); back up all three, or use SQLite's backup API.
const FileName = "parley.db"

// Config says where the database lives and how hard it tries to be durable.
// The zero value is ready to use.
type Config struct {
	// Dir is the directory that holds the database; Open creates it (mode
	// 0700) if missing. Zero means "data", relative to the working directory.
	Dir string

	// BusyTimeout bounds how long a statement waits for a lock held by
	// another process (a backup tool, the sqlite3 shell) before it fails
	// with parley.ErrUnavailable. Writers inside this process queue for the
	// one write connection instead. Zero means 5s.
	BusyTimeout time.Duration

	// RelaxedSync selects synchronous=NORMAL instead of FULL. In WAL mode
	// NORMAL still survives a crash of the process, but a power loss or OS
	// crash may lose the last transactions before a checkpoint: an acked
	// message could vanish. Zero (false) means FULL: every commit is fsynced
	// before AppendMessages returns.
	RelaxedSync bool

	// ReadConns is the size of the read-only connection pool. WAL readers
	// never block the writer or each other. Zero means 4.
	ReadConns int
}

// withDefaults returns cfg with every zero field replaced by its default.
func (cfg Config) withDefaults() Config {
	if cfg.Dir == "" {
		cfg.Dir = "data"
	}
	if cfg.BusyTimeout <= 0 {
		cfg.BusyTimeout = 5 * time.Second
	}
	if cfg.ReadConns <= 0 {
		cfg.ReadConns = 4
	}
	return cfg
}
