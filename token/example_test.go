package token_test

import (
	"context"
	"fmt"
	"log"

	"github.com/authgate/authgate/identity"
	"github.com/authgate/authgate/token"
)

// keyStore is the smallest identity.KeyStore; authgate uses the database.
type keyStore struct{ keys []*identity.SigningKey }

func (s *keyStore) FindSigningKeys(context.Context) ([]*identity.SigningKey, error) {
	return s.keys, nil
}

func (s *keyStore) CreateSigningKey(_ context.Context, k *identity.SigningKey) error {
	s.keys = append(s.keys, k)
	return nil
}

func Example() {
	ctx := context.Background()

	// First start: an RS256 key is generated and stored.
	keys, err := token.LoadKeySet(ctx, &keyStore{}, token.KeySetConfig{})
	if err != nil {
		log.Fatal(err)
	}
	cfg := token.Config{Issuer: "https://auth.example.com"} // audience "authgate", 15 minutes
	issuer, err := token.NewIssuer(keys, cfg)
	if err != nil {
		log.Fatal(err)
	}
	verifier, err := token.NewVerifier(keys, cfg)
	if err != nil {
		log.Fatal(err)
	}

	user := &identity.User{UID: "u_1", Email: "ada@example.com", EmailVerified: true, Roles: []string{"admin"}}
	session := &identity.Session{ID: "s_1", UID: "u_1"}
	raw, _, _, err := issuer.IssueAccessToken(ctx, user, session, []string{"pwd"})
	if err != nil {
		log.Fatal(err)
	}

	// The verifier goes first in a chain; a Firebase verifier would follow.
	p, err := identity.Chain{verifier}.Verify(ctx, raw)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(p.UID, p.Email, p.Roles, p.SessionID, p.Source)

	_, err = verifier.Verify(ctx, raw+"x")
	fmt.Println(identity.ErrorCode(err))
	// Output:
	// u_1 ada@example.com [admin] s_1 authgate
	// invalid_token
}
