package actors

import (
	"context"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/scheduler"
	"github.com/parleychat/parley"
	"github.com/parleychat/parley/api/wsproto"
	"github.com/parleychat/parley/cluster"
	"github.com/parleychat/parley/cluster/chatpb"
)

// relay is a node's single watcher of rooms: each room sends it an event once,
// and it hands the same frame to every local session subscribed to the room,
// in seq order. It re-watches its rooms on every tick (rooms re-activated after
// a failure or a topology change forget their watchers) and fills any gap in
// seq from the room and the store before delivering further.
type relay struct {
	deps     Deps
	rooms    *cluster.RoomClient
	subs     map[parley.RoomID]*relayRoom
	stopTick scheduler.CancelFunc
}

type relayRoom struct {
	sessions map[*Session]struct{}
	last     uint64          // last message seq delivered; 0 until the first
	held     []*chatpb.Event // events waiting behind a gap
	filling  bool            // a re-watch is in flight
}

// Local messages of the relay (never cross nodes).
type (
	addSub struct {
		room parley.RoomID
		s    *Session
	}
	removeSub struct {
		room parley.RoomID
		s    *Session
	}
	// seen tells the relay where a new subscription started, so a relay that
	// has delivered nothing yet for the room knows its position.
	seen struct {
		room parley.RoomID
		seq  uint64
	}
	fill struct {
		room parley.RoomID
		msgs []parley.Message
		err  error
	}
)

// maxHeld bounds the events a relay holds behind a gap; past it the room's
// subscribers are told to resync.
const maxHeld = 4096

func newRelay(deps Deps, rooms *cluster.RoomClient) actor.Actor {
	return &relay{deps: deps, rooms: rooms, subs: map[parley.RoomID]*relayRoom{}}
}

func (rl *relay) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *actor.Started:
		rl.stopTick = scheduler.NewTimerScheduler(ctx.ActorSystem().Root).
			SendRepeatedly(rl.deps.Config.Tick, rl.deps.Config.Tick, ctx.Self(), tick{})
	case *chatpb.Event:
		rl.event(ctx, msg)
	case addSub:
		rl.add(msg)
	case removeSub:
		rl.remove(msg.room, msg.s)
	case seen:
		if rr := rl.subs[msg.room]; rr != nil && rr.last == 0 {
			rr.last = msg.seq
		}
	case *fill:
		rl.filled(ctx, msg)
	case tick:
		rl.rewatchAll(ctx)
	case *actor.Stopping:
		if rl.stopTick != nil {
			rl.stopTick()
		}
	}
}

func (rl *relay) add(m addSub) {
	rr := rl.subs[m.room]
	if rr == nil {
		rr = &relayRoom{sessions: map[*Session]struct{}{}}
		rl.subs[m.room] = rr
	}
	rr.sessions[m.s] = struct{}{}
}

// remove ends a session's subscription. The room's lease on this relay lapses
// by itself once no session here reads the room.
func (rl *relay) remove(room parley.RoomID, s *Session) {
	rr := rl.subs[room]
	if rr == nil {
		return
	}
	delete(rr.sessions, s)
	if len(rr.sessions) == 0 {
		delete(rl.subs, room)
	}
}

func (rl *relay) event(ctx actor.Context, ev *chatpb.Event) {
	room := parley.RoomID(ev.GetRoom())
	rr := rl.subs[room]
	switch {
	case rr == nil:
		return // a late event for a room nobody here reads any more
	case rr.filling:
		rl.hold(room, rr, ev)
	case ev.GetSeq() > 0 && rr.last > 0 && ev.GetSeq() > rr.last+1:
		rl.hold(room, rr, ev)
		rl.rewatch(ctx, room, rr)
	default:
		rl.deliver(room, rr, ev)
	}
}

func (rl *relay) hold(room parley.RoomID, rr *relayRoom, ev *chatpb.Event) {
	if len(rr.held) < maxHeld {
		rr.held = append(rr.held, ev)
		return
	}
	rr.held = nil
	rl.deliver(room, rr, &chatpb.Event{Room: string(room), Frame: wsproto.AppendResync(nil, room), DropAll: true})
}

// deliver hands ev to every local subscriber, dropping message events this
// node has already delivered, then ends the subscriptions ev asks to end.
func (rl *relay) deliver(room parley.RoomID, rr *relayRoom, ev *chatpb.Event) {
	if seq := ev.GetSeq(); seq > 0 {
		if seq <= rr.last {
			return
		}
		rr.last = seq
	}
	for s := range rr.sessions {
		s.deliver(room, ev)
	}
	for _, u := range ev.GetDropUsers() {
		for s := range rr.sessions {
			if s.who.User == parley.UserID(u) {
				s.dropped(room)
				delete(rr.sessions, s)
			}
		}
	}
	if ev.GetDropAll() {
		for s := range rr.sessions {
			s.dropped(room)
		}
		delete(rl.subs, room)
	}
}

func (rl *relay) rewatchAll(ctx actor.Context) {
	for room, rr := range rl.subs {
		if !rr.filling {
			rl.rewatch(ctx, room, rr)
		}
	}
}

// rewatch registers this relay with the room again and fetches what it missed
// since rr.last, off the mailbox; the answer comes back as *fill.
func (rl *relay) rewatch(ctx actor.Context, room parley.RoomID, rr *relayRoom) {
	rr.filling = true
	self, root, since := ctx.Self(), ctx.ActorSystem().Root, rr.last
	deps, rooms := rl.deps, rl.rooms
	go func() {
		cctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
		defer cancel()
		f := &fill{room: room}
		resp, err := rooms.Subscribe(cctx, room, parley.Principal{}, since, self)
		if err == nil && since > 0 {
			f.msgs, _, err = catchUp(cctx, deps.Store, room, since, messagesFromPB(resp.GetBacklog()), resp.GetWindowStart(), deps.Config.MaxReplay)
		}
		f.err = err
		root.Send(self, f)
	}()
}

func (rl *relay) filled(ctx actor.Context, f *fill) {
	rr := rl.subs[f.room]
	if rr == nil {
		return
	}
	rr.filling = false
	if f.err != nil {
		if parley.Classify(f.err) == parley.ErrRoomNotFound {
			rl.deliver(f.room, rr, &chatpb.Event{Room: string(f.room), Frame: wsproto.AppendResync(nil, f.room), DropAll: true})
		}
		return // otherwise the next tick tries again; held events wait
	}
	for _, m := range f.msgs {
		if m.Seq > rr.last {
			rl.deliver(f.room, rr, &chatpb.Event{Room: string(f.room), Seq: m.Seq, AtSeq: m.Seq, Frame: wsproto.AppendMessage(nil, m)})
		}
	}
	held := rr.held
	rr.held = nil
	for _, ev := range held {
		rl.event(ctx, ev)
	}
}

func messagesFromPB(pbs []*chatpb.Message) []parley.Message {
	out := make([]parley.Message, len(pbs))
	for i, m := range pbs {
		out[i] = cluster.MessageFromPB(m)
	}
	return out
}
