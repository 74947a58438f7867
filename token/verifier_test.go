package token_test

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/identity"
	"github.com/authgate/authgate/token"
	"github.com/golang-jwt/jwt/v5"
)

var algs = []string{token.RS256, token.ES256, token.EdDSA}

// sign signs header.claims with the library's implementation of alg.
func sign(tb testing.TB, alg string, key any, header, claims any) string {
	tb.Helper()
	input := compact(tb, header, claims)
	m := jwt.GetSigningMethod(alg)
	if m == nil {
		tb.Fatalf("no signing method %s", alg)
	}
	sig, err := m.Sign(input, key)
	if err != nil {
		tb.Fatalf("sign %s: %v", alg, err)
	}
	return input + "." + b64.EncodeToString(sig)
}

func TestIssueVerifyRoundTrip(t *testing.T) {
	for _, alg := range algs {
		t.Run(alg, func(t *testing.T) {
			f := newFixture(t, alg)
			raw, jti, exp, err := f.issuer.IssueAccessToken(context.Background(), testUser(), testSession(), []string{"pwd", "otp"})
			if err != nil {
				t.Fatal(err)
			}
			if jti == "" || !exp.Equal(t0.Add(token.DefaultAccessTTL)) {
				t.Fatalf("jti %q exp %v, want a jti and %v", jti, exp, t0.Add(token.DefaultAccessTTL))
			}
			f.clock.Advance(time.Minute)
			p, err := f.verifier.Verify(context.Background(), raw)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			want := identity.Principal{
				UID: "u_123", Email: "ada@example.com", EmailVerified: true, Name: "Ada Lovelace",
				Roles: []string{"admin", "editor"}, SessionID: "sess_1", TokenID: jti,
				AMR: []string{"pwd", "otp"}, Source: identity.SourceAuthgate,
				IssuedAt: t0, ExpiresAt: exp,
			}
			got := *p
			got.Claims = nil
			if !principalEqual(got, want) {
				t.Fatalf("principal\n got %+v\nwant %+v", got, want)
			}
			for _, name := range []string{"iss", "sub", "aud", "exp", "iat", "nbf", "jti", "sid", "email", "email_verified", "roles", "amr", "name"} {
				if _, ok := p.Claims[name]; !ok {
					t.Errorf("claim %s missing from Principal.Claims", name)
				}
			}
			if p.Claims["iss"] != testIssuer || p.Claims["aud"] != "authgate" || p.Claims["sid"] != "sess_1" {
				t.Errorf("iss/aud/sid claims %v/%v/%v", p.Claims["iss"], p.Claims["aud"], p.Claims["sid"])
			}
			// The shapes an untyped JSON decode gives, as for Firebase claims.
			if p.Claims["exp"] != float64(exp.Unix()) || p.Claims["email_verified"] != true ||
				!slices.Equal(p.Claims["roles"].([]any), []any{"admin", "editor"}) {
				t.Errorf("claims %#v", p.Claims)
			}

			// The header is exactly alg, kid, typ.
			hdr, err := b64.DecodeString(strings.Split(raw, ".")[0])
			if err != nil {
				t.Fatal(err)
			}
			if want := `{"alg":"` + alg + `","kid":"` + f.kid + `","typ":"at+jwt"}`; string(hdr) != want {
				t.Errorf("header %s, want %s", hdr, want)
			}
		})
	}
}

func principalEqual(a, b identity.Principal) bool {
	return a.UID == b.UID && a.Email == b.Email && a.EmailVerified == b.EmailVerified && a.Name == b.Name &&
		slices.Equal(a.Roles, b.Roles) && a.SessionID == b.SessionID && a.TokenID == b.TokenID &&
		slices.Equal(a.AMR, b.AMR) && a.Source == b.Source && a.IssuedAt.Equal(b.IssuedAt) &&
		a.ExpiresAt.Equal(b.ExpiresAt)
}

