package api

import "testing"

func TestNFC(t *testing.T) {
	if got := nfc("Cafe\u0301"); got != "Caf\u00e9" {
		t.Errorf("nfc(decomposed) = %q", got)
	}
	if got := nfc("a\xffb"); got != "a\xffb" {
		t.Errorf("nfc(invalid) = %q: invalid input must reach validation unchanged", got)
	}
}
