package api

import (
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/parleychat/parley"
)

// Fuzz targets for everything that parses client input before a handler
// acts on it. Seeds are in testdata/fuzz/<target>; run one with
//
//	go test -run '^$' -fuzz FuzzDecodeBodies -fuzztime 30s ./api/

// FuzzDecodeBodies feeds one body to every request decoder and the
// validation that follows it: nothing may panic, and whatever passes is clean.
func FuzzDecodeBodies(f *testing.F) {
	for _, s := range []string{
		`{"name":"General","kind":"public"}`, `{"name":{"$ne":null}}`, `{"body":"hi","client_id":"c-1"}`,
		`{"username":"alice","password":"long enough","display_name":"A"}`, `[1,2,3]`, `{"role":"admin","user_id":"u1"}`,
		"{\"name\":\"\xff\"}", `{"name":"a\u0000"}`, `{"name":null,"description":null,"kind":null}`, `{"a":1}{"b":2}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var reg registerBody
		if decodeBody(data, &reg) == nil {
			if u, err := newUser(reg); err == nil && (!utf8.ValidString(u.DisplayName) || parley.CheckUsername(u.Username) != nil) {
				t.Fatalf("newUser accepted %+v", u)
			}
		}
		var cr createRoomBody
		if decodeBody(data, &cr) == nil {
			if r, err := newRoom(cr, "u1", time.Now()); err == nil && (r.Name == "" || !r.Kind.Valid()) {
				t.Fatalf("newRoom accepted %+v", r)
			}
		}
		var ur updateRoomBody
		if decodeBody(data, &ur) == nil {
			_, _ = roomPatch(ur) // must not panic; errors are the point
		}
		var sb sendBody
		if decodeBody(data, &sb) == nil {
			if body, err := parley.CleanBody(sb.Body); err == nil && (body == "" || !utf8.ValidString(body)) {
				t.Fatalf("CleanBody accepted %q", body)
			}
		}
		for _, v := range []any{&loginBody{}, &refreshBody{}, &editBody{}, &addMemberBody{}, &setRoleBody{}, &reasonBody{}} {
			_ = decodeBody(data, v) // must not panic
		}
	})
}

// FuzzRoomListQuery: the parser never panics, accepted values are in range,
// and the next/previous links it builds parse back to the same query.
func FuzzRoomListQuery(f *testing.F) {
	for _, s := range []string{"", "page=2&page_size=10", "page[=1&search[=x", "page=1e309", "page=-1",
		"search=%00", "search=%E2%80%AE", "kind=private&member=me&ordering=-name", "page=1&page=1", "a;b", "%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := parseRoomListQuery(raw)
		if err != nil {
			return
		}
		if q.Page < 1 || q.Page > maxPage || q.PageSize < 1 || q.PageSize > parley.MaxPageSize ||
			utf8.RuneCountInString(q.Search) > maxSearch || !q.Ordering.Valid() {
			t.Fatalf("accepted out of range: %+v", q)
		}
		again, err := parseRoomListQuery(q.encode(q.Page))
		if err != nil {
			t.Fatalf("link %q does not parse: %v", q.encode(q.Page), err)
		}
		if diff := cmp.Diff(q, again); diff != "" {
			t.Fatalf("link round trip (-want +got):\n%s", diff)
		}
	})
}

// FuzzHistoryQuery: like FuzzRoomListQuery for history cursors.
func FuzzHistoryQuery(f *testing.F) {
	for _, s := range []string{"", "before=10&limit=3", "after=5", "limit=200000", "limit=-1", "before=0",
		"before=18446744073709551615", "before=18446744073709551616", "after=1&after=2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := parseHistoryQuery(raw)
		if err != nil {
			return
		}
		if q.Limit < 1 || q.Limit > parley.MaxHistory {
			t.Fatalf("accepted limit %d", q.Limit)
		}
		again, err := parseHistoryQuery(q.encode())
		if err != nil || again != q {
			t.Fatalf("round trip of %+v = %+v, %v", q, again, err)
		}
	})
}

// FuzzTokenParse: no token text panics the verifier, and none but ours passes.
func FuzzTokenParse(f *testing.F) {
	now := time.Unix(1_700_000_000, 0)
	tk := testTokens(now)
	good, _ := MintAccessToken(testSecret, "", parley.Principal{User: "u1"}, time.Hour, now)
	for _, s := range []string{good, "", "a.b.c", "eyJhbGciOiJub25lIn0.e30.", good + "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		c, err := tk.parse(raw, typAccess)
		if err == nil && raw != good && c.Subject != "u1" {
			t.Fatalf("accepted a token we did not mint: %q", raw)
		}
	})
}