func TestIssueRolesAndAMRNeverNull(t *testing.T) {
	f := newFixture(t, token.ES256)
	u := testUser()
	u.Roles, u.DisplayName = nil, ""
	raw, _, _, err := f.issuer.IssueAccessToken(context.Background(), u, testSession(), nil)
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := b64.DecodeString(strings.Split(raw, ".")[1])
	for _, want := range []string{`"roles":[]`, `"amr":[]`} {
		if !strings.Contains(string(payload), want) {
			t.Errorf("payload %s lacks %s", payload, want)
		}
	}
	if strings.Contains(string(payload), `"name"`) {
		t.Errorf("payload %s has a name claim for a user without display name", payload)
	}
	p, err := f.verifier.Verify(context.Background(), raw)
	if err != nil {
		t.Fatal(err)
	}
	if p.Roles == nil || len(p.Roles) != 0 || p.AMR == nil {
		t.Fatalf("roles %#v amr %#v, want empty non-nil", p.Roles, p.AMR)
	}
}

func TestIssueRequiresUserAndSession(t *testing.T) {
	f := newFixture(t, token.ES256)
	ctx := context.Background()
	for name, c := range map[string]struct {
		u *identity.User
		s *identity.Session
	}{
		"nil user": {nil, testSession()}, "no uid": {&identity.User{}, testSession()},
		"nil session": {testUser(), nil}, "no session id": {testUser(), &identity.Session{}},
	} {
		if _, _, _, err := f.issuer.IssueAccessToken(ctx, c.u, c.s, nil); err == nil {
			t.Errorf("%s: issued a token", name)
		}
	}
}

