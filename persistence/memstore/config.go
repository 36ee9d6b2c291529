package memstore

import "time"

// Config configures a Store.
type Config struct {
	// SweepInterval is how often expired entries are dropped from memory;
	// zero means one minute. Expiry itself is exact: an expired entry is never
	// reported, however long it waits for the sweep.
	SweepInterval time.Duration
}

func (c Config) sweepInterval() time.Duration {
	if c.SweepInterval <= 0 {
		return time.Minute
	}
	return c.SweepInterval
}
