package mfa_test

import (
	"context"
	"errors"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authgate/authgate/identity"
	"github.com/authgate/authgate/internal/testenv"
	"github.com/authgate/authgate/mfa"
	"github.com/authgate/authgate/store"
)

type clock = testenv.Clock

// fixture is a Service on a real SQLite store with one user.
type fixture struct {
	svc   *mfa.Service
	db    *store.DB
	clock *clock
	user  *identity.User
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	ctx := context.Background()
	// Start in the middle of a step, so that ±30s moves exactly one step.
	c := testenv.NewClock(time.Unix(1_750_000_015, 0).UTC())
	db, err := store.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "auth.db"), store.Options{Now: c.Now})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	u := &identity.User{UID: "u-1", Email: "ann@example.com", IsActive: true}
	if err := db.CreateUser(ctx, u); err != nil {
		t.Fatalf("create user: %v", err)
	}
	svc := &mfa.Service{Users: db, OneTime: db, Now: c.Now}
	if err := svc.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	return &fixture{svc: svc, db: db, clock: c, user: u}
}

func (f *fixture) reload(t testing.TB) *identity.User {
	t.Helper()
	u, err := f.db.FindUserByUID(context.Background(), f.user.UID)
	if err != nil {
		t.Fatalf("load user: %v", err)
	}
	return u
}

