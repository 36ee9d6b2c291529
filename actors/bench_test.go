package actors_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/actors"
)

// BenchmarkSend measures durable sends through the cluster API: each op is one
// message acked after its batch committed to SQLite, with synchronous=FULL
// (the default: fsync per commit) or NORMAL (sync=relaxed: survives a process
// crash, not a power loss). Parallel callers let group commit batch writes.
func BenchmarkSend(b *testing.B) {
	for _, c := range []struct {
		rooms   int
		relaxed bool
	}{{1, false}, {100, false}, {1, true}, {100, true}} {
		sync := map[bool]string{false: "full", true: "relaxed"}[c.relaxed]
		rooms := c.rooms
		b.Run(fmt.Sprintf("rooms=%d/sync=%s", rooms, sync), func(b *testing.B) {
			nd := startNodeSync(b, b.TempDir(), actors.Config{}, c.relaxed)
			ids := make([]parley.RoomID, rooms)
			for i := range ids {
				ids[i] = nd.newRoom(b, "alice")
			}
			var n atomic.Int64
			b.SetParallelism(64) // 64 x GOMAXPROCS concurrent senders
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				who := parley.Principal{User: "alice"}
				for pb.Next() {
					i := n.Add(1)
					room := ids[int(i)%len(ids)]
					if _, _, err := nd.rooms.Post(context.Background(), room, who, fmt.Sprint("c", i), "hello"); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "sends/s")
		})
	}
}

// counter is an outbox that only counts what it is given.
type counter struct{ n atomic.Int64 }

func (c *counter) Push([]byte) bool { c.n.Add(1); return true }

// BenchmarkFanout measures delivery from one room to 1000 local subscribers:
// each op is one message delivered to all of them.
func BenchmarkFanout(b *testing.B) {
	const subscribers = 1000
	nd := startNode(b, b.TempDir(), actors.Config{})
	room := nd.newRoom(b, "alice")
	outs := make([]*counter, subscribers)
	for i := range outs {
		outs[i] = &counter{}
		s := nd.n.OpenSession(parley.ConnID(fmt.Sprint("s", i)), parley.Principal{User: "owner"}, outs[i])
		b.Cleanup(s.Close)
		if err := s.Subscribe(context.Background(), 1, room, 0); err != nil {
			b.Fatal(err)
		}
	}
	base := make([]int64, subscribers)
	for i, o := range outs {
		base[i] = o.n.Load()
	}
	b.ReportAllocs()
	b.ResetTimer()
	who := parley.Principal{User: "alice"}
	for i := 0; i < b.N; i++ {
		if _, _, err := nd.rooms.Post(context.Background(), room, who, fmt.Sprint("f", i), "hello"); err != nil {
			b.Fatal(err)
		}
	}
	deadline := time.Now().Add(time.Minute)
	for i, o := range outs {
		for o.n.Load()-base[i] < int64(b.N) {
			if time.Now().After(deadline) {
				b.Fatalf("subscriber %d got %d of %d", i, o.n.Load()-base[i], b.N)
			}
			time.Sleep(time.Millisecond)
		}
	}
	b.ReportMetric(float64(b.N*subscribers)/b.Elapsed().Seconds(), "deliveries/s")
}
