package authapi

import "testing"

func TestAccountIPKey(t *testing.T) {
	tests := []struct{ email, ip, want string }{
		{"ada@example.com", "203.0.113.7", "11:203.0.113.7:ada@example.com"},
		{"ada@example.com", "2001:db8::1", "11:2001:db8::1:ada@example.com"},
		{"ada@example.com", "", "0::ada@example.com"},
		{"", "192.0.2.1", "9:192.0.2.1:"},
		{"a:b@example.com", "fe80::1%eth0", "12:fe80::1%eth0:a:b@example.com"},
	}
	for _, tt := range tests {
		key := accountIPKey(tt.email, tt.ip)
		if key != tt.want {
			t.Errorf("accountIPKey(%q, %q) = %q, want %q", tt.email, tt.ip, key, tt.want)
		}
		email, ip, ok := splitAccountIPKey(key)
		if !ok || email != tt.email || ip != tt.ip {
			t.Errorf("splitAccountIPKey(%q) = %q, %q, %v", key, email, ip, ok)
		}
	}
}

// TestAccountIPKeyUnambiguous: pairs that a plain "ip:email" join would
// merge (an IPv6 address and an email both holding ':', or a zone holding
// the separator) must get distinct keys.
func TestAccountIPKeyUnambiguous(t *testing.T) {
	pairs := [][2]string{
		{"b@x", "fe80::1%a:"}, {":b@x", "fe80::1%a"},
		{"1:b@x", "::"}, {"b@x", "::1:"},
		{"x", "1"}, {"1:x", ""}, {"", "1:x"},
	}
	seen := map[string][2]string{}
	for _, p := range pairs {
		k := accountIPKey(p[0], p[1])
		if prev, dup := seen[k]; dup {
			t.Errorf("%q and %q share the key %q", prev, p, k)
		}
		seen[k] = p
	}
}

func TestSplitAccountIPKeyRefuses(t *testing.T) {
	for _, key := range []string{
		"", "ada@example.com", ":", "x:1.2.3.4:a", "-1::a", "+3:1.2:a", "03:1.2:a",
		"5:1.2:a", "99:1.2.3.4:a", "3:1.2", "3:1.2x", "99999999999999999999:a",
	} {
		if email, ip, ok := splitAccountIPKey(key); ok {
			t.Errorf("splitAccountIPKey(%q) = %q, %q, true; want refused", key, email, ip)
		}
	}
}

func FuzzAccountIPKey(f *testing.F) {
	f.Add("ada@example.com", "203.0.113.7", "11:203.0.113.7:ada@example.com")
	f.Add("a:b", "fe80::1%x:", "0::")
	f.Fuzz(func(t *testing.T, email, ip, key string) {
		// Round trip: every pair comes back unchanged, so no two pairs
		// share a key.
		e, i, ok := splitAccountIPKey(accountIPKey(email, ip))
		if !ok || e != email || i != ip {
			t.Fatalf("round trip of (%q, %q) = %q, %q, %v", email, ip, e, i, ok)
		}
		// Any key that splits is the canonical key of its parts.
		if e, i, ok := splitAccountIPKey(key); ok && accountIPKey(e, i) != key {
			t.Fatalf("splitAccountIPKey(%q) = %q, %q, which builds %q", key, e, i, accountIPKey(e, i))
		}
	})
}
