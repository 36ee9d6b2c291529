package api_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/parleychat/parley/api/apitest"
	"github.com/parleychat/parley/api/wsproto"
)

func TestRooms_ListPagination(t *testing.T) {
	e := apitest.Start(t)
	alice, bob := e.SignUp(t, "alice"), e.SignUp(t, "bob")
	for i := range 25 {
		createRoom(t, e, alice.Token, fmt.Sprintf("room %02d", i), "public")
	}
	secret := createRoom(t, e, alice.Token, "secret plans", "private")

	var p1 roomPage
	e.Do(t, http.MethodGet, "/api/chat/rooms/?page_size=10&ordering=name", bob.Token, nil).Expect(t, http.StatusOK).JSON(t, &p1)
	if p1.Count != 25 || len(p1.Results) != 10 || p1.Previous != nil || p1.Next == nil {
		t.Fatalf("page 1: count %d, %d results, prev %v, next %v", p1.Count, len(p1.Results), p1.Previous, p1.Next)
	}
	if p1.Results[0].Name != "room 00" {
		t.Errorf("first room by name = %q", p1.Results[0].Name)
	}
	next, err := url.Parse(*p1.Next)
	if err != nil || next.Path != "/api/chat/rooms/" || next.Query().Get("page") != "2" ||
		next.Query().Get("page_size") != "10" || next.Query().Get("ordering") != "name" {
		t.Fatalf("next = %q, want the same query at page 2", *p1.Next)
	}
	var p3 roomPage
	e.Do(t, http.MethodGet, "/api/chat/rooms/?page=3&page_size=10&ordering=name", bob.Token, nil).Expect(t, http.StatusOK).JSON(t, &p3)
	if len(p3.Results) != 5 || p3.Next != nil || p3.Previous == nil {
		t.Fatalf("page 3: %d results, next %v, prev %v", len(p3.Results), p3.Next, p3.Previous)
	}
	var far roomPage
	e.Do(t, http.MethodGet, "/api/chat/rooms/?page=1000000000", bob.Token, nil).Expect(t, http.StatusOK).JSON(t, &far)
	if len(far.Results) != 0 || far.Count != 25 || far.Previous == nil {
		t.Fatalf("page past the end: %+v", far)
	}
	if prev, _ := url.Parse(*far.Previous); prev.Query().Get("page") != "2" {
		t.Errorf("previous of a page past the end = %q, want the last page (2)", *far.Previous)
	}

	// Private rooms: visible to members and platform admins only.
	var mine roomPage
	e.Do(t, http.MethodGet, "/api/chat/rooms/?kind=private", alice.Token, nil).Expect(t, http.StatusOK).JSON(t, &mine)
	if mine.Count != 1 || mine.Results[0].ID != secret.ID {
		t.Errorf("alice's private rooms = %+v", mine)
	}
	var search roomPage
	e.Do(t, http.MethodGet, "/api/chat/rooms/?search=SECRET", bob.Token, nil).Expect(t, http.StatusOK).JSON(t, &search)
	if search.Count != 0 {
		t.Errorf("bob finds the private room by search: %+v", search)
	}
	admin := e.Token(t, "platformadmin", true)
	e.Do(t, http.MethodGet, "/api/chat/rooms/?search=secret", admin, nil).Expect(t, http.StatusOK).JSON(t, &search)
	if search.Count != 1 {
		t.Errorf("platform admin search = %+v", search)
	}
	var literal roomPage
	e.Do(t, http.MethodGet, "/api/chat/rooms/?search="+url.QueryEscape(".*"), alice.Token, nil).Expect(t, http.StatusOK).JSON(t, &literal)
	if literal.Count != 0 {
		t.Errorf("search .* matched %d rooms, want 0 (literal match)", literal.Count)
	}
	var member roomPage
	e.Do(t, http.MethodGet, "/api/chat/rooms/?member=me", bob.Token, nil).Expect(t, http.StatusOK).JSON(t, &member)
	if member.Count != 0 {
		t.Errorf("bob's rooms = %d, want 0", member.Count)
	}
}

