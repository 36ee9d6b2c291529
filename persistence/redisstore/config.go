package redisstore

import (
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// Config configures a Store. Either URL or Addr is required.
type Config struct {
	// URL is a redis:// or rediss:// URL, e.g. "redis://:secret@redis:6379/0".
	// It supplies the address, credentials, database and TLS; pool and
	// timeout settings come from the fields below, whatever its query says.
	URL string
	// Addr is the host:port of Redis, used when URL is empty.
	Addr string
	// KeyPrefix namespaces every key: "<KeyPrefix>:limit:<key>" and so on.
	// Zero means "parley".
	KeyPrefix string
	// PoolSize caps the connections in use at once; a call that finds them
	// all busy waits up to PoolTimeout. Zero means 10 per CPU.
	PoolSize int
	// DialTimeout bounds opening one connection; zero means 1s.
	DialTimeout time.Duration
	// ReadTimeout bounds waiting for one reply; zero means 500ms.
	ReadTimeout time.Duration
	// WriteTimeout bounds sending one command; zero means 500ms.
	WriteTimeout time.Duration
	// PoolTimeout bounds waiting for a free connection when all are busy;
	// zero means 1s. Short, so that an exhausted pool fails calls with
	// parley.ErrUnavailable instead of queueing them for seconds.
	PoolTimeout time.Duration
	// OpTimeout bounds one call of the store, retries included; zero means 1s.
	OpTimeout time.Duration
	// MaxRetries is how often a command that failed on the network is retried;
	// zero means 1, negative means never. A retried Allow may count its event
	// twice, which errs on the strict side.
	MaxRetries int
	// RevocationFeed is how many of the latest revocations RevokedSince can
	// return; zero means 10000. Values below persistence.MinRevocationFeed
	// are for tests of readers that fall behind.
	RevocationFeed int
}

// options turns c into go-redis options.
func (c Config) options() (*redis.Options, error) {
	var o *redis.Options
	switch {
	case c.URL != "":
		var err error
		if o, err = redis.ParseURL(c.URL); err != nil {
			return nil, fmt.Errorf("parse url: %w", err)
		}
	case c.Addr != "":
		o = &redis.Options{Addr: c.Addr}
	default:
		return nil, errors.New("config needs URL or Addr")
	}
	o.PoolSize = c.PoolSize // zero: go-redis's default of 10 per CPU
	o.DialTimeout = orDefault(c.DialTimeout, time.Second)
	o.ReadTimeout = orDefault(c.ReadTimeout, 500*time.Millisecond)
	o.WriteTimeout = orDefault(c.WriteTimeout, 500*time.Millisecond)
	o.PoolTimeout = orDefault(c.PoolTimeout, time.Second)
	o.ContextTimeoutEnabled = true // OpTimeout and callers' deadlines cut socket waits short
	o.MaxRetries = c.MaxRetries
	if c.MaxRetries == 0 {
		o.MaxRetries = 1
	} else if c.MaxRetries < 0 {
		o.MaxRetries = -1 // go-redis: -1 disables retries
	}
	o.DialerRetries = 1 // one dial per attempt: MaxRetries already retries, OpTimeout bounds the whole
	// Maintenance notifications are a Redis Enterprise/Cloud handshake; plain
	// Redis answers it with an error on every new connection.
	o.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	return o, nil
}

func (c Config) keyPrefix() string {
	if c.KeyPrefix == "" {
		return "parley"
	}
	return c.KeyPrefix
}

func (c Config) revocationFeed() int {
	if c.RevocationFeed <= 0 {
		return 10000
	}
	return c.RevocationFeed
}

func (c Config) opTimeout() time.Duration { return orDefault(c.OpTimeout, time.Second) }

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}
