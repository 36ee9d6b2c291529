package mongostore_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/persistence"
	"github.com/parleychat/parley/persistence/storetest"
)

// benchMessages returns messages from..from+n-1 of room.
func benchMessages(room parley.RoomID, from uint64, n int, at time.Time) []parley.Message {
	out := make([]parley.Message, n)
	for i := range out {
		seq := from + uint64(i)
		out[i] = parley.Message{
			ID: parley.MessageID(fmt.Sprintf("%s-%d", room, seq)), RoomID: room, Seq: seq,
			SenderID: "alice", ClientID: fmt.Sprintf("c%d", seq),
			Body: "a chat message of an ordinary length, about sixty bytes long", CreatedAt: at,
		}
	}
	return out
}

// BenchmarkAppendMessages: the room actor's group commit, one batch per op.
// msgs/s is the store's write throughput for one room at that batch size.
func BenchmarkAppendMessages(b *testing.B) {
	uri := storetest.SharedMongo(b)
	for _, size := range []int{1, 64, 256} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
			s := mustOpen(b, uri)
			at := time.Now()
			b.ReportAllocs()
			seq := uint64(1)
			for b.Loop() {
				b.StopTimer()
				batch := benchMessages("r1", seq, size, at)
				b.StartTimer()
				if err := s.AppendMessages(b.Context(), batch); err != nil {
					b.Fatal(err)
				}
				seq += uint64(size)
			}
			b.ReportMetric(float64(seq-1)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}

// BenchmarkMessagesPage: one 50-message history page of a 10k-message room,
// the newest page and one from the middle (a Before cursor).
func BenchmarkMessagesPage(b *testing.B) {
	const total, batch = 10_000, 500
	s := mustOpen(b, storetest.SharedMongo(b))
	at := time.Now()
	for from := uint64(1); from <= total; from += batch {
		if err := s.AppendMessages(b.Context(), benchMessages("r1", from, batch, at)); err != nil {
			b.Fatal(err)
		}
	}
	for _, q := range []persistence.MessageQuery{
		{Room: "r1", Limit: 50},
		{Room: "r1", Before: total / 2, Limit: 50},
	} {
		b.Run(fmt.Sprintf("before=%d", q.Before), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				page, err := s.Messages(b.Context(), q)
				if err != nil || len(page) != 50 {
					b.Fatalf("Messages(%+v) = %d messages, %v", q, len(page), err)
				}
			}
		})
	}
}
