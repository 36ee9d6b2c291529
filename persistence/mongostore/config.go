package mongostore

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo/writeconcern"
)

// Config says where the store lives and how long it may wait. Zero values
// take the defaults noted on each field; explicit values win over the same
// options in URI.
type Config struct {
	URI      string // mongodb:// or mongodb+srv:// connection string; required
	Database string // database name; zero means "parley"

	// WriteConcern is the w option of every write: "majority" (the zero value
	// means "majority"), a number of members such as "1", or a tag set name.
	// "0" is refused: unacknowledged writes would hide conflicts.
	WriteConcern string
	Journal      bool // j:true: a write is acked once it is in the on-disk journal

	OpTimeout              time.Duration // bound on each store call; zero means 5s
	ServerSelectionTimeout time.Duration // zero means 3s, so an outage fails fast, never after the driver's 30s
	ConnectTimeout         time.Duration // TCP connect and handshake; zero means 3s
	MaxPoolSize            uint64        // connections per server; zero means the driver's default (100)
}

// Defaults applied by withDefaults.
const (
	defaultDatabase               = "parley"
	defaultWriteConcern           = "majority"
	defaultOpTimeout              = 5 * time.Second
	defaultServerSelectionTimeout = 3 * time.Second
	defaultConnectTimeout         = 3 * time.Second
)

// withDefaults returns cfg with zero values replaced by their defaults.
func (cfg Config) withDefaults() Config {
	if cfg.Database == "" {
		cfg.Database = defaultDatabase
	}
	if cfg.WriteConcern == "" {
		cfg.WriteConcern = defaultWriteConcern
	}
	if cfg.OpTimeout <= 0 {
		cfg.OpTimeout = defaultOpTimeout
	}
	if cfg.ServerSelectionTimeout <= 0 {
		cfg.ServerSelectionTimeout = defaultServerSelectionTimeout
	}
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = defaultConnectTimeout
	}
	return cfg
}

// writeConcern returns the write concern cfg asks for, or an error if the
// setting is unusable. cfg has its defaults applied.
func (cfg Config) writeConcern() (*writeconcern.WriteConcern, error) {
	wc := &writeconcern.WriteConcern{W: cfg.WriteConcern}
	if n, err := strconv.Atoi(cfg.WriteConcern); err == nil {
		if n < 1 {
			return nil, fmt.Errorf("mongostore: write concern %q: must be \"majority\", a tag set or at least 1", cfg.WriteConcern)
		}
		wc.W = n
	}
	if cfg.Journal {
		j := true
		wc.Journal = &j
	}
	return wc, nil
}

// validate reports a setting that cannot work. cfg has its defaults applied.
func (cfg Config) validate() error {
	if cfg.URI == "" {
		return errors.New("mongostore: config: URI is required")
	}
	_, err := cfg.writeConcern()
	return err
}
