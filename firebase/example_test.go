package firebase_test

import (
	"context"
	"log"
	"os"

	"github.com/authgate/authgate/firebase"
	"github.com/authgate/authgate/identity"
)

// Wiring in cmd/authgate: one client per project, its verifier chained with
// authgate's own, its provider behind identity.Provider.
func Example() {
	ctx := context.Background()
	var users identity.UserStore      // the store
	var authgateJWT identity.Verifier // authgate's token verifier
	c, err := firebase.New(ctx, firebase.Config{
		ProjectID:       os.Getenv("AUTHGATE_FIREBASE_PROJECT_ID"),
		APIKey:          os.Getenv("AUTHGATE_FIREBASE_API_KEY"),
		CredentialsFile: os.Getenv("GOOGLE_APPLICATION_CREDENTIALS"),
		EmulatorHost:    os.Getenv(firebase.EmulatorHostEnv),
		CheckRevoked:    true,
		Users:           users,
	})
	if err != nil {
		log.Fatal(err) // *firebase.EmulatorNotAllowedError for a stray emulator host
	}
	verifier := identity.Chain{authgateJWT, c.Verifier()}
	provider, err := c.Provider() // AUTHGATE_PROVIDER=firebase only
	if err != nil {
		log.Fatal(err)
	}
	_, _ = verifier, provider
}
