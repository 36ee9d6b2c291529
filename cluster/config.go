package cluster

import "time"

// Config configures one cluster member.
type Config struct {
	// Name is the cluster name; members of one cluster share it. Zero means "parley".
	Name string
	// Host is the address the remote listener binds; zero means 127.0.0.1.
	Host string
	// Port is the remote listener port; zero picks a free one.
	Port int
	// RequestTimeout bounds one grain call; zero means 5s. A caller's context
	// deadline, when sooner, wins.
	RequestTimeout time.Duration
}

func (c Config) withDefaults() Config {
	if c.Name == "" {
		c.Name = "parley"
	}
	if c.Host == "" {
		c.Host = "127.0.0.1"
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = 5 * time.Second
	}
	return c
}
