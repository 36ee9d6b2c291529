package actors

import (
	"context"
	"sync"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/api/wsproto"
	"github.com/parleychat/parley/cluster/chatpb"
)

// Outbox is a connection's bounded outbound queue. Push never blocks; false
// means the connection fell behind and is being closed.
type Outbox interface {
	Push(frame []byte) bool
}

// Session is one client connection's view of its rooms: which it subscribes,
// and up to which seq it has delivered each, so the seam between a subscribe
// backlog and live events has no gap and no duplicate.
type Session struct {
	node *Node
	id   parley.ConnID
	who  parley.Principal
	out  Outbox

	mu     sync.Mutex
	subs   map[parley.RoomID]*sessionSub
	closed bool
}

type sessionSub struct {
	live bool
	last uint64          // last message seq delivered to the client
	held []*chatpb.Event // live events that arrived before the backlog was sent
}

// OpenSession starts a session for one connection of who, writing to out.
func (n *Node) OpenSession(id parley.ConnID, who parley.Principal, out Outbox) *Session {
	return &Session{node: n, id: id, who: who, out: out, subs: map[parley.RoomID]*sessionSub{}}
}

// Subscribe authorizes the subscription with the room, then pushes, in this
// order and with nothing in between: the reply to request reqID, every message
// after since (at most Config.MaxReplay; recovered=false in the reply when more
// were missing or since is ahead of the room), and from then on live events.
// On error nothing is pushed and the caller sends the error frame.
func (s *Session) Subscribe(ctx context.Context, reqID uint64, room parley.RoomID, since uint64) error {
	sub := &sessionSub{}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return parley.ErrUnavailable
	}
	if _, ok := s.subs[room]; !ok && len(s.subs) >= s.node.deps.Config.MaxSubscriptions {
		s.mu.Unlock()
		return parley.Invalid("room", "too many subscriptions on this connection")
	}
	s.subs[room] = sub // a resubscribe replaces the old state
	s.mu.Unlock()
	s.node.send(addSub{room, s})

	msgs, lastSeq, recovered, err := s.fetch(ctx, room, since)
	if err != nil {
		s.forget(room, sub)
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.subs[room] != sub { // dropped (kicked) or replaced meanwhile
		return parley.ErrNotMember
	}
	s.push(wsproto.AppendReply(nil, wsproto.Reply{ID: reqID, HasSub: true, LastSeq: lastSeq, Recovered: recovered}))
	for _, m := range msgs {
		s.push(wsproto.AppendMessage(nil, m)) // the outbox owns each frame
	}
	sub.last, sub.live = lastSeq, true
	s.node.send(seen{room, lastSeq})
	held := sub.held
	sub.held = nil
	for _, ev := range held {
		s.deliverLocked(room, sub, ev)
	}
	return nil
}

// fetch asks the room for its position and backlog and reads older messages
// from the store when the room's window does not reach back to since.
func (s *Session) fetch(ctx context.Context, room parley.RoomID, since uint64) (msgs []parley.Message, lastSeq uint64, recovered bool, err error) {
	resp, err := s.node.rooms.Subscribe(ctx, room, s.who, since, s.node.relay)
	if err != nil {
		return nil, 0, false, err
	}
	lastSeq = resp.GetLastSeq()
	if since > lastSeq { // ahead of the room: not a position in this room's history
		return nil, lastSeq, false, nil
	}
	msgs, recovered, err = catchUp(ctx, s.node.deps.Store, room, since, messagesFromPB(resp.GetBacklog()),
		resp.GetWindowStart(), s.node.deps.Config.MaxReplay)
	return msgs, lastSeq, recovered, err
}

// forget removes sub if it is still the room's subscription.
func (s *Session) forget(room parley.RoomID, sub *sessionSub) {
	s.mu.Lock()
	mine := s.subs[room] == sub
	if mine {
		delete(s.subs, room)
	}
	s.mu.Unlock()
	if mine {
		s.node.send(removeSub{room, s})
	}
}

// Unsubscribe stops delivery of room's events; false if it was not subscribed.
func (s *Session) Unsubscribe(room parley.RoomID) bool {
	s.mu.Lock()
	_, ok := s.subs[room]
	delete(s.subs, room)
	s.mu.Unlock()
	if ok {
		s.node.send(removeSub{room, s})
	}
	return ok
}

// Close ends every subscription. The session is unusable afterwards.
func (s *Session) Close() {
	s.mu.Lock()
	rooms := make([]parley.RoomID, 0, len(s.subs))
	for r := range s.subs {
		rooms = append(rooms, r)
	}
	s.subs, s.closed = map[parley.RoomID]*sessionSub{}, true
	s.mu.Unlock()
	for _, r := range rooms {
		s.node.send(removeSub{r, s})
	}
}

// Rooms returns the rooms subscribed now.
func (s *Session) Rooms() []parley.RoomID {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]parley.RoomID, 0, len(s.subs))
	for r := range s.subs {
		out = append(out, r)
	}
	return out
}

// deliver is called by the relay, in the room's order.
func (s *Session) deliver(room parley.RoomID, ev *chatpb.Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sub := s.subs[room]; sub != nil {
		s.deliverLocked(room, sub, ev)
	}
}

func (s *Session) deliverLocked(room parley.RoomID, sub *sessionSub, ev *chatpb.Event) {
	if !sub.live {
		if len(sub.held) >= maxHeld {
			s.resyncLocked(room)
			return
		}
		sub.held = append(sub.held, ev)
		return
	}
	if seq := ev.GetSeq(); seq > 0 {
		if seq <= sub.last {
			return // already in the backlog
		}
		if seq > sub.last+1 { // cannot happen while the relay orders; never show a gap
			s.resyncLocked(room)
			return
		}
		sub.last = seq
	}
	s.push(ev.GetFrame())
}

// resyncLocked tells the client its view of room has a hole and ends the
// subscription; the client subscribes again with since.
func (s *Session) resyncLocked(room parley.RoomID) {
	delete(s.subs, room)
	s.push(wsproto.AppendResync(nil, room))
	s.node.send(removeSub{room, s}) // only enqueues: safe under our lock and from the relay itself
}

// dropped ends the subscription after the relay delivered a kick, ban, leave or
// room deletion.
func (s *Session) dropped(room parley.RoomID) {
	s.mu.Lock()
	delete(s.subs, room)
	s.mu.Unlock()
}

func (s *Session) push(frame []byte) {
	if !s.closed {
		s.out.Push(frame)
	}
}
