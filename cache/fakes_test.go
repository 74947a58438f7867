package cache_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/authgate/authgate/identity"
	"github.com/authgate/authgate/internal/testenv"
)

type clock = testenv.Clock

func newClock() *clock { return testenv.NewClock(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)) }

// fakeVerifier maps raw tokens to principals, checks their expiry against
// the clock like a real verifier, and counts calls.
type fakeVerifier struct {
	mu     sync.Mutex
	tokens map[string]identity.Principal
	now    func() time.Time
	calls  atomic.Int64
	// hook, when set, runs inside Verify before it answers.
	hook func()
	err  error
}

func newFakeVerifier(now func() time.Time) *fakeVerifier {
	return &fakeVerifier{tokens: map[string]identity.Principal{}, now: now}
}

func (f *fakeVerifier) add(raw string, p identity.Principal) {
	f.mu.Lock()
	f.tokens[raw] = p
	f.mu.Unlock()
}

func (f *fakeVerifier) Verify(ctx context.Context, raw string) (*identity.Principal, error) {
	f.calls.Add(1)
	f.mu.Lock()
	p, ok := f.tokens[raw]
	hook, ferr := f.hook, f.err
	f.mu.Unlock()
	if hook != nil {
		hook()
	}
	if ferr != nil {
		return nil, ferr
	}
	if !ok {
		return nil, identity.Errorf(identity.EINVALIDTOKEN, "The token is not valid.")
	}
	if !f.now().Before(p.ExpiresAt) {
		return nil, identity.Errorf(identity.ETOKENEXPIRED, "The token has expired.")
	}
	p.Roles = append([]string(nil), p.Roles...)
	return &p, nil
}

var errNotImplemented = errors.New("not implemented in the fake")

// fakeStore is an in-memory UserStore and SessionStore with call counters.
type fakeStore struct {
	mu           sync.Mutex
	users        map[string]identity.User
	sessions     map[string]identity.Session
	userReads    atomic.Int64
	sessionReads atomic.Int64
}

func newFakeStore() *fakeStore {
	return &fakeStore{users: map[string]identity.User{}, sessions: map[string]identity.Session{}}
}

func (s *fakeStore) putUser(u identity.User) {
	s.mu.Lock()
	s.users[u.UID] = u
	s.mu.Unlock()
}

func (s *fakeStore) editUser(uid string, f func(*identity.User)) {
	s.mu.Lock()
	u := s.users[uid]
	f(&u)
	s.users[uid] = u
	s.mu.Unlock()
}

func (s *fakeStore) putSession(x identity.Session) {
	s.mu.Lock()
	s.sessions[x.ID] = x
	s.mu.Unlock()
}

func (s *fakeStore) FindUserByUID(ctx context.Context, uid string) (*identity.User, error) {
	s.userReads.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[uid]
	if !ok {
		return nil, identity.ErrNotFound
	}
	u.Roles = append([]string(nil), u.Roles...)
	return &u, nil
}

func (s *fakeStore) FindSessionByID(ctx context.Context, id string) (*identity.Session, error) {
	s.sessionReads.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	x, ok := s.sessions[id]
	if !ok {
		return nil, identity.ErrNotFound
	}
	return &x, nil
}

func (s *fakeStore) RevokeSession(ctx context.Context, id string, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	x, ok := s.sessions[id]
	if !ok {
		return identity.ErrNotFound
	}
	x.RevokedAt = &now
	s.sessions[id] = x
	return nil
}

func (s *fakeStore) CreateUser(ctx context.Context, u *identity.User) error {
	s.putUser(*u)
	return nil
}

func (s *fakeStore) FindUserByEmail(ctx context.Context, email string) (*identity.User, error) {
	return nil, errNotImplemented
}

func (s *fakeStore) FindUsers(ctx context.Context, f identity.UserFilter) ([]*identity.User, int, error) {
	return nil, 0, errNotImplemented
}

func (s *fakeStore) UpdateUser(ctx context.Context, uid string, upd identity.UserUpdate) (*identity.User, error) {
	return nil, errNotImplemented
}

func (s *fakeStore) DeleteUser(ctx context.Context, uid string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.users, uid)
	return nil
}

func (s *fakeStore) CreateSession(ctx context.Context, x *identity.Session, rt *identity.RefreshToken) error {
	s.putSession(*x)
	return nil
}

func (s *fakeStore) FindSessions(ctx context.Context, uid string, now time.Time) ([]*identity.Session, error) {
	return nil, errNotImplemented
}

func (s *fakeStore) RevokeUserSessions(ctx context.Context, uid, exceptID string, now time.Time) ([]string, error) {
	return nil, errNotImplemented
}

func (s *fakeStore) RotateRefreshToken(ctx context.Context, oldHash string, next *identity.RefreshToken, newTokenID string, now time.Time) (*identity.Session, error) {
	return nil, errNotImplemented
}
