package actors

import (
	"github.com/asynkron/protoactor-go/actor"
	"github.com/parleychat/parley"
	"github.com/parleychat/parley/api/wsproto"
	"github.com/parleychat/parley/cluster"
	"github.com/parleychat/parley/cluster/chatpb"
)

// commit applies a stored op: the room remembers it, answers whoever waits and
// tells every watching node, with the event encoded once.
func (r *room) commit(ctx actor.Context, o *op) {
	switch o.kind {
	case opPost:
		r.commitPost(ctx, o)
	case opMembers:
		r.commitMembers(ctx, o)
	case opMessage:
		r.st.replace(o.msg)
		respond(ctx, o.replyTo, &chatpb.MessageResponse{Message: cluster.MessageToPB(o.msg.Public())}, nil)
		frame := wsproto.AppendMessageEdited(nil, o.msg)
		if o.event == wsproto.TypeMessageDeleted {
			frame = wsproto.AppendMessageDeleted(nil, o.msg)
		}
		r.fanout(ctx, &chatpb.Event{Room: string(r.id), AtSeq: r.st.lastSeq, Frame: frame})
	case opRoom:
		respond(ctx, o.replyTo, &chatpb.RoomResponse{Room: cluster.RoomToPB(o.room), LastSeq: r.st.lastSeq}, nil)
		r.fanout(ctx, &chatpb.Event{Room: string(r.id), AtSeq: r.st.lastSeq, Frame: wsproto.AppendRoomEvent(nil, o.event, o.room),
			DropAll: o.room.IsDeleted()})
	}
}

func (r *room) commitPost(ctx actor.Context, o *op) {
	delete(r.pending, dedupeKey{o.msg.SenderID, o.msg.ClientID})
	r.st.remember(o.msg)
	pb := cluster.MessageToPB(o.msg)
	for i, w := range o.waiters {
		respond(ctx, w, &chatpb.PostResponse{Message: pb, Duplicate: i > 0}, nil)
	}
	r.fanout(ctx, &chatpb.Event{Room: string(r.id), Seq: o.msg.Seq, AtSeq: o.msg.Seq, Frame: wsproto.AppendMessage(nil, o.msg)})
}

func (r *room) commitMembers(ctx actor.Context, o *op) {
	last := o.members[len(o.members)-1].rec
	respond(ctx, o.replyTo, &chatpb.MemberResponse{Member: cluster.MemberToPB(last)}, nil)
	for _, e := range o.members {
		if e.typ == "" {
			continue
		}
		ev := &chatpb.Event{Room: string(r.id), AtSeq: r.st.lastSeq, Frame: memberFrame(e, o.by, r.st.lastSeq)}
		if e.drop {
			ev.DropUsers = []string{string(e.rec.UserID)}
		}
		r.fanout(ctx, ev)
	}
}

// fanout sends ev to each watching relay, once per node. Local relays get the
// same pointer, so the frame is never copied.
func (r *room) fanout(ctx actor.Context, ev *chatpb.Event) {
	for _, w := range r.watchers {
		ctx.Send(w.pid, ev)
	}
}

// signal fans an ephemeral event out at once: nothing to store, so nothing to
// wait for, and it takes no place in the room's order.
func (r *room) signal(ctx actor.Context, req *chatpb.SignalRequest) {
	if !r.usable(ctx) {
		return
	}
	who := cluster.PrincipalFromPB(req.GetWho())
	if err := r.st.authorize(who, parley.ActRead, parley.Target{}); err != nil {
		respond(ctx, ctx.Sender(), nil, err)
		return
	}
	var frame []byte
	switch req.GetKind() {
	case chatpb.SignalKind_SIGNAL_KIND_ONLINE, chatpb.SignalKind_SIGNAL_KIND_OFFLINE:
		frame = wsproto.AppendPresence(nil, r.id, who.User, req.GetKind() == chatpb.SignalKind_SIGNAL_KIND_ONLINE)
	case chatpb.SignalKind_SIGNAL_KIND_TYPING:
		frame = wsproto.AppendTyping(nil, r.id, who.User)
	default:
		respond(ctx, ctx.Sender(), nil, parley.Invalid("kind", "unknown signal"))
		return
	}
	respond(ctx, ctx.Sender(), &chatpb.SignalResponse{}, nil)
	r.fanout(ctx, &chatpb.Event{Room: string(r.id), AtSeq: r.st.lastSeq, Frame: frame})
}
