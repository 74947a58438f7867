// Package firebase connects authgate to Firebase Authentication: a Verifier
// for Firebase ID tokens (chained with authgate's own JWT verifier) and an
// identity Provider that keeps passwords at Firebase while authgate keeps the
// users row, roles and sessions.
//
// Two APIs are used. The Admin SDK (firebase.google.com/go/v4/auth) verifies
// ID tokens and manages users with the service account's authority. The
// Identity Toolkit REST API, called with the project's Web API key, does what
// only a client may do: password sign-in, reset and verification mail, and
// redeeming out-of-band codes.
//
// Against the Firebase Auth Emulator (Config.EmulatorHost, or
// FIREBASE_AUTH_EMULATOR_HOST) both APIs go to the emulator and ID token
// signatures are NOT checked. New therefore refuses an emulator host unless
// the project id starts with "demo-" or Config.AllowEmulator is set, so that
// a stray environment variable cannot switch off signature checks in
// production.
//
// Every call to Firebase runs under Config.HTTPTimeout; when Firebase cannot
// be reached in time the error has code identity.EUNAVAILABLE.
package firebase
