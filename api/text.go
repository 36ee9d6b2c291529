package api

import (
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// nfc returns s in Unicode normalization form C, so "Café" typed with a
// combining accent and with a precomposed é are the same name (B-58). Invalid
// UTF-8 is returned unchanged for the domain's validation to reject.
func nfc(s string) string {
	if !utf8.ValidString(s) {
		return s
	}
	return norm.NFC.String(s)
}
