package actors

import (
	"errors"
	"testing"
	"time"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/cluster/chatpb"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func testState(window int) *roomState {
	info := parley.Room{ID: "r1", Name: "general", Kind: parley.RoomPublic}
	members := []parley.Member{
		{RoomID: "r1", UserID: "owner", Role: parley.RoleOwner},
		{RoomID: "r1", UserID: "admin", Role: parley.RoleAdmin},
		{RoomID: "r1", UserID: "mod", Role: parley.RoleModerator},
		{RoomID: "r1", UserID: "mem", Role: parley.RoleMember},
	}
	return newRoomState(info, members, 0, nil, Config{Window: window, DedupeEntries: 3})
}

func msg(seq uint64, sender parley.UserID, cid string) parley.Message {
	return parley.Message{ID: parley.MessageID("m" + cid), RoomID: "r1", Seq: seq, SenderID: sender, ClientID: cid, Body: "b" + cid}
}

func TestRoomState_WindowAndBacklog(t *testing.T) {
	s := testState(3)
	for i := uint64(1); i <= 5; i++ {
		s.remember(msg(i, "mem", string(rune('a'+i))))
	}
	if s.lastSeq != 5 || s.window.n != 3 || s.window.oldest().Seq != 3 {
		t.Fatalf("lastSeq=%d window=%v", s.lastSeq, s.window)
	}
	tests := []struct {
		since, wantStart uint64
		want             []uint64
	}{
		{0, 2, []uint64{3, 4, 5}},
		{3, 2, []uint64{4, 5}},
		{5, 2, nil},
		{9, 2, nil},
	}
	for _, tt := range tests {
		got, start := s.backlog(tt.since, 100)
		var seqs []uint64
		for _, m := range got {
			seqs = append(seqs, m.Seq)
		}
		if start != tt.wantStart || len(seqs) != len(tt.want) || (len(seqs) > 0 && seqs[0] != tt.want[0]) {
			t.Errorf("backlog(%d) = %v, %d; want %v, %d", tt.since, seqs, start, tt.want, tt.wantStart)
		}
	}
	if got, _ := s.backlog(0, 2); len(got) != 2 || got[0].Seq != 4 {
		t.Errorf("backlog limit: %v", got)
	}
}

func TestRoomState_Dedupe(t *testing.T) {
	s := testState(10)
	s.remember(msg(1, "mem", "x"))
	mem := parley.Principal{User: "mem"}
	dup, err := s.checkPost(mem, "x", "bx")
	if err != nil || dup == nil || dup.Seq != 1 {
		t.Fatalf("resend = %v, %v; want the first message", dup, err)
	}
	if _, err := s.checkPost(mem, "x", "other body"); !errors.Is(err, parley.ErrClientIDReused) {
		t.Errorf("reuse with another body = %v", err)
	}
	if dup, err := s.checkPost(parley.Principal{User: "mod"}, "x", "bx"); dup != nil || err != nil {
		t.Errorf("same client id, other sender = %v, %v; want a new message", dup, err)
	}
	for i, cid := range []string{"p", "q", "r"} { // the table holds 3: x is evicted
		s.remember(msg(uint64(i+2), "mem", cid))
	}
	if dup, _ := s.checkPost(mem, "x", "bx"); dup != nil {
		t.Error("evicted entry still answered (the store's unique index takes over)")
	}
}

func TestRoomState_Members(t *testing.T) {
	s := testState(10)
	owner, mem := parley.Principal{User: "owner"}, parley.Principal{User: "mem"}
	req := func(op chatpb.MemberOp, target string, role parley.Role) *chatpb.MemberRequest {
		return &chatpb.MemberRequest{Op: op, Target: target, Role: uint32(role)}
	}
	if _, err := s.changeMember(owner, req(chatpb.MemberOp_MEMBER_OP_LEAVE, "", 0), t0); !errors.Is(err, parley.ErrOwnerMustStay) {
		t.Errorf("owner leave = %v", err)
	}
	evs, err := s.changeMember(owner, req(chatpb.MemberOp_MEMBER_OP_SET_ROLE, "admin", parley.RoleOwner), t0)
	if err != nil || len(evs) != 2 || evs[0].rec.UserID != "owner" || evs[0].rec.Role != parley.RoleAdmin || evs[1].rec.Role != parley.RoleOwner {
		t.Fatalf("transfer = %+v, %v", evs, err)
	}
	s.applyMembers(evs)
	if s.role("owner") != parley.RoleAdmin || s.role("admin") != parley.RoleOwner {
		t.Errorf("after transfer: owner=%v admin=%v", s.role("owner"), s.role("admin"))
	}
	evs, err = s.changeMember(parley.Principal{User: "mod"}, req(chatpb.MemberOp_MEMBER_OP_KICK, "mem", 0), t0)
	if err != nil || !evs[0].drop || evs[0].why != "kicked" || evs[0].rec.DeletedBy != "mod" {
		t.Fatalf("kick = %+v, %v", evs, err)
	}
	s.applyMembers(evs)
	if _, err := s.checkPost(mem, "y", "hi"); !errors.Is(err, parley.ErrNotMember) {
		t.Errorf("post after kick = %v", err)
	}
	evs, err = s.changeMember(parley.Principal{User: "mod"}, req(chatpb.MemberOp_MEMBER_OP_BAN, "stranger", 0), t0)
	if err != nil || !evs[0].rec.Banned || evs[0].typ != "" {
		t.Fatalf("pre-emptive ban = %+v, %v", evs, err)
	}
	s.applyMembers(evs)
	if _, err := s.changeMember(parley.Principal{User: "stranger"}, req(chatpb.MemberOp_MEMBER_OP_JOIN, "", 0), t0); !errors.Is(err, parley.ErrBanned) {
		t.Errorf("banned join = %v", err)
	}
}

func TestRoomState_DeletedRoomIsGone(t *testing.T) {
	s := testState(10)
	r, err := s.changeRoom(parley.Principal{User: "owner"}, true, parley.RoomPatch{}, t0)
	if err != nil {
		t.Fatal(err)
	}
	s.info = r
	if err := s.authorize(parley.Principal{User: "owner"}, parley.ActRead, parley.Target{}); !errors.Is(err, parley.ErrRoomNotFound) {
		t.Errorf("read deleted room = %v", err)
	}
}