func TestIssueTTLAndAudience(t *testing.T) {
	f := newFixture(t, token.EdDSA)
	cfg := f.cfg
	cfg.AccessTTL, cfg.Audience = 90*time.Second, "my-api"
	iss, err := token.NewIssuer(f.keys, cfg)
	if err != nil {
		t.Fatal(err)
	}
	raw, _, exp, err := iss.IssueAccessToken(context.Background(), testUser(), testSession(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !exp.Equal(t0.Add(90 * time.Second)) {
		t.Fatalf("exp %v", exp)
	}
	// The default verifier expects aud "authgate".
	if _, err := f.verifier.Verify(context.Background(), raw); !identity.IsCode(err, identity.EINVALIDTOKEN) {
		t.Fatalf("aud my-api accepted by an authgate-audience verifier: %v", err)
	}
	v, err := token.NewVerifier(f.keys, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(context.Background(), raw); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(90*time.Second + token.DefaultLeeway)
	if _, err := v.Verify(context.Background(), raw); !identity.IsCode(err, identity.ETOKENEXPIRED) {
		t.Fatalf("after ttl+leeway: %v, want token_expired", err)
	}
}

// outcome of one attack case.
type outcome int

const (
	valid          outcome = iota
	invalidToken           // *identity.Error, invalid_token
	expiredToken           // *identity.Error, token_expired
	notResponsible         // wraps identity.ErrNotResponsible
)

func (o outcome) String() string {
	return [...]string{"valid", "invalid_token", "token_expired", "not responsible"}[o]
}

func classify(err error) outcome {
	switch {
	case err == nil:
		return valid
	case errors.Is(err, identity.ErrNotResponsible):
		return notResponsible
	case identity.IsCode(err, identity.ETOKENEXPIRED):
		return expiredToken
	case identity.IsCode(err, identity.EINVALIDTOKEN):
		return invalidToken
	}
	return -1
}

func with(m map[string]any, kv ...any) map[string]any {
	out := maps.Clone(m)
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
			continue
		}
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

// TestVerifyAttacks is the RFC 8725 table: every token the verifier must
// refuse, and the boundaries it must still accept.
func TestVerifyAttacks(t *testing.T) {
	testKeys(t)
	f := newFixture(t, token.RS256)  // we hold rsaKey: forged tokens can be validly signed
	fe := newFixture(t, token.ES256) // an ES256 key set, for the swap cases
	now := f.clock.Now().Unix()
	claims := f.validClaims()
	hdr := f.validHeader()
	good := sign(t, "RS256", rsaKey, hdr, claims)

	pubDER, _ := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	pkcs1DER := x509.MarshalPKCS1PublicKey(&rsaKey.PublicKey)
	parts := strings.Split(good, ".")

	// A second key set whose kid an attacker knows; used for "signed by
	// another key" cases.
	attackerKS, err := token.NewKeySetFromPEM(pkcs8PEM(t, rsaKey2), token.KeySetConfig{})
	if err != nil {
		t.Fatal(err)
	}
	attackerJWK := string(attackerKS.JWKS())
	attackerKID := attackerKS.SigningKeyID()

	tamperedPayload := parts[0] + "." + b64.EncodeToString([]byte(`{"iss":"`+testIssuer+`","sub":"u_123","aud":"authgate","exp":`+itoa(now+900)+`,"iat":`+itoa(now)+`,"jti":"j","sid":"s","roles":["admin"]}`)) + "." + parts[2]
	sigBytes, _ := b64.DecodeString(parts[2])
	sigBytes[10] ^= 0x01
	tamperedSig := parts[0] + "." + parts[1] + "." + b64.EncodeToString(sigBytes)

	cases := []struct {
		name  string
		v     *token.Verifier
		token string
		want  outcome
	}{
		{"valid baseline", f.verifier, good, valid},
		{"issued by our Issuer", f.verifier, f.issue(t), valid},

		// alg none (RFC 8725 2.1)
		{"alg none, empty signature", f.verifier, compact(t, with(hdr, "alg", "none"), claims) + ".", invalidToken},
		{"alg none, with signature", f.verifier, compact(t, with(hdr, "alg", "none"), claims) + "." + parts[2], invalidToken},
		{"alg None", f.verifier, compact(t, with(hdr, "alg", "None"), claims) + ".", invalidToken},
		{"alg missing", f.verifier, compact(t, with(hdr, "alg", nil), claims) + "." + parts[2], invalidToken},

		// key confusion: the public key as an HMAC secret (RFC 8725 2.1)
		{"HS256 with public key PEM", f.verifier, sign(t, "HS256", pubPEM, with(hdr, "alg", "HS256"), claims), invalidToken},
		{"HS256 with public key DER", f.verifier, sign(t, "HS256", pubDER, with(hdr, "alg", "HS256"), claims), invalidToken},
		{"HS256 with PKCS#1 DER", f.verifier, sign(t, "HS256", pkcs1DER, with(hdr, "alg", "HS256"), claims), invalidToken},
		{"HS512 with public key PEM", f.verifier, sign(t, "HS512", pubPEM, with(hdr, "alg", "HS512"), claims), invalidToken},

		// algorithm swaps: the key, not the header, decides
		{"ES256 header on our RSA kid", f.verifier, sign(t, "ES256", ecKey, with(hdr, "alg", "ES256"), claims), invalidToken},
		{"PS256 on our RSA kid", f.verifier, sign(t, "PS256", rsaKey, with(hdr, "alg", "PS256"), claims), invalidToken},
		{"RS512 on our RSA kid", f.verifier, sign(t, "RS512", rsaKey, with(hdr, "alg", "RS512"), claims), invalidToken},
		{"RS256 header on our ES kid", fe.verifier, sign(t, "RS256", rsaKey, with(fe.validHeader(), "alg", "RS256"), fe.validClaims()), invalidToken},
		{"EdDSA header on our ES kid", fe.verifier, sign(t, "EdDSA", edKey, with(fe.validHeader(), "alg", "EdDSA"), fe.validClaims()), invalidToken},
		{"HS256 on our ES kid with x", fe.verifier, sign(t, "HS256", []byte(fe.kid), with(fe.validHeader(), "alg", "HS256"), fe.validClaims()), invalidToken},

		// time
		{"expired", f.verifier, sign(t, "RS256", rsaKey, hdr, with(claims, "exp", now-3600)), expiredToken},
		{"expired within leeway", f.verifier, sign(t, "RS256", rsaKey, hdr, with(claims, "exp", now-20)), valid},
		{"expired just past leeway", f.verifier, sign(t, "RS256", rsaKey, hdr, with(claims, "exp", now-30)), expiredToken},
		{"expired and wrong aud", f.verifier, sign(t, "RS256", rsaKey, hdr, with(claims, "exp", now-3600, "aud", "other")), invalidToken},
		{"expired with a bad signature", f.verifier, sign(t, "RS256", rsaKey2, hdr, with(claims, "exp", now-3600)), invalidToken},
		{"nbf in the future", f.verifier, sign(t, "RS256", rsaKey, hdr, with(claims, "nbf", now+3600)), invalidToken},
		{"nbf within leeway", f.verifier, sign(t, "RS256", rsaKey, hdr, with(claims, "nbf", now+20)), valid},
		{"iat far in the future", f.verifier, sign(t, "RS256", rsaKey, hdr, with(claims, "iat", now+86400, "exp", now+90000)), invalidToken},
		{"missing exp", f.verifier, sign(t, "RS256", rsaKey, hdr, with(claims, "exp", nil)), invalidToken},
		{"exp zero (1970)", f.verifier, sign(t, "RS256", rsaKey, hdr, with(claims, "exp", 0)), expiredToken},
		{"exp null", f.verifier, sign(t, "RS256", rsaKey, hdr, with(claims, "exp", json.RawMessage("null"))), invalidToken},
		{"exp an object", f.verifier, sign(t, "RS256", rsaKey, hdr, with(claims, "exp", map[string]any{})), invalidToken},
		{"iat a string", f.verifier, sign(t, "RS256", rsaKey, hdr, with(claims, "iat", itoa(now))), invalidToken},
		{"exp a string", f.verifier, sign(t, "RS256", rsaKey, hdr, with(claims, "exp", itoa(now+900))), invalidToken},

		// issuer and audience
		// A token naming our key is ours to refuse; one naming another key
		// and another issuer is passed on.
		{"wrong iss, our kid", f.verifier, sign(t, "RS256", rsaKey, hdr, with(claims, "iss", "https://evil.example.com")), invalidToken},
		{"iss with trailing slash, our kid", f.verifier, sign(t, "RS256", rsaKey, hdr, with(claims, "iss", testIssuer+"/")), invalidToken},
		{"missing iss, our kid", f.verifier, sign(t, "RS256", rsaKey, hdr, with(claims, "iss", nil)), invalidToken},
		{"iss a number, our kid", f.verifier, sign(t, "RS256", rsaKey, hdr, with(claims, "iss", 1)), invalidToken},
		{"wrong iss, other kid", f.verifier, sign(t, "RS256", rsaKey2, with(hdr, "kid", "other"), with(claims, "iss", "https://evil.example.com")), notResponsible},
		{"missing iss, other kid", f.verifier, sign(t, "RS256", rsaKey2, with(hdr, "kid", "other"), with(claims, "iss", nil)), notResponsible},
		{"no kid, no iss", f.verifier, sign(t, "RS256", rsaKey2, with(hdr, "kid", nil), with(claims, "iss", nil)), notResponsible},
		{"Firebase ID token", f.verifier, sign(t, "RS256", rsaKey2, map[string]any{"alg": "RS256", "kid": "abc", "typ": "JWT"},
			with(claims, "iss", "https://securetoken.google.com/demo-project", "aud", "demo-project")), notResponsible},
		{"wrong aud", f.verifier, sign(t, "RS256", rsaKey, hdr, with(claims, "aud", "other")), invalidToken},
		{"aud array with ours", f.verifier, sign(t, "RS256", rsaKey, hdr, with(claims, "aud", []string{"other", "authgate"})), valid},
		{"aud array without ours", f.verifier, sign(t, "RS256", rsaKey, hdr, with(claims, "aud", []string{"other"})), invalidToken},
		{"missing aud", f.verifier, sign(t, "RS256", rsaKey, hdr, with(claims, "aud", nil)), invalidToken},

		// claims the Principal needs
		{"missing sub", f.verifier, sign(t, "RS256", rsaKey, hdr, with(claims, "sub", nil)), invalidToken},
		{"empty sub", f.verifier, sign(t, "RS256", rsaKey, hdr, with(claims, "sub", "")), invalidToken},
		{"missing sid", f.verifier, sign(t, "RS256", rsaKey, hdr, with(claims, "sid", nil)), invalidToken},
		{"missing jti", f.verifier, sign(t, "RS256", rsaKey, hdr, with(claims, "jti", nil)), invalidToken},
		{"sub a number", f.verifier, sign(t, "RS256", rsaKey, hdr, with(claims, "sub", 42)), invalidToken},
		{"roles a string", f.verifier, sign(t, "RS256", rsaKey, hdr, with(claims, "roles", "admin")), invalidToken},
		{"roles with a number", f.verifier, sign(t, "RS256", rsaKey, hdr, with(claims, "roles", []any{"admin", 1})), invalidToken},
		{"email_verified a string", f.verifier, sign(t, "RS256", rsaKey, hdr, with(claims, "email_verified", "true")), invalidToken},

		// header
		{"unknown kid", f.verifier, sign(t, "RS256", rsaKey, with(hdr, "kid", "no-such-key"), claims), invalidToken},
		{"missing kid", f.verifier, sign(t, "RS256", rsaKey, with(hdr, "kid", nil), claims), invalidToken},
		{"kid a number", f.verifier, sign(t, "RS256", rsaKey, with(hdr, "kid", 7), claims), invalidToken},
		{"header an array", f.verifier, sign(t, "RS256", rsaKey, json.RawMessage(`["RS256"]`), claims), notResponsible},
		{"typ JWT (another kind of token)", f.verifier, sign(t, "RS256", rsaKey, with(hdr, "typ", "JWT"), claims), invalidToken},
		{"typ missing", f.verifier, sign(t, "RS256", rsaKey, with(hdr, "typ", nil), claims), invalidToken},
		{"typ application/at+jwt", f.verifier, sign(t, "RS256", rsaKey, with(hdr, "typ", "application/at+jwt"), claims), valid},
		{"crit header", f.verifier, sign(t, "RS256", rsaKey, with(hdr, "crit", []string{"exp"}, "exp", now), claims), invalidToken},
		{"crit b64", f.verifier, sign(t, "RS256", rsaKey, with(hdr, "crit", []string{"b64"}, "b64", false), claims), invalidToken},
		// encoding/json matches struct fields case-insensitively, the
		// library's header map does not: the two must not disagree.
		{"KID after kid, attacker key", f.verifier, sign(t, "RS256", rsaKey2,
			json.RawMessage(`{"alg":"RS256","kid":"`+attackerKID+`","typ":"at+jwt","KID":"`+f.kid+`"}`), claims), invalidToken},
		{"KID after kid, our key", f.verifier, sign(t, "RS256", rsaKey,
			json.RawMessage(`{"alg":"RS256","kid":"nope","typ":"at+jwt","KID":"`+f.kid+`"}`), claims), invalidToken},
		{"duplicate kid, ours last", f.verifier, sign(t, "RS256", rsaKey,
			json.RawMessage(`{"alg":"RS256","kid":"nope","typ":"at+jwt","kid":"`+f.kid+`"}`), claims), valid},

		// signature
		{"tampered payload", f.verifier, tamperedPayload, invalidToken},
		{"tampered signature", f.verifier, tamperedSig, invalidToken},
		{"signature removed", f.verifier, parts[0] + "." + parts[1] + ".", invalidToken},
		{"signature padded", f.verifier, good + "=", invalidToken},
		{"signature of another token", f.verifier, parts[0] + "." + parts[1] + "." + strings.Split(f.issue(t), ".")[2], invalidToken},
		{"same kid, another key", f.verifier, sign(t, "RS256", rsaKey2, hdr, claims), invalidToken},

		// embedded and remote keys are never used (RFC 8725 3.10)
		{"jwk header with attacker key and kid", f.verifier,
			sign(t, "RS256", rsaKey2, with(hdr, "kid", attackerKID, "jwk", jsonObj(t, attackerJWK)["keys"].([]any)[0]), claims), invalidToken},
		{"jwk header with attacker key, our kid", f.verifier,
			sign(t, "RS256", rsaKey2, with(hdr, "jwk", jsonObj(t, attackerJWK)["keys"].([]any)[0]), claims), invalidToken},
		{"jku header", f.verifier, sign(t, "RS256", rsaKey2, with(hdr, "kid", attackerKID, "jku", "https://evil.example.com/jwks.json"), claims), invalidToken},
		{"x5u header", f.verifier, sign(t, "RS256", rsaKey2, with(hdr, "x5u", "https://evil.example.com/cert.pem"), claims), invalidToken},
		{"x5c header", f.verifier, sign(t, "RS256", rsaKey2, with(hdr, "x5c", []string{b64.EncodeToString(pubDER)}), claims), invalidToken},

		// not a token at all: someone else's problem (the Chain answers invalid_token)
		{"empty string", f.verifier, "", notResponsible},
		{"garbage", f.verifier, "hello world", notResponsible},
		{"three dots", f.verifier, "...", notResponsible},
		{"two dots", f.verifier, "..", notResponsible},
		{"header only", f.verifier, parts[0], notResponsible},
		{"JWE (five segments)", f.verifier, good + ".x.y", notResponsible},
		{"header not JSON", f.verifier, b64.EncodeToString([]byte("nope")) + "." + parts[1] + "." + parts[2], notResponsible},
		{"payload not an object, our kid", f.verifier, parts[0] + "." + b64.EncodeToString([]byte(`["x"]`)) + "." + parts[2], invalidToken},
		{"payload not an object, other kid", f.verifier, compact(t, with(hdr, "kid", "other"), []string{"x"}) + "." + parts[2], notResponsible},
		{"payload not base64, other kid", f.verifier, strings.Split(compact(t, with(hdr, "kid", "other"), claims), ".")[0] + ".!!!!." + parts[2], notResponsible},
		{"standard base64 with padding", f.verifier, strings.ReplaceAll(parts[0], "-", "+") + "==." + parts[1] + "." + parts[2], notResponsible},
		{"huge token", f.verifier, good + strings.Repeat("A", token.MaxTokenSize), notResponsible},
		{"huge valid-looking token", f.verifier, sign(t, "RS256", rsaKey, hdr, with(claims, "pad", strings.Repeat("x", token.MaxTokenSize))), notResponsible},
	}
	ctx := context.Background()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := c.v.Verify(ctx, c.token)
			if got := classify(err); got != c.want {
				t.Fatalf("got %v (%v), want %v", got, err, c.want)
			}
			if c.want != valid && p != nil {
				t.Fatalf("refused token returned a principal %+v", p)
			}
			if c.want == valid && (p == nil || p.UID != "u_123") {
				t.Fatalf("principal %+v", p)
			}
			// Through a Chain nothing but a valid token is accepted, and
			// the client-facing message never names the cause.
			_, err = identity.Chain{c.v}.Verify(ctx, c.token)
			switch c.want {
			case valid:
				if err != nil {
					t.Fatalf("chain: %v", err)
				}
			case expiredToken:
				if !identity.IsCode(err, identity.ETOKENEXPIRED) {
					t.Fatalf("chain: %v", err)
				}
			default:
				if !identity.IsCode(err, identity.EINVALIDTOKEN) || identity.ErrorMessage(err) != "The token is not valid." {
					t.Fatalf("chain: %v (message %q)", err, identity.ErrorMessage(err))
				}
			}
		})
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func jsonObj(tb testing.TB, s string) map[string]any {
	tb.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		tb.Fatal(err)
	}
	return m
}
