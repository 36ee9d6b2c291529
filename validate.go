package parley

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// textRules says what a text field accepts.
type textRules struct {
	min, max  int  // runes, after trimming
	multiline bool // newline and tab allowed
	name      bool // a name: no format characters (bidi overrides, zero-width) at all
}

// cleanText trims s and checks it against r. It rejects invalid UTF-8, NUL and
// other control characters (newline and tab only where multiline), and text that
// is empty once whitespace and invisible format characters are removed, so a
// message of zero-width spaces is as empty as one of spaces.
func cleanText(field, s string, r textRules) (string, error) {
	if !utf8.ValidString(s) {
		return "", Invalid(field, "must be valid UTF-8")
	}
	s = strings.TrimSpace(s)
	visible := 0
	for _, c := range s {
		switch {
		case c == '\n' || c == '\t':
			if !r.multiline {
				return "", Invalid(field, "must be a single line")
			}
		case unicode.IsControl(c):
			return "", Invalid(field, "must not contain control characters")
		case unicode.Is(unicode.Cf, c) || c == '\u2028' || c == '\u2029':
			if r.name {
				return "", Invalid(field, "must not contain invisible or direction-changing characters")
			}
		case !unicode.IsSpace(c):
			visible++
		}
	}
	n := utf8.RuneCountInString(s)
	if n > r.max || (r.min > 0 && visible == 0) || n < r.min {
		return "", Invalid(field, lengthReason(r))
	}
	return s, nil
}

func lengthReason(r textRules) string {
	if r.min == 0 {
		return "must be at most " + itoa(r.max) + " characters"
	}
	return "must be " + itoa(r.min) + " to " + itoa(r.max) + " visible characters"
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}

// CleanRoomName returns the trimmed name or a FieldError for "name".
func CleanRoomName(s string) (string, error) {
	return cleanText("name", s, textRules{min: 1, max: MaxRoomName, name: true})
}

// CleanRoomDescription returns the trimmed description (may be empty) or a FieldError.
func CleanRoomDescription(s string) (string, error) {
	return cleanText("description", s, textRules{max: MaxRoomDescription, multiline: true})
}

// CleanBody returns the trimmed message body or a FieldError for "body".
func CleanBody(s string) (string, error) {
	if len(s) > MaxBodyBytes {
		return "", Invalid("body", lengthReason(textRules{min: 1, max: MaxBody}))
	}
	return cleanText("body", s, textRules{min: 1, max: MaxBody, multiline: true})
}

// CleanDisplayName returns the trimmed display name (may be empty) or a FieldError.
func CleanDisplayName(s string) (string, error) {
	return cleanText("display_name", s, textRules{max: MaxDisplayName, name: true})
}

// CheckUsername accepts 3 to 32 characters of [a-z0-9_.-].
func CheckUsername(s string) error {
	if len(s) < 3 || len(s) > 32 || strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '.' || r == '-')
	}) >= 0 {
		return Invalid("username", "must be 3 to 32 characters of a-z, 0-9, '_', '.', '-'")
	}
	return nil
}

// CheckPassword accepts at least MinPassword characters and at most MaxPassword bytes.
func CheckPassword(s string) error {
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) < MinPassword || len(s) > MaxPassword {
		return Invalid("password", "must be 8 to 256 characters")
	}
	return nil
}

// CheckClientID accepts an empty id (the server makes one) or 1 to 64 of [A-Za-z0-9_-].
func CheckClientID(s string) error {
	if s != "" && !ValidID(s) {
		return Invalid("client_id", "must be 1 to 64 characters of A-Z, a-z, 0-9, '_', '-'")
	}
	return nil
}
