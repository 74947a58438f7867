package mfa_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/authgate/authgate/identity"
	"github.com/authgate/authgate/mfa"
)

// A ticket carries the first factor it was issued after into the amr of
// the completed sign-in; a password ticket still yields ["pwd", "otp"].
func TestTicketFirstFactor(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		issue   func() (string, time.Time, error)
		first   mfa.FirstFactor
		wantAMR []string
	}{
		{"password", func() (string, time.Time, error) { return f.svc.IssueTicket(ctx, f.user.UID, time.Time{}) },
			mfa.FirstFactorPassword, []string{"pwd", "otp"}},
		{"federated", func() (string, time.Time, error) {
			return f.svc.IssueTicketAfter(ctx, f.user.UID, mfa.FirstFactorFederated, time.Time{})
		}, mfa.FirstFactorFederated, []string{"fed", "otp"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw, _, err := tc.issue()
			if err != nil {
				t.Fatal(err)
			}
			tk, err := f.svc.RedeemTicket(ctx, raw)
			if err != nil {
				t.Fatal(err)
			}
			if got := mfa.TicketFirstFactor(tk); got != tc.first {
				t.Errorf("first factor %q, want %q", got, tc.first)
			}
			for _, m := range []mfa.Method{mfa.MethodTOTP, mfa.MethodRecoveryCode} {
				if got := tc.first.AMR(m); !slices.Equal(got, tc.wantAMR) {
					t.Errorf("AMR(%s) = %v, want %v", m, got, tc.wantAMR)
				}
			}
		})
	}

	if _, _, err := f.svc.IssueTicketAfter(ctx, f.user.UID, "hwk", time.Time{}); err == nil {
		t.Error("a ticket after an unknown first factor was issued")
	}

	// Stored tickets: one from before tickets carried a first factor is a
	// password's; one naming an unknown factor is refused (fail closed).
	for _, tc := range []struct {
		data  string
		want  mfa.FirstFactor
		valid bool
	}{{"", mfa.FirstFactorPassword, true}, {"pwd ", "", false}, {"otp", "", false}} {
		raw, hash := identity.NewSecret()
		if err := f.db.CreateOneTimeToken(ctx, &identity.OneTimeToken{Hash: hash, Purpose: identity.PurposeMFATicket, UID: f.user.UID,
			Data: tc.data, CreatedAt: f.clock.Now(), ExpiresAt: f.clock.Now().Add(time.Minute)}); err != nil {
			t.Fatal(err)
		}
		tk, err := f.svc.RedeemTicket(ctx, raw)
		switch {
		case tc.valid && (err != nil || mfa.TicketFirstFactor(tk) != tc.want):
			t.Errorf("stored data %q: %+v, %v; want first factor %q", tc.data, tk, err, tc.want)
		case !tc.valid && !identity.IsCode(err, identity.EINVALIDTOKEN):
			t.Errorf("stored data %q: %v, want invalid_token", tc.data, err)
		}
	}
}
