package sqlitestore

import (
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/persistence"
)

// benchStore opens a store in b's temp dir with one room per name.
func benchStore(b *testing.B, rooms ...parley.RoomID) *Store {
	b.Helper()
	s := mustOpen(b, Config{Dir: b.TempDir()})
	for _, id := range rooms {
		r := parley.Room{ID: id, Name: "bench " + string(id), Kind: parley.RoomPublic, CreatedBy: "alice"}
		if err := s.CreateRoom(b.Context(), r, parley.Member{UserID: "alice", Role: parley.RoleOwner}); err != nil {
			b.Fatalf("CreateRoom: %v", err)
		}
	}
	return s
}

// benchEpoch is the creation time of every benchmark message.
var benchEpoch = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// fillBatch makes batch the messages next, next+1, ... of room, each with a
// fresh id and client id and a typical 80-byte body.
func fillBatch(batch []parley.Message, room parley.RoomID, next uint64) {
	for i := range batch {
		seq := next + uint64(i)
		batch[i] = parley.Message{
			ID:        parley.MessageID(parley.NewID()),
			RoomID:    room,
			Seq:       seq,
			SenderID:  "alice",
			ClientID:  "c" + strconv.FormatUint(seq, 10),
			Body:      "a typical chat message of about eighty bytes, give or take a few characters ok",
			CreatedAt: benchEpoch,
		}
	}
}

// BenchmarkAppendMessages measures one group commit (a transaction, fsynced)
// of 1, 64 and 256 messages. Building the batch is not timed.
func BenchmarkAppendMessages(b *testing.B) {
	for _, size := range []int{1, 64, 256} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
			s := benchStore(b, "r1")
			batch := make([]parley.Message, size)
			next := uint64(1)
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				fillBatch(batch, "r1", next)
				next += uint64(size)
				b.StartTimer()
				if err := s.AppendMessages(b.Context(), batch); err != nil {
					b.Fatalf("AppendMessages: %v", err)
				}
			}
			b.ReportMetric(float64(next-1)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}

// BenchmarkAppendMessagesParallel measures writers of different rooms
// appending batches of 16 at once: they queue for the one write connection.
func BenchmarkAppendMessagesParallel(b *testing.B) {
	const size, rooms = 16, 64
	ids := make([]parley.RoomID, rooms)
	for i := range ids {
		ids[i] = parley.RoomID(fmt.Sprintf("r%d", i))
	}
	s := benchStore(b, ids...)
	var room, total atomic.Uint64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		id := ids[room.Add(1)-1]
		batch := make([]parley.Message, size)
		next := uint64(1)
		for pb.Next() {
			fillBatch(batch, id, next)
			next += size
			if err := s.AppendMessages(b.Context(), batch); err != nil {
				b.Errorf("AppendMessages: %v", err)
				return
			}
			total.Add(size)
		}
	})
	b.ReportMetric(float64(total.Load())/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkAppendMessagesRooms measures many busy rooms, each with small
// batches: 100 callers, one room each, append 1 to 4 messages per call (one
// room actor's group commit under light load). Concurrent calls share a
// transaction and its fsync, so msgs/s should approach that of big batches.
func BenchmarkAppendMessagesRooms(b *testing.B) {
	const callers = 100
	ids := make([]parley.RoomID, callers)
	for i := range ids {
		ids[i] = parley.RoomID(fmt.Sprintf("r%d", i))
	}
	s := benchStore(b, ids...)
	var calls, total atomic.Int64
	var wg sync.WaitGroup
	b.ReportAllocs()
	b.ResetTimer()
	for _, id := range ids {
		wg.Go(func() {
			batch := make([]parley.Message, 4)
			next := uint64(1)
			for i := calls.Add(1); i <= int64(b.N); i = calls.Add(1) {
				size := 1 + int(i%4)
				fillBatch(batch[:size], id, next)
				next += uint64(size)
				if err := s.AppendMessages(b.Context(), batch[:size]); err != nil {
					b.Errorf("AppendMessages: %v", err)
					return
				}
				total.Add(int64(size))
			}
		})
	}
	wg.Wait()
	b.ReportMetric(float64(total.Load())/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkMessagesPage reads a page of 50 from a room of 10,000 messages:
// the newest page, and one deep in history by a Before cursor.
func BenchmarkMessagesPage(b *testing.B) {
	const total, size = 10_000, 256
	s := benchStore(b, "r1")
	batch := make([]parley.Message, size)
	for next := uint64(1); next <= total; next += size {
		n := min(size, total-int(next)+1)
		fillBatch(batch[:n], "r1", next)
		if err := s.AppendMessages(b.Context(), batch[:n]); err != nil {
			b.Fatalf("AppendMessages: %v", err)
		}
	}
	for _, q := range []persistence.MessageQuery{
		{Room: "r1", Limit: 50},
		{Room: "r1", Before: 5000, Limit: 50},
		{Room: "r1", After: 5000, Limit: 50},
	} {
		b.Run(fmt.Sprintf("before=%d/after=%d", q.Before, q.After), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				msgs, err := s.Messages(b.Context(), q)
				if err != nil || len(msgs) != 50 {
					b.Fatalf("Messages(%+v) = %d messages, %v", q, len(msgs), err)
				}
			}
			b.ReportMetric(float64(b.N*50)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}
