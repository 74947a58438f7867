package authapi_test

import (
	"context"
	"strings"
	"time"

	"github.com/authgate/authgate/identity"
	"github.com/authgate/authgate/store"
)

// fakeFirebase stands in for the Firebase ID-token verifier (tested against
// the Firebase emulator in package firebase): it accepts tokens of the form
// "firebase:<uid>:<email>" and passes every other token on.
func fakeFirebase(clock *testClock) identity.Verifier {
	return identity.VerifierFunc(func(_ context.Context, raw string) (*identity.Principal, error) {
		rest, ok := strings.CutPrefix(raw, "firebase:")
		if !ok {
			return nil, identity.ErrNotResponsible
		}
		uid, email, ok := strings.Cut(rest, ":")
		if !ok || uid == "" {
			return nil, identity.Errorf(identity.EINVALIDTOKEN, "The token is not valid.")
		}
		now := clock.Now()
		return &identity.Principal{
			UID: uid, Email: email, EmailVerified: true, Source: identity.SourceFirebase,
			IssuedAt: now, AuthTime: now, ExpiresAt: now.Add(time.Hour),
			Claims: map[string]any{"firebase": map[string]any{"sign_in_provider": "google.com"}},
		}, nil
	})
}

// ensureFirebaseUser is what firebase.Provider.EnsureUser does for the API:
// the first verified token of a uid creates its users row.
func ensureFirebaseUser(db *store.DB) func(context.Context, *identity.Principal) (*identity.User, error) {
	return func(ctx context.Context, p *identity.Principal) (*identity.User, error) {
		u, err := db.FindUserByUID(ctx, p.UID)
		if !identity.IsCode(err, identity.ENOTFOUND) {
			return u, err
		}
		u = &identity.User{UID: p.UID, Email: p.Email, EmailVerified: p.EmailVerified, IsActive: true}
		if err := db.CreateUser(ctx, u); err != nil {
			return nil, err
		}
		return u, nil
	}
}
