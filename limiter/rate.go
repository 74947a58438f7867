package limiter

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Limit names used by the auth API.
const (
	LoginAccount   = "login_account"    // failed logins per account (normalized email)
	LoginAccountIP = "login_account_ip" // failed logins per (account, client IP) pair
	LoginIP        = "login_ip"         // failed logins per client IP
	RegisterIP     = "register_ip"      // registrations per client IP
	ResetEmail     = "reset_email"      // password reset requests per email
	ResetIP        = "reset_ip"         // password reset requests per client IP
	EmailSend      = "email_send"       // verification mails per user
	TOTP           = "totp"             // failed TOTP / recovery codes per user
	VerifyIP       = "verify_ip"        // token verifications / exchanges per client IP
)

// Rate allows Limit events per Period.
type Rate struct {
	Limit  int64
	Period time.Duration
}

// String formats the rate as ParseRate reads it ("10-15M").
func (r Rate) String() string {
	units := []struct {
		d time.Duration
		s string
	}{{24 * time.Hour, "D"}, {time.Hour, "H"}, {time.Minute, "M"}, {time.Second, "S"}}
	for _, u := range units {
		if r.Period >= u.d && r.Period%u.d == 0 {
			n := r.Period / u.d
			if n == 1 {
				return fmt.Sprintf("%d-%s", r.Limit, u.s)
			}
			return fmt.Sprintf("%d-%d%s", r.Limit, n, u.s)
		}
	}
	return fmt.Sprintf("%d-%s", r.Limit, r.Period)
}

func (r Rate) validate() error {
	if r.Limit < 1 {
		return fmt.Errorf("limit %d: must be at least 1", r.Limit)
	}
	if r.Period < time.Second || r.Period%time.Second != 0 {
		return fmt.Errorf("period %s: must be a whole number of seconds, at least 1s", r.Period)
	}
	return nil
}

// DefaultRates are the limits authgate starts with, in line with OWASP ASVS
// 2.2.1 and NIST SP 800-63B 5.2.2 (throttle well before 100 failed attempts
// per account, never a permanent lockout). The auth API counts failed
// logins only, so a user who signs in correctly is not slowed down.
//
// Failed logins are counted per (account, client IP) pair, per account and
// per client IP. The pair's bound is the tight one, so one client guessing
// an account's password is throttled on that account without throttling
// the owner on their own addresses (OWASP: an attacker must not be able to
// lock the legitimate user out). The account-wide bound is looser, so that
// tripping it takes at least four addresses, and still caps a distributed
// attack at 40 failures per account per hour sustained, and at 60 in any
// 60 minutes (a 60-minute span touches at most three 30-minute windows).
//
//	login_account_ip  5 per 15 min   one client on one account
//	login_account    20 per 30 min   all clients on one account: ≤ 40/h, ≤ 60 in any hour
//	login_ip         50 per 15 min   password spraying from one address
//	register_ip    10 per hour
//	reset_email     5 per hour     no mail bombing of one address
//	reset_ip       20 per hour
//	email_send      5 per hour     verification mails per user
//	totp            5 per 5 min    a 6-digit code resists 5 guesses per 5 min for years
//	verify_ip     120 per minute   /api/auth/verify
func DefaultRates() map[string]Rate {
	return map[string]Rate{
		LoginAccountIP: {5, 15 * time.Minute},
		LoginAccount:   {20, 30 * time.Minute},
		LoginIP:        {50, 15 * time.Minute},
		RegisterIP:     {10, time.Hour},
		ResetEmail:     {5, time.Hour},
		ResetIP:        {20, time.Hour},
		EmailSend:      {5, time.Hour},
		TOTP:           {5, 5 * time.Minute},
		VerifyIP:       {120, time.Minute},
	}
}

// ParseRate reads "<limit>-<period>", where period is an optional count and
// a unit S, M, H or D (seconds, minutes, hours, days; any case): "10-M" is
// 10 per minute, "10-15M" 10 per 15 minutes, "100-H" 100 per hour.
func ParseRate(s string) (Rate, error) {
	limit, period, ok := strings.Cut(strings.TrimSpace(s), "-")
	if !ok {
		return Rate{}, fmt.Errorf("rate %q: want <limit>-<period>, e.g. 10-15M", s)
	}
	n, err := strconv.ParseInt(limit, 10, 64)
	if err != nil || n < 1 {
		return Rate{}, fmt.Errorf("rate %q: limit %q must be a whole number of at least 1", s, limit)
	}
	if period == "" {
		return Rate{}, fmt.Errorf("rate %q: missing period (S, M, H or D, optionally preceded by a count)", s)
	}
	var unit time.Duration
	switch period[len(period)-1] {
	case 's', 'S':
		unit = time.Second
	case 'm', 'M':
		unit = time.Minute
	case 'h', 'H':
		unit = time.Hour
	case 'd', 'D':
		unit = 24 * time.Hour
	default:
		return Rate{}, fmt.Errorf("rate %q: period %q must end in S, M, H or D", s, period)
	}
	count := int64(1)
	if c := period[:len(period)-1]; c != "" {
		count, err = strconv.ParseInt(c, 10, 64)
		if err != nil || count < 1 {
			return Rate{}, fmt.Errorf("rate %q: period count %q must be a whole number from 1", s, c)
		}
	}
	if time.Duration(count) > (400*24*time.Hour)/unit {
		return Rate{}, fmt.Errorf("rate %q: period longer than 400 days", s)
	}
	return Rate{Limit: n, Period: time.Duration(count) * unit}, nil
}

// ParseRates reads a comma-separated list of name=rate pairs, e.g.
// "login_account=20-30M,login_ip=50-15M", and reports every bad item at once.
// An empty string gives an empty map. To override some defaults:
//
//	rates := limiter.DefaultRates()
//	custom, err := limiter.ParseRates(s)
//	maps.Copy(rates, custom)
func ParseRates(s string) (map[string]Rate, error) {
	rates := map[string]Rate{}
	if strings.TrimSpace(s) == "" {
		return rates, nil
	}
	var errs []error
	for i, item := range strings.Split(s, ",") {
		name, value, ok := strings.Cut(strings.TrimSpace(item), "=")
		name = strings.TrimSpace(name)
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("item %d %q: want name=rate", i+1, item))
			continue
		case !validName(name):
			errs = append(errs, fmt.Errorf("item %d %q: name must be lower-case letters, digits and _", i+1, item))
			continue
		}
		if _, dup := rates[name]; dup {
			errs = append(errs, fmt.Errorf("item %d: %s given twice", i+1, name))
			continue
		}
		r, err := ParseRate(value)
		if err != nil {
			errs = append(errs, fmt.Errorf("item %d (%s): %w", i+1, name, err))
			continue
		}
		rates[name] = r
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("limiter: parse rates: %w", err)
	}
	return rates, nil
}

// FormatRates is the inverse of ParseRates, names sorted.
func FormatRates(rates map[string]Rate) string {
	names := make([]string, 0, len(rates))
	for n := range rates {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = n + "=" + rates[n].String()
	}
	return strings.Join(parts, ",")
}

func validName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}
