package actors

import (
	"log/slog"
	"time"

	"github.com/parleychat/parley/persistence"
)

// Config tunes the actors.
type Config struct {
	// Window is how many recent messages a room keeps in memory for subscribe
	// backlogs and edits; zero means 1024.
	Window int
	// MaxBatch bounds one group commit; zero means 512 operations.
	MaxBatch int
	// WriteTimeout bounds one batch write; zero means 5s.
	WriteTimeout time.Duration
	// LoadTimeout bounds a room's activation load; zero means 5s.
	LoadTimeout time.Duration
	// IdleTimeout passivates a room with no traffic and no watchers; zero means 2m.
	IdleTimeout time.Duration
	// Tick is how often rooms check idleness and relays re-watch their rooms
	// (recovering from room re-activations); zero means 2s.
	Tick time.Duration
	// MaxReplay bounds the messages replayed on subscribe; zero means 1000.
	// A subscriber further behind gets recovered=false and pages history.
	MaxReplay int
	// DedupeEntries bounds the remembered client ids per room; zero means 4096.
	// Older resends are still caught by the store's unique index.
	DedupeEntries int
	// MaxSubscriptions bounds the rooms one connection (session) may subscribe
	// at once, so one socket cannot make every room of the cluster fan out to
	// it; zero means 256.
	MaxSubscriptions int
}

func (c Config) withDefaults() Config {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defd := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.Window, 1024)
	def(&c.MaxBatch, 512)
	def(&c.MaxReplay, 1000)
	def(&c.DedupeEntries, 4096)
	def(&c.MaxSubscriptions, 256)
	defd(&c.WriteTimeout, 5*time.Second)
	defd(&c.LoadTimeout, 5*time.Second)
	defd(&c.IdleTimeout, 2*time.Minute)
	defd(&c.Tick, 2*time.Second)
	return c
}

// Deps is what the actors of one node need.
type Deps struct {
	Store  persistence.Store
	Log    *slog.Logger
	Config Config
	// Now returns the current time; nil means time.Now. Tests pin it.
	Now func() time.Time
}

func (d Deps) withDefaults() Deps {
	d.Config = d.Config.withDefaults()
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	return d
}
