package wsproto_test

import (
	"encoding/json"
	"testing"
	"unicode/utf8"

	"github.com/parleychat/parley/api/wsproto"
)

// FuzzDecodeClient: no input panics, and whatever decodes is a valid frame.
func FuzzDecodeClient(f *testing.F) {
	for _, s := range []string{
		`{"id":1,"type":"subscribe","room":"r1","since":41}`,
		`{"id":2,"type":"send","room":"r1","client_id":"c","body":"hi"}`,
		`{"type":"ping"}`, `{"room":{"$ne":null}}`, `[`, `{"id":1e400}`, "\xff",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fr, err := wsproto.DecodeClient(data)
		if err != nil {
			return
		}
		switch fr.Type {
		case wsproto.TypePing, wsproto.TypeSubscribe, wsproto.TypeUnsubscribe, wsproto.TypeSend, wsproto.TypeTyping:
		default:
			t.Fatalf("decoded unknown type %q", fr.Type)
		}
	})
}

// FuzzAppendString: the output is always valid JSON and, for valid UTF-8
// input, decodes back to the input.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "a\"b", "\x00", "\u2028", "\xff", "<&>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := wsproto.AppendString(nil, s)
		var back string
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("AppendString(%q) = %s: %v", s, out, err)
		}
		if utf8.ValidString(s) && back != s {
			t.Fatalf("round trip %q -> %q", s, back)
		}
	})
}
