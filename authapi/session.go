package authapi

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"time"

	"github.com/authgate/authgate/identity"
)

// tokenPair is the token part of sign-in answers.
type tokenPair struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
}

// tokenResponse is the answer of login and refresh; register and verify
// embed the pair only when they create a session.
type tokenResponse struct {
	*tokenPair
	User *identity.User `json:"user"`
}

// startSession creates a session for u with the client's device info and
// IP, and returns its first token pair.
func (a *API) startSession(ctx context.Context, r *http.Request, u *identity.User, amr []string) (*tokenPair, *identity.Session, error) {
	now := a.now()
	s := &identity.Session{
		ID:         identity.NewID(),
		UID:        u.UID,
		CreatedAt:  now,
		ExpiresAt:  now.Add(a.RefreshTTL),
		DeviceInfo: deviceInfo(r.UserAgent()),
		IPAddress:  a.clientIP(r),
		AMR:        amr,
	}
	access, jti, exp, err := a.Tokens.IssueAccessToken(ctx, u, s, amr)
	if err != nil {
		return nil, nil, fmt.Errorf("authapi: issue access token: %w", err)
	}
	s.TokenID = jti
	refresh, hash := identity.NewSecret()
	rt := &identity.RefreshToken{Hash: hash, SessionID: s.ID, UID: u.UID, CreatedAt: now, ExpiresAt: s.ExpiresAt}
	if err := a.Sessions.CreateSession(ctx, s, rt); err != nil {
		return nil, nil, fmt.Errorf("authapi: create session: %w", err)
	}
	return a.pair(access, refresh, exp), s, nil
}

func (a *API) pair(access, refresh string, exp time.Time) *tokenPair {
	secs := int64(math.Round(exp.Sub(a.now()).Seconds()))
	if secs < 0 {
		secs = 0
	}
	return &tokenPair{AccessToken: access, RefreshToken: refresh, TokenType: "Bearer", ExpiresIn: secs}
}

// touchLogin stores the sign-in time and returns the updated user.
func (a *API) touchLogin(ctx context.Context, u *identity.User) (*identity.User, error) {
	now := a.now()
	updated, err := a.Users.UpdateUser(ctx, u.UID, identity.UserUpdate{LastLoginAt: &now})
	if err != nil {
		return nil, fmt.Errorf("authapi: update last login: %w", err)
	}
	return updated, nil
}
