package pqfile

import "testing"

// A uid is stored as a UUID only when it reads back as the same text.
func FuzzUUID(f *testing.F) {
	for _, s := range []string{"", "646dd286-620c-403c-8b7e-4aad642246c1", "646DD286-620C-403C-8B7E-4AAD642246C1",
		"00000000-0000-0000-0000-000000000000", "646dd286620c403c8b7e4aad642246c1", "{646dd286-620c-403c-8b7e-4aad642246c1}",
		"u1", "646dd286-620c-403c-8b7e-4aad642246cg", "646dd286-620c-403c-8b7e_4aad642246c1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var u [16]byte
		if !parseUUID(&u, s) {
			return
		}
		if got := uuidText(&u); got != s {
			t.Fatalf("%q parses to %x, which reads back as %q", s, u, got)
		}
		var again [16]byte
		if !parseUUID(&again, uuidText(&u)) || again != u {
			t.Fatalf("%x does not survive its text %q", u, uuidText(&u))
		}
	})
}

func TestParseUUID(t *testing.T) {
	for s, want := range map[string]bool{
		"":                                     true,
		"646dd286-620c-403c-8b7e-4aad642246c1": true,
		"ffffffff-ffff-ffff-ffff-ffffffffffff": true,
		"646DD286-620C-403C-8B7E-4AAD642246C1": false, // would read back lowercase
		"00000000-0000-0000-0000-000000000000": false, // the zero UUID is stored as null
		"646dd286620c403c8b7e4aad642246c1":     false,
		"646dd286-620c-403c-8b7e-4aad642246c":  false,
		"646dd286-620c-403c-8b7e-4aad642246cg": false,
		"646dd286-620c-403c-8b7e_4aad642246c1": false,
		"u1":                                   false,
	} {
		var u [16]byte
		if got := parseUUID(&u, s); got != want {
			t.Errorf("parseUUID(%q) = %v, want %v", s, got, want)
		}
	}
}
