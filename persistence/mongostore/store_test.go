package mongostore_test

import (
	"context"
	"os"
	"testing"
	"time"

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
	tb.Cleanup(func() { _ = s.Close() }) // the test may have closed it already
	return s
}

func TestStore(t *testing.T) {
	uri := storetest.SharedMongo(t)
	storetest.Run(t, func(t *testing.T) persistence.Store { return mustOpen(t, uri) })
}
