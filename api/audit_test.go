package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/api/apitest"
	"github.com/parleychat/parley/api/wsproto"
)

type auditPage struct {
	Next    *string              `json:"next"`
	Results []wsproto.AuditEntry `json:"results"`
}

// auditAs does one moderation request with the reason in the body (JSON
// field) or, when viaHeader, in X-Audit-Reason.
func auditAs(t *testing.T, e *apitest.Env, token, method, path string, body map[string]string, reason string, viaHeader bool) *apitest.Response {
	t.Helper()
	if !viaHeader {
		if body == nil {
			body = map[string]string{}
		}
		body["reason"] = reason
	}
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req := e.NewRequest(t, method, path, rd)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if viaHeader {
		req.Header.Set("X-Audit-Reason", reason)
	}
	return e.Send(t, req)
}

// TestAudit_RecordsEveryAction: each moderation and admin action is
// recorded with actor, action, target, time and reason, whichever way the
// reason came; an author deleting their own message is not moderation.
func TestAudit_RecordsEveryAction(t *testing.T) {
	e := apitest.Start(t)
	alice, bob, carol, dave, erin := e.SignUp(t, "alice"), e.SignUp(t, "bob"), e.SignUp(t, "carol"), e.SignUp(t, "dave"), e.SignUp(t, "erin")
	room := createRoom(t, e, alice.Token, "Audited", "public").ID
	base := "/api/chat/rooms/" + room
	for _, u := range []apitest.User{bob, carol, dave, erin} {
		e.Do(t, http.MethodPost, base+"/join/", u.Token, nil).Expect(t, http.StatusOK)
	}
	start := time.Now().Add(-time.Second)
	send(t, e, erin.Token, room, "off topic")   // #1, deleted by alice
	send(t, e, erin.Token, room, "my own typo") // #2, deleted by erin
	auditAs(t, e, alice.Token, "PATCH", base+"/members/"+string(bob.ID)+"/", map[string]string{"role": "moderator"}, "trusted helper", false).Expect(t, 200)
	auditAs(t, e, bob.Token, "DELETE", base+"/members/"+string(carol.ID)+"/", nil, "spam", true).Expect(t, 204)
	auditAs(t, e, bob.Token, "DELETE", base+"/members/"+string(dave.ID)+"/?ban=true", nil, "abuse", false).Expect(t, 204)
	auditAs(t, e, alice.Token, "POST", base+"/members/"+string(dave.ID)+"/unban/", nil, "appeal accepted", true).Expect(t, 204)
	stranger := parley.NewID() // never in the room: nothing to lift, and no record invented
	auditAs(t, e, alice.Token, "POST", base+"/members/"+stranger+"/unban/", nil, "nothing", true).Expect(t, http.StatusForbidden)
	if members, _ := e.Store.Members(t.Context(), parley.RoomID(room)); slices.ContainsFunc(members, func(m parley.Member) bool { return string(m.UserID) == stranger }) {
		t.Error("unbanning a stranger stored a membership record")
	}
	auditAs(t, e, bob.Token, "DELETE", base+"/messages/1/", nil, "off topic", true).Expect(t, 200)
	e.Do(t, http.MethodDelete, base+"/messages/2/", erin.Token, nil).Expect(t, 200)
	auditAs(t, e, alice.Token, "PATCH", base+"/", map[string]string{"name": "Renamed"}, "clearer name", false).Expect(t, 200)
	auditAs(t, e, alice.Token, "PATCH", base+"/members/"+string(bob.ID)+"/", map[string]string{"role": "owner"}, "handover", false).Expect(t, 200)

	// Who may read it, while the room lives: admins and above, platform admins.
	e.Do(t, http.MethodGet, base+"/audit/", erin.Token, nil).Expect(t, http.StatusForbidden)
	e.Do(t, http.MethodGet, base+"/audit/", carol.Token, nil).Expect(t, http.StatusForbidden)
	e.Do(t, http.MethodGet, base+"/audit/", alice.Token, nil).Expect(t, http.StatusOK) // now an admin
	auditAs(t, e, bob.Token, "DELETE", base+"/", nil, "closing", true).Expect(t, 204)
	end := time.Now().Add(time.Second)

	// The room is gone for everyone, its log not for platform admins.
	e.Do(t, http.MethodGet, base+"/audit/", bob.Token, nil).Expect(t, http.StatusNotFound)
	var page auditPage
	e.Do(t, http.MethodGet, base+"/audit/?limit=100", e.Token(t, "root", true), nil).Expect(t, http.StatusOK).JSON(t, &page)
	var got []string
	for i, a := range page.Results {
		at, err := time.Parse(time.RFC3339Nano, a.At)
		if err != nil || at.Before(start) || at.After(end) || a.ID == "" || a.Room != room {
			t.Errorf("entry %+v: bad id, room or time", a)
		}
		if i > 0 && a.At > page.Results[i-1].At {
			t.Errorf("entries not newest first: %v after %v", a.At, page.Results[i-1].At)
		}
		got = append(got, strings.Join([]string{name(a.Actor, alice, bob), a.Action, name(a.Target, alice, bob, carol, dave, erin), a.Detail, a.Reason}, " "))
	}
	slices.Sort(got)
	want := []string{
		"alice set_role alice admin handover",
		"alice set_role bob moderator trusted helper",
		"alice set_role bob owner handover",
		"alice unban dave member appeal accepted",
		"alice update_room " + room + "  clearer name",
		"bob ban dave member abuse",
		"bob delete_message 1 " + string(erin.ID) + " off topic",
		"bob delete_room " + room + "  closing",
		"bob kick carol member spam",
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("audit log:\n got  %q\n want %q", got, want)
	}
}

