package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/parleychat/parley/api/apitest"
	"github.com/parleychat/parley/api/wsproto"
)

type roomPage struct {
	Count    int            `json:"count"`
	Next     *string        `json:"next"`
	Previous *string        `json:"previous"`
	Results  []wsproto.Room `json:"results"`
}

type messagePage struct {
	Next     *string           `json:"next"`
	Previous *string           `json:"previous"`
	Results  []wsproto.Message `json:"results"`
}

type memberPage struct {
	Count   int              `json:"count"`
	Results []wsproto.Member `json:"results"`
}

func createRoom(t *testing.T, e *apitest.Env, token, name, kind string) wsproto.Room {
	t.Helper()
	var r wsproto.Room
	e.Do(t, http.MethodPost, "/api/chat/rooms/", token, map[string]string{"name": name, "kind": kind}).
		Expect(t, http.StatusCreated).JSON(t, &r)
	return r
}

func send(t *testing.T, e *apitest.Env, token, room, body string) wsproto.Message {
	t.Helper()
	var m wsproto.Message
	e.Do(t, http.MethodPost, "/api/chat/rooms/"+room+"/send_message/", token, map[string]string{"body": body}).
		Expect(t, http.StatusCreated).JSON(t, &m)
	return m
}

func seqs(ms []wsproto.Message) []uint64 {
	out := make([]uint64, len(ms))
	for i, m := range ms {
		out[i] = m.Seq
	}
	return out
}

// TestStory walks the REST contract end to end: two users sign up, one
// creates a room, the other joins, they talk, page history, edit and delete.
func TestStory(t *testing.T) {
	e := apitest.Start(t)
	alice, bob := e.SignUp(t, "alice"), e.SignUp(t, "bob")

	room := createRoom(t, e, alice.Token, "General", "public")
	if room.Role != "owner" || room.CreatedBy != string(alice.ID) || room.Kind != "public" {
		t.Fatalf("created room = %+v, want owner alice, public", room)
	}
	base := "/api/chat/rooms/" + room.ID
	e.Do(t, http.MethodPost, base+"/send_message/", bob.Token, map[string]string{"body": "hi"}).Expect(t, http.StatusForbidden)
	var joined wsproto.Member
	e.Do(t, http.MethodPost, base+"/join/", bob.Token, nil).Expect(t, http.StatusOK).JSON(t, &joined)
	if joined.User != string(bob.ID) || joined.Role != "member" {
		t.Fatalf("join = %+v", joined)
	}

	for i := 1; i <= 7; i++ {
		who := alice
		if i%2 == 0 {
			who = bob
		}
		m := send(t, e, who.Token, room.ID, fmt.Sprintf("message %d", i))
		if m.Seq != uint64(i) || m.Sender != string(who.ID) || m.ClientID == "" || m.Room != room.ID {
			t.Fatalf("send %d = %+v", i, m)
		}
	}

	var p messagePage
	e.Do(t, http.MethodGet, base+"/messages/?limit=3", bob.Token, nil).Expect(t, http.StatusOK).JSON(t, &p)
	if diff := cmp.Diff([]uint64{7, 6, 5}, seqs(p.Results)); diff != "" || p.Next == nil || p.Previous != nil {
		t.Fatalf("first page: %v next=%v prev=%v (-want +got %s)", seqs(p.Results), p.Next, p.Previous, diff)
	}
	var older messagePage
	e.Do(t, http.MethodGet, *p.Next, bob.Token, nil).Expect(t, http.StatusOK).JSON(t, &older)
	if diff := cmp.Diff([]uint64{4, 3, 2}, seqs(older.Results)); diff != "" || older.Previous == nil {
		t.Fatalf("second page (-want +got):\n%s", diff)
	}
	var newer messagePage
	e.Do(t, http.MethodGet, *older.Previous, bob.Token, nil).Expect(t, http.StatusOK).JSON(t, &newer)
	if diff := cmp.Diff([]uint64{7, 6, 5}, seqs(newer.Results)); diff != "" {
		t.Fatalf("previous of second page (-want +got):\n%s", diff)
	}

	var edited wsproto.Message
	e.Do(t, http.MethodPatch, base+"/messages/2/", bob.Token, map[string]string{"body": "edited"}).
		Expect(t, http.StatusOK).JSON(t, &edited)
	if edited.Body != "edited" || edited.EditedAt == "" {
		t.Fatalf("edit = %+v", edited)
	}
	e.Do(t, http.MethodPatch, base+"/messages/1/", bob.Token, map[string]string{"body": "not mine"}).Expect(t, http.StatusForbidden)
	e.Do(t, http.MethodDelete, base+"/messages/3/", alice.Token, nil).Expect(t, http.StatusOK)

	var all messagePage
	e.Do(t, http.MethodGet, base+"/messages/", alice.Token, nil).Expect(t, http.StatusOK).JSON(t, &all)
	byseq := map[uint64]wsproto.Message{}
	for _, m := range all.Results {
		byseq[m.Seq] = m
	}
	if m := byseq[3]; !m.Deleted || m.Body != "" || m.DeletedBy != string(alice.ID) {
		t.Fatalf("deleted message = %+v, want a tombstone", m)
	}
	if m := byseq[2]; m.Body != "edited" {
		t.Fatalf("edited message in history = %+v", m)
	}
	if !strings.Contains(string(e.Do(t, http.MethodGet, base+"/messages/", alice.Token, nil).Body), `"seq":3`) {
		t.Fatal("tombstone missing from history")
	}

	var members memberPage
	e.Do(t, http.MethodGet, base+"/members/", bob.Token, nil).Expect(t, http.StatusOK).JSON(t, &members)
	if members.Count != 2 {
		t.Fatalf("members = %+v", members)
	}
	e.Do(t, http.MethodPost, base+"/leave/", bob.Token, nil).Expect(t, http.StatusNoContent)
	e.Do(t, http.MethodGet, base+"/messages/", bob.Token, nil).Expect(t, http.StatusForbidden)
	e.Do(t, http.MethodPost, base+"/leave/", alice.Token, nil).Expect(t, http.StatusConflict)

	var detail wsproto.Room
	e.Do(t, http.MethodGet, base+"/", alice.Token, nil).Expect(t, http.StatusOK).JSON(t, &detail)
	if detail.LastSeq == nil || *detail.LastSeq != 7 || detail.Role != "owner" {
		t.Fatalf("detail = %+v", detail)
	}
	e.Do(t, http.MethodDelete, base+"/", alice.Token, nil).Expect(t, http.StatusNoContent)
	e.Do(t, http.MethodGet, base+"/", alice.Token, nil).Expect(t, http.StatusNotFound).Problem(t)
}
