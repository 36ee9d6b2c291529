package wsproto_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/api/wsproto"
)

var sample = parley.Message{
	ID: "m1", RoomID: "r1", Seq: 42, SenderID: "u1", ClientID: "c-1",
	Body:      "hi <b>\"there\"</b>\n\u2028 & é",
	CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 600e6, time.UTC),
}

func TestAppendMessage_RoundTrip(t *testing.T) {
	var got map[string]any
	if err := json.Unmarshal(wsproto.AppendMessage(nil, sample), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"type": "message", "room": "r1", "seq": 42.0, "id": "m1", "sender": "u1",
		"body": sample.Body, "created_at": "2026-01-02T03:04:05.600Z"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	if _, ok := got["client_id"]; ok {
		t.Error("client_id leaked into the broadcast event")
	}
}

func TestAppendMessage_Tombstone(t *testing.T) {
	m := sample
	m.DeletedAt, m.DeletedBy = sample.CreatedAt, "mod"
	out := string(wsproto.AppendMessageDeleted(nil, m))
	if strings.Contains(out, "there") || !strings.Contains(out, `"deleted":true`) {
		t.Errorf("tombstone = %s", out)
	}
}

func TestAppendMessage_NoAllocs(t *testing.T) {
	buf := make([]byte, 0, 1024)
	allocs := testing.AllocsPerRun(100, func() { buf = wsproto.AppendMessage(buf[:0], sample) })
	if allocs != 0 {
		t.Errorf("AppendMessage allocates %v times per call, want 0", allocs)
	}
}

func TestAppendString_MatchesJSON(t *testing.T) {
	for _, s := range []string{"", "plain", "\x00\x01\x1f", `"\`, "<script>&</script>", "\u2028\u2029", "é日本", "\xff\xfe", "a\tb\r\n"} {
		out := wsproto.AppendString(nil, s)
		var back string
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("AppendString(%q) = %s: %v", s, out, err)
		}
		if utf8.ValidString(s) && back != s {
			t.Errorf("round trip of %q = %q", s, back)
		}
		if strings.ContainsAny(string(out), "<>&") {
			t.Errorf("AppendString(%q) = %s: HTML characters not escaped", s, out)
		}
	}
}

func TestDecodeClient(t *testing.T) {
	tests := []struct {
		name, in, field string
	}{
		{"Subscribe", `{"id":1,"type":"subscribe","room":"r1","since":41}`, ""},
		{"Send", `{"id":2,"type":"send","room":"r1","client_id":"c-7f3a","body":"hi"}`, ""},
		{"Ping", `{"type":"ping"}`, ""},
		{"UnknownField", `{"id":1,"type":"ping","x":1}`, "x"},
		{"WrongType", `{"id":"1","type":"ping"}`, "id"},
		{"OperatorRoom", `{"id":1,"type":"subscribe","room":{"$regex":".*"}}`, "room"},
		{"BadRoomID", `{"id":1,"type":"subscribe","room":"../x"}`, "room"},
		{"UnknownType", `{"id":1,"type":"join","room":"r1"}`, "type"},
		{"MissingType", `{"id":1}`, "type"},
		{"NotJSON", `hello`, "frame"},
		{"TwoObjects", `{"type":"ping"}{"type":"ping"}`, "frame"},
		{"Array", `[1,2,3]`, "frame"},
		{"NegativeSince", `{"id":1,"type":"subscribe","room":"r1","since":-1}`, "since"},
		{"HugeSince", `{"id":1,"type":"subscribe","room":"r1","since":1e309}`, "since"},
		{"BadClientID", `{"id":1,"type":"send","room":"r1","client_id":"a b","body":"x"}`, "client_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := wsproto.DecodeClient([]byte(tt.in))
			if tt.field == "" {
				if err != nil {
					t.Fatalf("DecodeClient = %v", err)
				}
				return
			}
			fe, ok := err.(*parley.FieldError)
			if !ok {
				t.Fatalf("DecodeClient = %v, want a FieldError on %s", err, tt.field)
			}
			if fe.Field != tt.field && !(tt.field == "frame" && fe.Field == "frame") {
				t.Errorf("field = %q, want %q", fe.Field, tt.field)
			}
		})
	}
}

func BenchmarkAppendMessage(b *testing.B) {
	b.ReportAllocs()
	buf := make([]byte, 0, 1024)
	for b.Loop() {
		buf = wsproto.AppendMessage(buf[:0], sample)
	}
}
