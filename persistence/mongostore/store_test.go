package mongostore_test

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/persistence"
	"github.com/parleychat/parley/persistence/mongostore"
	"github.com/parleychat/parley/persistence/storetest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	storetest.StopSharedMongo()
	os.Exit(code)
}

// mustOpen opens a store on uri in a database of its own (the production
// defaults: w:"majority") and closes it in tb.Cleanup.
func mustOpen(tb testing.TB, uri string) *mongostore.Store {
	tb.Helper()
	return mustOpenConfig(tb, mongostore.Config{URI: uri, Database: storetest.UniqueName(tb)})
}

// mustOpenConfig opens a store with cfg and closes it in tb.Cleanup.
func mustOpenConfig(tb testing.TB, cfg mongostore.Config) *mongostore.Store {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := mongostore.Open(ctx, cfg)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	if os.Getenv(storetest.MongoURIEnv) != "" { // registered first, so it runs after Close
		tb.Cleanup(func() { dropDatabase(tb, cfg.URI, cfg.Database) })
	}
	tb.Cleanup(func() { _ = s.Close() }) // the test may have closed it already
	return s
}

// dropDatabase removes a test's database from a server that outlives the
// test run (MongoURIEnv); an in-process server's data goes with its temp dir.
func dropDatabase(tb testing.TB, uri, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	client, err := mongo.Connect(options.Client().ApplyURI(uri))
	if err == nil {
		err = client.Database(name).Drop(ctx)
		_ = client.Disconnect(ctx) // the drop's outcome is what matters
	}
	if err != nil {
		tb.Logf("drop test database %s: %v", name, err)
	}
}

func TestStore(t *testing.T) {
	uri := storetest.SharedMongo(t)
	storetest.Run(t, func(t *testing.T) persistence.Store { return mustOpen(t, uri) })
}

// TestOpen_Config: settings that cannot work are refused before any I/O.
func TestOpen_Config(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  mongostore.Config
	}{
		{"NoURI", mongostore.Config{}},
		{"BadURI", mongostore.Config{URI: "postgres://127.0.0.1/"}},
		{"Unacknowledged", mongostore.Config{URI: "mongodb://127.0.0.1:1/", WriteConcern: "0"}},
		{"Negative", mongostore.Config{URI: "mongodb://127.0.0.1:1/", WriteConcern: "-1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := mongostore.Open(t.Context(), tc.cfg)
			if err == nil {
				_ = s.Close()
				t.Fatalf("Open(%+v) = nil error, want one", tc.cfg)
			}
			if errors.Is(err, parley.ErrUnavailable) {
				t.Fatalf("Open(%+v) = %v: a bad setting is not an outage", tc.cfg, err)
			}
		})
	}
}

// TestOpen_Twice: index creation is idempotent, so every node (and every
// restart) opens the same database, with any write concern it is given.
func TestOpen_Twice(t *testing.T) {
	uri := storetest.SharedMongo(t)
	db := storetest.UniqueName(t)
	first := mustOpenConfig(t, mongostore.Config{URI: uri, Database: db})
	second := mustOpenConfig(t, mongostore.Config{URI: uri, Database: db, WriteConcern: "1", Journal: true})
	msg := parley.Message{ID: "m1", RoomID: "r1", Seq: 1, SenderID: "alice", Body: "hi", CreatedAt: time.Now()}
	if err := first.AppendMessages(t.Context(), []parley.Message{msg}); err != nil {
		t.Fatalf("AppendMessages: %v", err)
	}
	if err := second.AppendMessages(t.Context(), []parley.Message{msg}); !errors.Is(err, parley.ErrConflict) {
		t.Fatalf("AppendMessages of a taken seq through a second store = %v, want ErrConflict", err)
	}
}
