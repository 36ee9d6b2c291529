package parley_test

import (
	"strings"
	"testing"

	"github.com/parleychat/parley"
)

func TestCleanBody(t *testing.T) {
	tests := []struct {
		name, in, want string
		ok             bool
	}{
		{"Plain", "hello", "hello", true},
		{"Trimmed", "  hi \n", "hi", true},
		{"NewlineAndTabInside", "a\n\tb", "a\n\tb", true},
		{"Empty", "", "", false},
		{"OnlySpaces", "   \n\t ", "", false},
		{"OnlyZeroWidth", "\u200b\u200b\ufeff", "", false},
		{"NUL", "a\x00b", "", false},
		{"Escape", "a\x1bb", "", false},
		{"DEL", "a\x7fb", "", false},
		{"InvalidUTF8", "a\xffb", "", false},
		{"MaxRunes", strings.Repeat("é", parley.MaxBody), strings.Repeat("é", parley.MaxBody), true},
		{"TooManyRunes", strings.Repeat("a", parley.MaxBody+1), "", false},
		{"CombiningFlood", "a" + strings.Repeat("\u0301", 10000), "", false},
		{"HTMLKeptAsText", "<img src=x onerror=alert(1)>", "<img src=x onerror=alert(1)>", true},
		{"BidiInBodyAllowed", "abc\u202edef", "abc\u202edef", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parley.CleanBody(tt.in)
			if (err == nil) != tt.ok || got != tt.want {
				t.Errorf("CleanBody(%q) = %q, %v; want %q, ok=%v", tt.in, got, err, tt.want, tt.ok)
			}
			if err != nil && parley.Classify(err) != parley.ErrInvalid {
				t.Errorf("error %v does not classify as invalid", err)
			}
		})
	}
}

func TestCleanRoomName(t *testing.T) {
	ok := []string{"general", " Café ", strings.Repeat("x", 100), "日本語"}
	bad := []string{"", "   ", strings.Repeat("x", 101), "a\nb", "adm\u202enim", "\u200b\u200b", "a\tb", "a\x00"}
	for _, s := range ok {
		if _, err := parley.CleanRoomName(s); err != nil {
			t.Errorf("CleanRoomName(%q) = %v, want ok", s, err)
		}
	}
	for _, s := range bad {
		if _, err := parley.CleanRoomName(s); err == nil {
			t.Errorf("CleanRoomName(%q) accepted", s)
		}
	}
}

func TestCheckUsername(t *testing.T) {
	for _, s := range []string{"bob", "a.b-c_d", strings.Repeat("a", 32), "123"} {
		if err := parley.CheckUsername(s); err != nil {
			t.Errorf("CheckUsername(%q) = %v", s, err)
		}
	}
	for _, s := range []string{"", "ab", "Bob", strings.Repeat("a", 33), "a b", "аdmin", "a/b", "a\x00b"} {
		if err := parley.CheckUsername(s); err == nil {
			t.Errorf("CheckUsername(%q) accepted", s)
		}
	}
}

func TestCheckPasswordAndClientID(t *testing.T) {
	if parley.CheckPassword("short") == nil || parley.CheckPassword(strings.Repeat("x", 300)) == nil {
		t.Error("bad passwords accepted")
	}
	if err := parley.CheckPassword("correct horse"); err != nil {
		t.Error(err)
	}
	for _, s := range []string{"", "c-7f3a", "A_b-9"} {
		if err := parley.CheckClientID(s); err != nil {
			t.Errorf("CheckClientID(%q) = %v", s, err)
		}
	}
	for _, s := range []string{"a b", strings.Repeat("x", 65), `{"$gt":""}`, "é"} {
		if parley.CheckClientID(s) == nil {
			t.Errorf("CheckClientID(%q) accepted", s)
		}
	}
}

func TestNewID(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := parley.NewID()
		if len(id) != 26 || !parley.ValidID(id) || seen[id] {
			t.Fatalf("NewID() = %q (len %d, dup %v)", id, len(id), seen[id])
		}
		seen[id] = true
	}
}
