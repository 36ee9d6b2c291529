package memstore

import "time"

// Config configures a Store.
type Config struct {
	// SweepInterval is how often expired entries are dropped from memory;
	// zero means one minute. Expiry itself is exact: an expired entry is never
	// reported, however long it waits for the sweep.
	SweepInterval time.Duration
	// RevocationFeed is how many of the latest revocations RevokedSince can
	// return; zero means 10000. Values below persistence.MinRevocationFeed
	// are for tests of readers that fall behind.
	RevocationFeed int
}

func (c Config) sweepInterval() time.Duration {
	if c.SweepInterval <= 0 {
		return time.Minute
	}
	return c.SweepInterval
}

func (c Config) revocationFeed() int {
	if c.RevocationFeed <= 0 {
		return 10000
	}
	return c.RevocationFeed
}
