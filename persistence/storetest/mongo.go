package storetest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// MongoURIEnv names the environment variable that points Mongo tests at an
// existing server (a real mongod or replica set) instead of an in-process one.
// Each test then works in its own database, named by UniqueName.
const MongoURIEnv = "PARLEY_TEST_MONGO_URI"

const (
	// mongoReadyTimeout bounds how long a freshly started server may take to
	// answer a ping; it normally takes a few milliseconds.
	mongoReadyTimeout = 15 * time.Second
	// mongoStartAttempts is how often Restart tries to bind the server's port.
	mongoStartAttempts = 3
)

// ferretNewMu serializes ferretdb.New, which writes a package-level version
// record; two servers starting at once would race on it.
var ferretNewMu sync.Mutex

// MongoServer is a MongoDB wire-protocol server running in this process for
// tests: FerretDB with its SQLite backend, listening on a 127.0.0.1 port with
// its data in a temporary directory. Stop and Restart simulate an outage;
// Restart brings it back on the same port with the same data, so clients that
// were connected before can reconnect without being reopened.
// Its methods are safe for concurrent use.
type MongoServer struct {
	tb   testing.TB // fails Stop and Restart; nil for the shared server
	dir  string     // SQLite data directory, kept across restarts
	addr string     // host:port, fixed after the first start

	mu   sync.Mutex
	stop func() // stops the running instance; nil while stopped
}

// StartMongoServer starts an in-process server for tb (whatever MongoURIEnv
// says: a test that stops the server needs one of its own) and stops it in
// tb.Cleanup. It skips the test under -short and fails it if the server does
// not answer within a few seconds.
func StartMongoServer(tb testing.TB) *MongoServer {
	tb.Helper()
	if testing.Short() {
		tb.Skip("storetest: -short skips tests that need a Mongo-compatible server")
	}
	s := &MongoServer{tb: tb, dir: tb.TempDir()}
	if err := s.start(); err != nil {
		tb.Fatalf("storetest: start mongo server: %v", err)
	}
	tb.Cleanup(s.halt) // before TempDir's cleanup: LIFO
	return s
}

// StartMongo returns the URI of a Mongo-compatible server for tb: MongoURIEnv
// when set, otherwise a server of its own from StartMongoServer. Tests choose
// their database with UniqueName, so they never see each other's data.
func StartMongo(tb testing.TB) string {
	tb.Helper()
	if uri := os.Getenv(MongoURIEnv); uri != "" {
		return uri
	}
	return StartMongoServer(tb).URI()
}

// URI returns the mongodb:// URI of the server. It stays the same across
// Stop and Restart.
func (s *MongoServer) URI() string {
	return (&url.URL{Scheme: "mongodb", Host: s.addr, Path: "/"}).String()
}

// Stop shuts the server down and returns once it no longer accepts or serves
// connections. FerretDB gives open connections up to 3 s to finish, so Stop
// may take that long. Stopping a stopped server does nothing.
func (s *MongoServer) Stop() {
	s.halt()
}

// Restart starts the server again on the same port and data directory, after
// stopping it if it is running, and waits until it answers a ping.
func (s *MongoServer) Restart() {
	s.halt()
	var err error
	for range mongoStartAttempts { // another process may hold the port for a moment
		if err = s.start(); err == nil {
			return
		}
	}
	s.fatalf("storetest: restart mongo server on %s: %v", s.addr, err)
}

func (s *MongoServer) fatalf(format string, args ...any) {
	if s.tb == nil {
		panic(fmt.Sprintf(format, args...)) // the shared server is never restarted
	}
	s.tb.Helper()
	s.tb.Fatalf(format, args...)
}

// halt stops the running instance, if any, and waits for it to finish.
func (s *MongoServer) halt() {
	s.mu.Lock()
	stop := s.stop
	s.stop = nil
	s.mu.Unlock()
	if stop != nil {
		stop()
	}
}

// start runs a new FerretDB instance on s.addr (a free port the first time)
// and waits until a client can ping it.
func (s *MongoServer) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stop != nil {
		return errors.New("already running")
	}
	addr := s.addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	f, err := newFerret(addr, s.dir)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = f.Run(ctx) // Run returns only when ctx is canceled, and always nil
	}()
	stop := func() { cancel(); <-done }
	if s.addr == "" {
		u, err := url.Parse(f.MongoDBURI()) // the listener is bound: the port is known
		if err != nil {
			stop()
			return fmt.Errorf("parse server uri: %w", err)
		}
		s.addr = u.Host
	}
	if err := waitMongo(s.URI(), mongoReadyTimeout); err != nil {
		stop()
		return err
	}
	s.stop = stop
	return nil
}

// newFerret builds (but does not run) a FerretDB instance listening on addr,
// with its SQLite files in dir.
func newFerret(addr, dir string) (*ferretdb.FerretDB, error) {
	ferretNewMu.Lock()
	defer ferretNewMu.Unlock()
	return ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: addr},
		Handler:   "sqlite",
		SQLiteURL: (&url.URL{Scheme: "file", Path: strings.TrimSuffix(dir, "/") + "/"}).String(),
		// FerretDB logs every connection and command at Info/Debug; only
		// errors, which mean the server itself is in trouble, reach stderr.
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})),
	})
}

// waitMongo polls uri with ping until it answers or timeout passes.
func waitMongo(uri string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	client, err := mongo.Connect(options.Client().ApplyURI(uri).
		SetServerSelectionTimeout(time.Second).SetConnectTimeout(time.Second))
	if err != nil {
		return fmt.Errorf("connect %s: %w", uri, err)
	}
	defer func() { _ = client.Disconnect(context.WithoutCancel(ctx)) }() // a probe: nothing to flush
	for delay := 5 * time.Millisecond; ; delay = min(2*delay, 200*time.Millisecond) {
		err = client.Ping(ctx, nil)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("ping %s: no answer within %v: %w", uri, timeout, err)
		case <-time.After(delay):
		}
	}
}

var sharedMongo struct {
	once sync.Once
	srv  *MongoServer
	uri  string
	err  error
}

// SharedMongo returns the URI of one Mongo-compatible server shared by every
// test of the package: MongoURIEnv when set, otherwise an in-process server
// started on first use. Tests keep apart by database name (UniqueName). The
// package's TestMain calls StopSharedMongo after m.Run. It skips under -short.
func SharedMongo(tb testing.TB) string {
	tb.Helper()
	if testing.Short() {
		tb.Skip("storetest: -short skips tests that need a Mongo-compatible server")
	}
	sharedMongo.once.Do(func() {
		if uri := os.Getenv(MongoURIEnv); uri != "" {
			sharedMongo.uri = uri
			return
		}
		dir, err := os.MkdirTemp("", "parley-mongo-")
		if err != nil {
			sharedMongo.err = err
			return
		}
		s := &MongoServer{dir: dir}
		if sharedMongo.err = s.start(); sharedMongo.err != nil {
			_ = os.RemoveAll(dir) // the server is not running: nothing else uses it
			return
		}
		sharedMongo.srv, sharedMongo.uri = s, s.URI()
	})
	if sharedMongo.err != nil {
		tb.Fatalf("storetest: start shared mongo server: %v", sharedMongo.err)
	}
	return sharedMongo.uri
}

// StopSharedMongo stops the server SharedMongo started, if any, and removes
// its data. Call it once from TestMain after m.Run.
func StopSharedMongo() {
	if s := sharedMongo.srv; s != nil {
		s.halt()
		_ = os.RemoveAll(s.dir) // a temp dir; nothing to do if it lingers
	}
}