// name maps a user id to the username of one of users, or returns it as is.
func name(id string, users ...apitest.User) string {
	for _, u := range users {
		if string(u.ID) == id {
			return u.Username
		}
	}
	return id
}

// TestAudit_Pages: following next links visits every entry once, also when
// a page boundary falls inside an ownership transfer (two entries, one
// instant); bad queries are 400; an over-long reason changes nothing.
func TestAudit_Pages(t *testing.T) {
	e := apitest.Start(t)
	users := []apitest.User{e.SignUp(t, "alice"), e.SignUp(t, "bob"), e.SignUp(t, "carol")}
	room := createRoom(t, e, users[0].Token, "Paged", "public").ID
	base := "/api/chat/rooms/" + room
	for _, u := range users[1:] {
		e.Do(t, http.MethodPost, base+"/join/", u.Token, nil).Expect(t, http.StatusOK)
	}
	for i, role := range []string{"moderator", "admin", "member", "moderator"} {
		e.Do(t, http.MethodPatch, base+"/members/"+string(users[1+i%2].ID)+"/", users[0].Token, map[string]string{"role": role}).Expect(t, 200)
	}
	for i := range 3 { // ownership goes round: two entries per transfer
		from, to := users[i%3], users[(i+1)%3]
		e.Do(t, http.MethodPatch, base+"/members/"+string(to.ID)+"/", from.Token, map[string]string{"role": "owner"}).Expect(t, 200)
	}
	var all auditPage
	e.Do(t, http.MethodGet, base+"/audit/?limit=100", users[0].Token, nil).Expect(t, 200).JSON(t, &all)
	if len(all.Results) != 10 || all.Next != nil {
		t.Fatalf("whole log = %d entries, next %v; want 10, none", len(all.Results), all.Next)
	}
	for _, limit := range []int{1, 2, 3, 4} {
		var ids []string
		next := fmt.Sprint(base, "/audit/?limit=", limit)
		for pages := 0; next != ""; pages++ {
			if pages > 20 {
				t.Fatalf("limit %d: more than 20 pages", limit)
			}
			var p auditPage
			e.Do(t, http.MethodGet, next, users[0].Token, nil).Expect(t, 200).JSON(t, &p)
			if len(p.Results) > limit {
				t.Fatalf("limit %d: page of %d", limit, len(p.Results))
			}
			for _, a := range p.Results {
				ids = append(ids, a.ID)
			}
			next = ""
			if p.Next != nil {
				next = *p.Next
			}
		}
		var want []string
		for _, a := range all.Results {
			want = append(want, a.ID)
		}
		if limit > 1 && !slices.Equal(ids, want) { // a page of 1 cannot hold a transfer's pair
			t.Errorf("limit %d: paged %d entries, want the %d of one page", limit, len(ids), len(want))
		}
	}
	for _, q := range []string{"?limit=0", "?limit=101", "?before=yesterday", "?before=1", "?limit=2&limit=3", "?page=2"} {
		e.Do(t, http.MethodGet, base+"/audit/"+q, users[0].Token, nil).Expect(t, http.StatusBadRequest)
	}
	e.Do(t, http.MethodGet, base+"/audit/?before="+url.QueryEscape(all.Results[0].At), users[0].Token, nil).Expect(t, 200)

	long := auditAs(t, e, users[0].Token, "DELETE", base+"/members/"+string(users[2].ID)+"/", nil, strings.Repeat("x", 501), true)
	long.Expect(t, http.StatusBadRequest)
	if roles := rolesOf(t, e, users[0].Token, room); roles[string(users[2].ID)] == "" {
		t.Error("a kick with a refused reason still removed the member")
	}
}

func rolesOf(t *testing.T, e *apitest.Env, token, room string) map[string]string {
	t.Helper()
	var page memberPage
	e.Do(t, http.MethodGet, "/api/chat/rooms/"+room+"/members/", token, nil).Expect(t, http.StatusOK).JSON(t, &page)
	out := map[string]string{}
	for _, m := range page.Results {
		out[m.User] = m.Role
	}
	return out
}