// TestRooms_TrailingSlash: every route answers with and without the slash.
func TestRooms_TrailingSlash(t *testing.T) {
	e := apitest.Start(t)
	alice := e.SignUp(t, "alice")
	var r wsproto.Room
	e.Do(t, http.MethodPost, "/api/chat/rooms", alice.Token, map[string]string{"name": "no slash"}).
		Expect(t, http.StatusCreated).JSON(t, &r)
	for _, path := range []string{
		"/api/chat/rooms", "/api/chat/rooms/", "/api/chat/rooms/" + r.ID, "/api/chat/rooms/" + r.ID + "/",
		"/api/chat/rooms/" + r.ID + "/messages", "/api/chat/rooms/" + r.ID + "/messages/",
		"/api/chat/rooms/" + r.ID + "/members", "/api/chat/rooms/" + r.ID + "/members/",
		"/api/auth/me", "/api/auth/me/", "/healthz/",
	} {
		e.Do(t, http.MethodGet, path, alice.Token, nil).Expect(t, http.StatusOK)
	}
	e.Do(t, http.MethodPost, "/api/chat/rooms/"+r.ID+"/send_message", alice.Token, map[string]string{"body": "a"}).Expect(t, http.StatusCreated)
	e.Do(t, http.MethodPost, "/api/chat/rooms/"+r.ID+"/send_message/", alice.Token, map[string]string{"body": "b"}).Expect(t, http.StatusCreated)
}

// TestRooms_IdempotentSend: a resend with the same client_id answers 200 with
// the first message; the same id with another body is 409.
func TestRooms_IdempotentSend(t *testing.T) {
	e := apitest.Start(t)
	alice := e.SignUp(t, "alice")
	room := createRoom(t, e, alice.Token, "Resend", "public")
	path := "/api/chat/rooms/" + room.ID + "/send_message/"
	body := map[string]string{"body": "once", "client_id": "c-7f3a"}
	var first, again wsproto.Message
	e.Do(t, http.MethodPost, path, alice.Token, body).Expect(t, http.StatusCreated).JSON(t, &first)
	e.Do(t, http.MethodPost, path, alice.Token, body).Expect(t, http.StatusOK).JSON(t, &again)
	if diff := cmp.Diff(first, again); diff != "" || first.ClientID != "c-7f3a" {
		t.Errorf("resend differs from the first ack (-first +again):\n%s", diff)
	}
	p := e.Do(t, http.MethodPost, path, alice.Token, map[string]string{"body": "different", "client_id": "c-7f3a"}).
		Expect(t, http.StatusConflict).Problem(t)
	if p.Code != "client_id_reused" {
		t.Errorf("code = %q", p.Code)
	}
	assertNothingStoredIn(t, e, alice.Token, room.ID, 1)
}

func TestRooms_UpdateAndDelete(t *testing.T) {
	e := apitest.Start(t)
	alice, bob := e.SignUp(t, "alice"), e.SignUp(t, "bob")
	room := createRoom(t, e, alice.Token, "Before", "public")
	base := "/api/chat/rooms/" + room.ID + "/"
	e.Do(t, http.MethodPost, base+"join/", bob.Token, nil).Expect(t, http.StatusOK)
	e.Do(t, http.MethodPatch, base, bob.Token, map[string]string{"name": "Mine now"}).Expect(t, http.StatusForbidden)
	var updated wsproto.Room
	req := map[string]string{"name": "After", "description": "<img src=x onerror=alert(1)>"}
	e.Do(t, http.MethodPatch, base, alice.Token, req).Expect(t, http.StatusOK).JSON(t, &updated)
	if updated.Name != "After" || updated.Description != req["description"] {
		t.Errorf("updated = %+v", updated)
	}
	raw := e.Do(t, http.MethodGet, base, bob.Token, nil).Expect(t, http.StatusOK)
	if ct := raw.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" || raw.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("headers: Content-Type %q, nosniff %q", ct, raw.Header.Get("X-Content-Type-Options"))
	}
	e.Do(t, http.MethodDelete, base, bob.Token, nil).Expect(t, http.StatusForbidden)
	req2 := e.NewRequest(t, http.MethodDelete, base, nil)
	req2.Header.Set("Authorization", "Bearer "+alice.Token)
	req2.Header.Set("X-Audit-Reason", "spring cleaning")
	e.Send(t, req2).Expect(t, http.StatusNoContent)
	e.Do(t, http.MethodGet, base, bob.Token, nil).Expect(t, http.StatusNotFound)
	var list roomPage
	e.Do(t, http.MethodGet, "/api/chat/rooms/", alice.Token, nil).Expect(t, http.StatusOK).JSON(t, &list)
	if list.Count != 0 {
		t.Errorf("deleted room still listed: %+v", list)
	}
}
