package redisstore_test

import (
	"os"
	"testing"

	"github.com/parleychat/parley/persistence"
	"github.com/parleychat/parley/persistence/redisstore"
	"github.com/parleychat/parley/persistence/storetest"
)

// TestMain shares one redis-server among the package's tests (each keeps to
// its own key prefix) and stops it at the end.
func TestMain(m *testing.M) {
	code := m.Run()
	storetest.StopSharedRedis()
	os.Exit(code)
}

func TestStore(t *testing.T) {
	addr := storetest.SharedRedis(t)
	storetest.RunShared(t, func(t *testing.T) persistence.Shared {
		return mustOpen(t, redisstore.Config{Addr: addr, KeyPrefix: storetest.UniqueName(t)})
	})
}

// mustOpen opens a Store for cfg, failing t on an error, and closes it in t.Cleanup.
func mustOpen(t testing.TB, cfg redisstore.Config) *redisstore.Store {
	t.Helper()
	s, err := redisstore.Open(t.Context(), cfg)
	if err != nil {
		t.Fatalf("Open(%+v): %v", cfg, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// TestStore_RevocationFeedBehind checks a reader that falls out of a short feed.
func TestStore_RevocationFeedBehind(t *testing.T) {
	addr := storetest.SharedRedis(t)
	s := mustOpen(t, redisstore.Config{Addr: addr, KeyPrefix: storetest.UniqueName(t), RevocationFeed: 3})
	storetest.RunRevocationFeedBehind(t, s, 3)
}
