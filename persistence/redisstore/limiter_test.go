package redisstore_test

import (
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parleychat/parley/persistence"
	"github.com/parleychat/parley/persistence/redisstore"
	"github.com/parleychat/parley/persistence/storetest"
)

// BenchmarkStore_Allow measures one Allow round trip to a local redis-server
// from parallel callers: on one hot key (B-09: a single user flooding, mostly
// refused), and spread over many keys (B-36: many users, mostly allowed).
func BenchmarkStore_Allow(b *testing.B) {
	addr := storetest.SharedRedis(b)
	b.Run("OneKey", func(b *testing.B) {
		benchmarkAllow(b, addr, 1, persistence.Limit{Count: 10, Window: time.Minute})
	})
	b.Run("ManyKeys", func(b *testing.B) {
		benchmarkAllow(b, addr, 10000, persistence.Limit{Count: 100, Window: time.Second})
	})
}

func benchmarkAllow(b *testing.B, addr string, keys int, l persistence.Limit) {
	s := mustOpen(b, redisstore.Config{Addr: addr, KeyPrefix: storetest.UniqueName(b)})
	var next atomic.Uint64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			key := "send:user:" + strconv.FormatUint(next.Add(1)%uint64(keys), 10)
			if _, err := s.Allow(b.Context(), key, l); err != nil {
				b.Fatalf("Allow: %v", err)
			}
		}
	})
}
