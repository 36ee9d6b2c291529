package actors

import "github.com/parleychat/parley"

// ring holds a room's most recent committed messages, oldest first. Seqs in it
// are consecutive (a room's seqs have no gaps), so a lookup by seq is an index
// computation; pushing past capacity drops the oldest without copying.
type ring struct {
	buf  []parley.Message
	head int // index of the oldest
	n    int
}

func newRing(capacity int) ring { return ring{buf: make([]parley.Message, max(capacity, 1))} }

func (r *ring) at(i int) *parley.Message { return &r.buf[(r.head+i)%len(r.buf)] }

func (r *ring) oldest() *parley.Message { return r.at(0) }

func (r *ring) newest() *parley.Message { return r.at(r.n - 1) }

// push appends m, dropping the oldest message when full.
func (r *ring) push(m parley.Message) {
	if r.n < len(r.buf) {
		*r.at(r.n) = m
		r.n++
		return
	}
	r.buf[r.head] = m
	r.head = (r.head + 1) % len(r.buf)
}

// find returns the message with seq, or nil when the ring does not hold it.
func (r *ring) find(seq uint64) *parley.Message {
	if r.n == 0 || seq < r.oldest().Seq {
		return nil
	}
	i := seq - r.oldest().Seq
	if i >= uint64(r.n) {
		return nil
	}
	if p := r.at(int(i)); p.Seq == seq {
		return p
	}
	return nil
}
