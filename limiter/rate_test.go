package limiter_test

import (
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/limiter"
)

func TestParseRate(t *testing.T) {
	for _, c := range []struct {
		in   string
		want limiter.Rate
		err  string
	}{
		{in: "10-M", want: limiter.Rate{10, time.Minute}},
		{in: "10-15M", want: limiter.Rate{10, 15 * time.Minute}},
		{in: "100-H", want: limiter.Rate{100, time.Hour}},
		{in: "5-5m", want: limiter.Rate{5, 5 * time.Minute}},
		{in: "1-30s", want: limiter.Rate{1, 30 * time.Second}},
		{in: " 3-2D ", want: limiter.Rate{3, 48 * time.Hour}},
		{in: "10", err: "want <limit>-<period>"},
		{in: "", err: "want <limit>-<period>"},
		{in: "0-M", err: "at least 1"},
		{in: "-1-M", err: "at least 1"},
		{in: "x-M", err: "whole number"},
		{in: "10-", err: "missing period"},
		{in: "10-15", err: "must end in"},
		{in: "10-15W", err: "must end in"},
		{in: "10-0M", err: "period count"},
		{in: "10--5M", err: "period count"},
		{in: "10-1000D", err: "400 days"},
		{in: "10-99999999999999999D", err: "400 days"},
		{in: "10-999999999999999999999D", err: "period count"},
	} {
		got, err := limiter.ParseRate(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("ParseRate(%q) = %v, %v; want error with %q", c.in, got, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("ParseRate(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
}

func TestParseRates(t *testing.T) {
	got, err := limiter.ParseRates("login_account=10-15M, login_ip = 50-15M")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]limiter.Rate{"login_account": {10, 15 * time.Minute}, "login_ip": {50, 15 * time.Minute}}
	if !maps.Equal(got, want) {
		t.Fatalf("got %v", got)
	}
	if m, err := limiter.ParseRates("  "); err != nil || len(m) != 0 {
		t.Fatalf("empty: %v %v", m, err)
	}

	// Every bad item is reported at once.
	_, err = limiter.ParseRates("login_account=10,Bad=1-M,totp,login_ip=5-M,login_ip=6-M")
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{"item 1 (login_account)", "item 2", "item 3", "item 5: login_ip given twice"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestDefaultRatesWithinGuidance(t *testing.T) {
	d := limiter.DefaultRates()
	for _, name := range []string{limiter.LoginAccount, limiter.LoginAccountIP, limiter.LoginIP, limiter.RegisterIP,
		limiter.ResetEmail, limiter.ResetIP, limiter.EmailSend, limiter.TOTP, limiter.VerifyIP} {
		if _, ok := d[name]; !ok {
			t.Errorf("no default for %s", name)
		}
	}
	// NIST SP 800-63B 5.2.2 / ASVS 2.2.1: fewer than 100 failed attempts per
	// account per hour, also in the worst case of fixed windows: a window
	// starts at its first event, so any 60 minutes touch at most
	// ceil(1h/period)+1 windows. Both per-account limits must hold it.
	for _, name := range []string{limiter.LoginAccount, limiter.LoginAccountIP} {
		r := d[name]
		windows := int64((time.Hour+r.Period-1)/r.Period) + 1
		if worst := r.Limit * windows; worst >= 100 {
			t.Errorf("%s (%s) allows %d failures per account in some hour", name, r, worst)
		}
		if sustained := float64(r.Limit) * float64(time.Hour) / float64(r.Period); sustained > 50 {
			t.Errorf("%s (%s) allows %.0f failures per account per hour sustained, want at most 50", name, r, sustained)
		}
	}
	// One client on one account is throttled well before the account is:
	// an attacker from one address cannot lock the owner out, and it takes
	// several addresses to trip the account-wide bound.
	pair, acct, ip := d[limiter.LoginAccountIP], d[limiter.LoginAccount], d[limiter.LoginIP]
	if pair.Period > acct.Period || 2*pair.Limit > acct.Limit {
		t.Errorf("login_account_ip %s is not well under login_account %s", pair, acct)
	}
	if pair.Limit >= ip.Limit {
		t.Errorf("login_account_ip %s is not under login_ip %s", pair, ip)
	}
	for name, r := range d {
		if r.Period > 24*time.Hour {
			t.Errorf("%s: a %s window is a lockout", name, r.Period)
		}
	}
	// The defaults survive a round trip through the config format.
	back, err := limiter.ParseRates(limiter.FormatRates(d))
	if err != nil || !maps.Equal(back, d) {
		t.Fatalf("round trip: %v %v", back, err)
	}
}

func FuzzParseRates(f *testing.F) {
	f.Add("login_account=10-15M,login_ip=50-15M")
	f.Add("a=1-S")
	f.Add("x=9223372036854775807-400D")
	f.Add("=,=,")
	f.Fuzz(func(t *testing.T, s string) {
		rates, err := limiter.ParseRates(s)
		if err != nil {
			return
		}
		for name, r := range rates {
			if r.Limit < 1 || r.Period < time.Second || r.Period > 400*24*time.Hour {
				t.Fatalf("%s: accepted %+v", name, r)
			}
		}
		back, err := limiter.ParseRates(limiter.FormatRates(rates))
		if err != nil || !maps.Equal(back, rates) {
			t.Fatalf("round trip of %q: %v %v", s, back, err)
		}
	})
}