func (f *fixture) code(t testing.TB, secret string, at time.Time) string {
	t.Helper()
	c, err := mfa.GenerateCode(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// enable enrolls and confirms the fixture's user; it returns the secret
// and the recovery codes, and moves the clock to the next step.
func (f *fixture) enable(t testing.TB) (string, []string) {
	t.Helper()
	ctx := context.Background()
	enr, err := f.svc.Enroll(ctx, f.reload(t))
	if err != nil {
		t.Fatalf("Enroll: %v", err)
	}
	codes, u, err := f.svc.Confirm(ctx, f.user.UID, f.code(t, enr.Secret, f.clock.Now()))
	if err != nil {
		t.Fatalf("Confirm: %v", err)
	}
	if !u.MFAEnabled || len(codes) != mfa.RecoveryCodeCount {
		t.Fatalf("after Confirm: enabled %v, %d codes", u.MFAEnabled, len(codes))
	}
	f.clock.Advance(mfa.Period * time.Second)
	return enr.Secret, codes
}

func TestEnrollment(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	enr, err := f.svc.Enroll(ctx, f.user)
	if err != nil {
		t.Fatalf("Enroll: %v", err)
	}
	u, err := url.Parse(enr.URL)
	if err != nil || u.Scheme != "otpauth" || u.Host != "totp" {
		t.Fatalf("URL %q is not an otpauth://totp URI", enr.URL)
	}
	q := u.Query()
	if u.Path != "/authgate:ann@example.com" || q.Get("issuer") != "authgate" || q.Get("secret") != enr.Secret ||
		q.Get("digits") != "6" || q.Get("period") != "30" || q.Get("algorithm") != "SHA1" {
		t.Errorf("URL %q: wrong label or parameters", enr.URL)
	}
	if len(enr.Secret) != 32 { // 160 bits in base32
		t.Errorf("secret length %d, want 32", len(enr.Secret))
	}
	if !strings.HasPrefix(string(enr.QRPNG), "\x89PNG\r\n\x1a\n") || !strings.HasPrefix(enr.QRDataURI(), "data:image/png;base64,iVBOR") {
		t.Errorf("QR code is not a PNG")
	}
	stored := f.reload(t)
	if stored.MFAEnabled || stored.TOTPSecret != enr.Secret {
		t.Errorf("after Enroll: enabled %v, secret stored %v; want off and stored", stored.MFAEnabled, stored.TOTPSecret == enr.Secret)
	}

	// A wrong code does not confirm; a new enrollment replaces the secret.
	if _, _, err := f.svc.Confirm(ctx, f.user.UID, wrongCode(f.code(t, enr.Secret, f.clock.Now()))); !identity.IsCode(err, identity.EINVALIDMFA) {
		t.Errorf("Confirm with a wrong code: %v, want invalid_mfa_code", err)
	}
	enr2, err := f.svc.Enroll(ctx, f.reload(t))
	if err != nil || enr2.Secret == enr.Secret {
		t.Fatalf("re-Enroll: %v (same secret: %v)", err, enr2 != nil && enr2.Secret == enr.Secret)
	}
	if _, _, err := f.svc.Confirm(ctx, f.user.UID, f.code(t, enr.Secret, f.clock.Now())); !identity.IsCode(err, identity.EINVALIDMFA) {
		t.Errorf("Confirm with the replaced secret's code: %v, want invalid_mfa_code", err)
	}
	if _, _, err := f.svc.Confirm(ctx, f.user.UID, f.code(t, enr2.Secret, f.clock.Now())); err != nil {
		t.Fatalf("Confirm: %v", err)
	}
	if _, err := f.svc.Enroll(ctx, f.reload(t)); !identity.IsCode(err, identity.ECONFLICT) {
		t.Errorf("Enroll while enabled: %v, want conflict", err)
	}
	if _, _, err := f.svc.Confirm(ctx, f.user.UID, "123456"); !identity.IsCode(err, identity.ECONFLICT) {
		t.Errorf("Confirm while enabled: %v, want conflict", err)
	}
}

func TestVerifyTOTP(t *testing.T) {
	f := newFixture(t)
	secret, _ := f.enable(t)
	ctx := context.Background()
	now := f.clock.Now()
	step := time.Duration(mfa.Period) * time.Second

	tests := []struct {
		name    string
		code    string
		want    error // nil: accepted
		replay  bool
		advance time.Duration
	}{
		{name: "current code", code: f.code(t, secret, now)},
		{name: "same code again", code: f.code(t, secret, now), want: errInvalid, replay: true},
		{name: "previous step, older than the last accepted", code: f.code(t, secret, now.Add(-step)), want: errInvalid, replay: true},
		{name: "next step (clock skew)", code: f.code(t, secret, now.Add(step))},
		{name: "next step again", code: f.code(t, secret, now.Add(step)), want: errInvalid, replay: true},
		{name: "two steps ahead", code: f.code(t, secret, now.Add(3*step)), want: errInvalid},
		{name: "expired: two minutes old", code: f.code(t, secret, now.Add(2*step)), advance: 6 * step, want: errInvalid},
		{name: "wrong code", code: wrongCode(f.code(t, secret, now.Add(6*step))), want: errInvalid},
		{name: "too short", code: "12345", want: errInvalid},
		{name: "letters", code: "12a456", want: errInvalid},
		{name: "empty", code: "", want: errInvalid},
		{name: "spaces around digits are fine", code: spaced(f.code(t, secret, now.Add(7*step))), advance: step},
	}
	for _, tc := range tests {
		f.clock.Advance(tc.advance)
		method, err := f.svc.Verify(ctx, f.reload(t), tc.code)
		switch {
		case tc.want == nil && (err != nil || method != mfa.MethodTOTP):
			t.Errorf("%s: Verify = %q, %v; want totp", tc.name, method, err)
		case tc.want != nil && !identity.IsCode(err, identity.EINVALIDMFA):
			t.Errorf("%s: Verify = %q, %v; want invalid_mfa_code", tc.name, method, err)
		case tc.want != nil && errors.Is(err, mfa.ErrReplayed) != tc.replay:
			t.Errorf("%s: errors.Is(err, ErrReplayed) = %v, want %v", tc.name, !tc.replay, tc.replay)
		}
	}
}

var errInvalid = errors.New("invalid")

func wrongCode(c string) string {
	b := []byte(c)
	b[0] = '0' + (b[0]-'0'+1)%10
	return string(b)
}

func spaced(c string) string { return " " + c[:3] + " " + c[3:] + " " }

func TestConcurrentReplay(t *testing.T) {
	f := newFixture(t)
	secret, _ := f.enable(t)
	code := f.code(t, secret, f.clock.Now())
	u := f.reload(t)
	const n = 8
	var wg sync.WaitGroup
	results := make(chan error, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			uc := *u // every request loaded the user before any accepted the code
			_, err := f.svc.Verify(context.Background(), &uc, code)
			results <- err
		}()
	}
	wg.Wait()
	close(results)
	ok := 0
	for err := range results {
		switch {
		case err == nil:
			ok++
		case !identity.IsCode(err, identity.EINVALIDMFA):
			t.Errorf("concurrent Verify: %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d of %d concurrent uses of one code were accepted, want exactly 1", ok, n)
	}
}

func TestRecoveryCodes(t *testing.T) {
	f := newFixture(t)
	_, codes := f.enable(t)
	ctx := context.Background()
	seen := map[string]bool{}
	for _, c := range codes {
		if len(c) != 19 || strings.Count(c, "-") != 3 || seen[c] {
			t.Fatalf("bad or repeated recovery code %q", c)
		}
		seen[c] = true
	}
	if m, err := f.svc.Verify(ctx, f.reload(t), codes[0]); err != nil || m != mfa.MethodRecoveryCode {
		t.Fatalf("first use: %q, %v", m, err)
	}
	if _, err := f.svc.Verify(ctx, f.reload(t), codes[0]); !identity.IsCode(err, identity.EINVALIDMFA) {
		t.Fatalf("second use: %v, want invalid_mfa_code", err)
	}
	// Typed in upper case without dashes it still works.
	if _, err := f.svc.Verify(ctx, f.reload(t), strings.ToUpper(strings.ReplaceAll(codes[1], "-", ""))); err != nil {
		t.Fatalf("normalized use: %v", err)
	}

	// Another user's code never works.
	other := &identity.User{UID: "u-2", Email: "bob@example.com", IsActive: true}
	if err := f.db.CreateUser(ctx, other); err != nil {
		t.Fatal(err)
	}
	enr, err := f.svc.Enroll(ctx, other)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.svc.Confirm(ctx, other.UID, f.code(t, enr.Secret, f.clock.Now())); err != nil {
		t.Fatal(err)
	}
	otherUser, _ := f.db.FindUserByUID(ctx, other.UID)
	if _, err := f.svc.Verify(ctx, otherUser, codes[2]); !identity.IsCode(err, identity.EINVALIDMFA) {
		t.Errorf("another user's code: %v, want invalid_mfa_code", err)
	}

	fresh, err := f.svc.RegenerateRecoveryCodes(ctx, f.user.UID)
	if err != nil || len(fresh) != mfa.RecoveryCodeCount {
		t.Fatalf("Regenerate: %d codes, %v", len(fresh), err)
	}
	if _, err := f.svc.Verify(ctx, f.reload(t), codes[3]); !identity.IsCode(err, identity.EINVALIDMFA) {
		t.Errorf("old code after regeneration: %v, want invalid_mfa_code", err)
	}
	if _, err := f.svc.Verify(ctx, f.reload(t), fresh[0]); err != nil {
		t.Errorf("new code: %v", err)
	}

	if _, err := f.svc.Disable(ctx, f.user.UID); err != nil {
		t.Fatal(err)
	}
	u := f.reload(t)
	if u.MFAEnabled || u.TOTPSecret != "" {
		t.Errorf("after Disable: enabled %v, secret kept %v", u.MFAEnabled, u.TOTPSecret != "")
	}
	if _, err := f.svc.Verify(ctx, u, fresh[1]); !identity.IsCode(err, identity.ECONFLICT) {
		t.Errorf("Verify after Disable: %v, want conflict", err)
	}
	if _, err := f.svc.RegenerateRecoveryCodes(ctx, f.user.UID); !identity.IsCode(err, identity.ECONFLICT) {
		t.Errorf("Regenerate after Disable: %v, want conflict", err)
	}
}

func TestTickets(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	raw, exp, err := f.svc.IssueTicket(ctx, f.user.UID, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if got := exp.Sub(f.clock.Now()); got != mfa.DefaultTicketTTL {
		t.Errorf("ticket lifetime %v, want %v", got, mfa.DefaultTicketTTL)
	}
	tk, err := f.svc.RedeemTicket(ctx, raw)
	if err != nil || tk.UID != f.user.UID {
		t.Fatalf("RedeemTicket: %+v, %v", tk, err)
	}
	if _, err := f.svc.RedeemTicket(ctx, raw); !identity.IsCode(err, identity.EINVALIDTOKEN) {
		t.Errorf("second redemption: %v, want invalid_token", err)
	}

	raw, _, _ = f.svc.IssueTicket(ctx, f.user.UID, time.Time{})
	f.clock.Advance(mfa.DefaultTicketTTL + time.Second)
	if _, err := f.svc.RedeemTicket(ctx, raw); !identity.IsCode(err, identity.EINVALIDTOKEN) {
		t.Errorf("expired ticket: %v, want invalid_token", err)
	}
	if _, _, err := f.svc.IssueTicket(ctx, f.user.UID, f.clock.Now().Add(-time.Second)); !identity.IsCode(err, identity.EINVALIDTOKEN) {
		t.Errorf("replacement past the deadline: %v, want invalid_token", err)
	}
	for _, bad := range []string{"", "x", strings.Repeat("a", 10000)} {
		if _, err := f.svc.RedeemTicket(ctx, bad); !identity.IsCode(err, identity.EINVALIDTOKEN) {
			t.Errorf("RedeemTicket(%.8q): %v, want invalid_token", bad, err)
		}
	}
}

func TestValidate(t *testing.T) {
	bad := &mfa.Service{Issuer: "a:b", TicketTTL: -1}
	err := bad.Validate()
	if err == nil {
		t.Fatal("Validate accepted a bad configuration")
	}
	for _, want := range []string{"Users", "OneTime", "Issuer", "TicketTTL"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Validate error %q does not name %s", err, want)
		}
	}
}

func TestNormalizeCode(t *testing.T) {
	tests := map[string]string{
		"123 456":               "123456",
		"ABCD-efgh-IJKL-mnop":   "abcdefghijklmnop",
		"\t12-34-56 ":           "123456",
		strings.Repeat("1", 65): "",
	}
	for in, want := range tests {
		if got := mfa.NormalizeCode(in); got != want {
			t.Errorf("NormalizeCode(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzVerify(f *testing.F) {
	fx := newFixture(f)
	secret, codes := fx.enable(f)
	f.Add("123456")
	f.Add(codes[0])
	f.Add("ÄÖÜ-\x00-\xff")
	f.Add(strings.Repeat("-", 100))
	f.Fuzz(func(t *testing.T, code string) {
		u := fx.reload(t)
		m, err := fx.svc.Verify(context.Background(), u, code)
		if err == nil {
			// Only a real code may pass: the current TOTP code or a recovery code.
			n := mfa.NormalizeCode(code)
			cur := fx.code(t, secret, fx.clock.Now())
			if m == mfa.MethodTOTP && n != cur && n != fx.code(t, secret, fx.clock.Now().Add(-30*time.Second)) &&
				n != fx.code(t, secret, fx.clock.Now().Add(30*time.Second)) {
				t.Fatalf("Verify accepted %q as TOTP", code)
			}
			return
		}
		if c := identity.ErrorCode(err); c != identity.EINVALIDMFA {
			t.Fatalf("Verify(%q): code %q, want invalid_mfa_code", code, c)
		}
	})
}

func BenchmarkVerifyWrongCode(b *testing.B) {
	f := newFixture(b)
	secret, _ := f.enable(b)
	u := f.reload(b)
	ctx := context.Background()
	wrong := wrongCode(f.code(b, secret, f.clock.Now()))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.svc.Verify(ctx, u, wrong); err == nil {
			b.Fatal("accepted")
		}
	}
}
