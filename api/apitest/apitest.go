package apitest

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/actors"
	"github.com/parleychat/parley/api"
	"github.com/parleychat/parley/cluster"
	"github.com/parleychat/parley/persistence"
	"github.com/parleychat/parley/persistence/memstore"
	"github.com/parleychat/parley/persistence/sqlitestore"
)

// Secret is the HS256 key of every Env; tests mint tokens with it.
var Secret = []byte("apitest-secret-0123456789abcdef!")

// Options tune Start. The zero value is what most tests want.
type Options struct {
	// Config is the server's configuration. Start lowers the password hashing
	// cost and raises the login, send and per-user socket limits unless the
	// test set them.
	Config api.Config
	// Dir is the data directory; zero means a fresh t.TempDir(). Pass the Dir
	// of a stopped Env to restart on the same data.
	Dir string
	// Log receives every component's logs; nil discards them unless
	// PARLEY_TEST_LOG is set, which sends them to stderr.
	Log *slog.Logger
	// Shared is the shared state; nil means a fresh in-process one. Give an
	// Env and its Peer clients of one Redis to make them two nodes of one
	// deployment. The caller closes it.
	Shared persistence.Shared
	// Store is the durable store; nil means SQLite in Dir. Pass a mongostore
	// to run the stack on MongoDB. The caller closes it.
	Store persistence.Store
	// Peer, when set, makes this Env a second HTTP node beside Peer: its own
	// server, listener and Shared, over Peer's actor cluster and node (and
	// store, unless Store is set). See peer.go. Peer must stop last.
	Peer *Env
}

// Env is one running stack.
type Env struct {
	URL     string // http://127.0.0.1:port, no trailing slash
	Addr    string // 127.0.0.1:port
	Dir     string // the data directory
	Server  *api.Server
	Store   persistence.Store
	Shared  persistence.Shared
	Cluster *cluster.Cluster
	Node    *actors.Node
	Client  *http.Client

	ownShared bool // Shared was made by Start: Stop closes it
	ownStore  bool // Store was made by Start: Stop closes it
	ownActors bool // Cluster and Node were started by Start: Stop stops them
	stopOnce  sync.Once
	served    chan error
}

// Start starts a stack with default options and stops it in t.Cleanup.
func Start(t testing.TB) *Env { return StartWith(t, Options{}) }

// StartWith starts a stack with o and stops it in t.Cleanup.
func StartWith(t testing.TB, o Options) *Env {
	t.Helper()
	o = o.withDefaults(t)
	e := &Env{Dir: o.Dir, served: make(chan error, 1), Client: &http.Client{Timeout: 30 * time.Second}}
	t.Cleanup(func() { e.Stop(t) })
	if err := e.start(o); err != nil {
		t.Fatalf("apitest: start: %v", err)
	}
	return e
}

func (o Options) withDefaults(t testing.TB) Options {
	if o.Dir == "" {
		o.Dir = t.TempDir()
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
		if os.Getenv("PARLEY_TEST_LOG") != "" {
			o.Log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
		}
	}
	if o.Config.Password == (api.PasswordParams{}) {
		o.Config.Password = api.PasswordParams{MemoryKiB: 1024, Time: 1, Threads: 1} // fast: tests hash a lot
	}
	if o.Config.LoginLimit.Count == 0 {
		o.Config.LoginLimit.Count = 100_000
	}
	if o.Config.SendLimit.Count == 0 {
		o.Config.SendLimit.Count = 100_000
	}
	if o.Config.WS.MaxConnsPerUser == 0 { // tests open many sockets as one user
		o.Config.WS.MaxConnsPerUser = 10_000
	}
	raiseLimits(&o.Config)
	return o
}

func (e *Env) start(o Options) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var err error
	store := o.store()
	ownStore := store == nil
	if ownStore {
		if store, err = sqlitestore.Open(ctx, sqlitestore.Config{Dir: o.Dir}); err != nil {
			return err
		}
	}
	e.Store, e.ownStore, e.Shared, e.ownShared = store, ownStore, o.Shared, false
	if e.Shared == nil {
		e.Shared, e.ownShared = memstore.New(memstore.Config{}), true
	}
	if err := e.startActors(o, store); err != nil {
		return err
	}
	e.Server, err = api.New(o.Config, api.Deps{
		Store: store, Shared: e.Shared, Rooms: e.Cluster.Rooms(), Node: e.Node, Log: o.Log, Secret: Secret,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	e.Addr = ln.Addr().String()
	e.URL = "http://" + e.Addr
	go func() { e.served <- e.Server.Listen(ln) }()
	return nil
}

// Stop shuts the stack down in the order parleyd does: HTTP and WebSockets,
// the actor node (flushing room batches), the cluster, then the stores. It is
// safe to call more than once; Cleanup calls it too.
func (e *Env) Stop(t testing.TB) {
	t.Helper()
	e.stopOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		var errs []error
		if e.Server != nil {
			errs = append(errs, e.Server.Shutdown(ctx))
			if e.URL != "" {
				errs = append(errs, <-e.served)
			}
		}
		if e.Node != nil && e.ownActors {
			e.Node.Stop()
		}
		if e.Cluster != nil && e.ownActors {
			e.Cluster.Stop()
		}
		if e.Shared != nil && e.ownShared {
			errs = append(errs, e.Shared.Close())
		}
		if e.Store != nil && e.ownStore {
			errs = append(errs, e.Store.Close())
		}
		if err := errors.Join(errs...); err != nil {
			t.Errorf("apitest: stop: %v", err)
		}
	})
}

// Token mints an access token for user (platform admin if admin), valid for
// an hour. The user need not exist in the store.
func (e *Env) Token(t testing.TB, user parley.UserID, admin bool) string {
	t.Helper()
	tok, err := api.MintAccessToken(Secret, "", parley.Principal{User: user, Admin: admin}, time.Hour, time.Now())
	if err != nil {
		t.Fatalf("apitest: mint token: %v", err)
	}
	return tok
}
