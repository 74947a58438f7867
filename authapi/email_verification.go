package authapi

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"net/http"
	"strings"

	"github.com/gorilla/mux"

	"github.com/authgate/authgate/httpx"
	"github.com/authgate/authgate/identity"
)

// Email verification.
//
// POST /email/verify/send mails a single-use link (only its hash is stored,
// valid VerifyTTL). It works two ways, because with RequireEmailVerification
// a new account has no token yet:
//   - with a credential (Bearer or session cookie) for the caller's own
//     address: 202, or 409 when it is already verified;
//   - without one, with {email}, the way Supabase's resend works: 202 with
//     the same body whether or not the address has an account, the lookup
//     and the mail happening in the background like a password reset.
//
// Both count against email_send per address (so the two ways share one
// budget) and the anonymous one against verify_ip per client. The link
// carries the token in its fragment, like the reset link: GET on the
// confirm path serves a page that POSTs it to /email/verify/confirm, which
// marks the address verified. A Provider implementing
// identity.EmailVerificationSender (Firebase) sends and confirms with its
// own codes instead.

// emailVerificationRoutes registers the verification endpoints.
func (a *API) emailVerificationRoutes(sub *mux.Router) {
	a.route(sub, "/email/verify/send", Methods{http.MethodPost: a.wrap(a.sendVerification)})
	a.route(sub, "/email/verify/confirm", Methods{
		http.MethodGet:  http.HandlerFunc(a.verifyEmailPage),
		http.MethodPost: a.wrap(a.confirmVerification),
	})
}

// verificationAccepted is the one answer of a send request.
var verificationAccepted = map[string]string{
	"message": "If an account with an unverified address exists, a verification link has been sent to it.",
}

func errEmailNotVerified() error {
	return identity.Errorf(identity.EEMAILNOTVERIFIED,
		"Verify your email address before signing in; POST /api/auth/email/verify/send with your email sends a new link.")
}

type sendVerificationRequest struct {
	Email string `json:"email"`
}

// sendVerification mails a verification link; see the comment above.
func (a *API) sendVerification(w http.ResponseWriter, r *http.Request) error {
	var req sendVerificationRequest
	if err := decode(r, &req, true); err != nil {
		return err
	}
	if !a.canVerifyEmail() {
		return identity.Errorf(identity.EUNAVAILABLE, "Email verification is not available.")
	}
	raw, fromCookie, err := a.credential(r)
	switch {
	case identity.IsCode(err, identity.EUNAUTHENTICATED):
		return a.sendVerificationByEmail(w, r, req.Email)
	case err != nil:
		return err
	case fromCookie && !a.sameOrigin(r):
		return identity.Errorf(identity.EFORBIDDEN, "Cross-site requests with the session cookie are refused.")
	}
	ctx := r.Context()
	p, err := a.verifyToken(ctx, raw)
	if err != nil {
		return err
	}
	u, err := a.userFor(ctx, p)
	if err != nil {
		return err
	}
	if req.Email != "" && identity.NormalizeEmail(req.Email) != identity.NormalizeEmail(u.Email) {
		return (fieldErrors{"email": "must be the address of the signed-in account, or left out"}).err()
	}
	if u.EmailVerified {
		return identity.Errorf(identity.ECONFLICT, "The email address is already verified.")
	}
	if err := a.takeLimits(r, limitKey{LimitEmailSend, identity.NormalizeEmail(u.Email)}); err != nil {
		return err
	}
	if err := a.mailVerification(ctx, u); err != nil {
		a.auditErr(r, identity.ActionEmailVerifySend, u.UID, err)
		if identity.ErrorCode(err) == identity.EINTERNAL {
			a.Log.ErrorContext(ctx, "email verification: send", "uid", u.UID, "err", err)
			return identity.Errorf(identity.EUNAVAILABLE, "The verification mail could not be sent; try again later.")
		}
		return err
	}
	a.audit(r, identity.ActionEmailVerifySend, u.UID, identity.StatusSuccess, "")
	httpx.JSON(w, http.StatusAccepted, verificationAccepted)
	return nil
}

// sendVerificationByEmail is the anonymous way: 202 at once, always the
// same; the work happens in the background.
func (a *API) sendVerificationByEmail(w http.ResponseWriter, r *http.Request, rawEmail string) error {
	fe := fieldErrors{}
	email := fe.checkEmail("email", rawEmail)
	if err := fe.err(); err != nil {
		return err
	}
	if err := a.takeLimits(r, limitKey{LimitVerifyIP, a.clientIP(r)}, limitKey{LimitEmailSend, email}); err != nil {
		return err
	}
	ev := identity.AuditEvent{Action: identity.ActionEmailVerifySend, IPAddress: a.clientIP(r), UserAgent: truncate(r.UserAgent(), maxUserAgent)}
	if err := a.background(r.Context(), func(ctx context.Context) { a.sendVerificationJob(ctx, email, ev) }); err != nil {
		return err
	}
	httpx.JSON(w, http.StatusAccepted, verificationAccepted)
	return nil
}

// sendVerificationJob looks the address up and mails the link if it has an
// active account that is not verified yet. ev carries the client's ip and
// user agent for the audit row.
func (a *API) sendVerificationJob(ctx context.Context, email string, ev identity.AuditEvent) {
	done := func(uid, status, detail string) {
		e := ev
		e.UID, e.Status, e.Detail = uid, status, detail
		a.record(ctx, &e)
	}
	u, err := a.Users.FindUserByEmail(ctx, email)
	switch {
	case identity.IsCode(err, identity.ENOTFOUND):
		done("", identity.StatusFailure, identity.ENOTFOUND)
		return
	case err != nil:
		a.Log.ErrorContext(ctx, "email verification: find user", "err", err)
		done("", identity.StatusFailure, identity.ErrorCode(err))
		return
	case !u.IsActive:
		done(u.UID, identity.StatusFailure, identity.EUSERDISABLED)
		return
	case u.EmailVerified:
		done(u.UID, identity.StatusFailure, "already_verified")
		return
	}
	if err := a.mailVerification(ctx, u); err != nil {
		a.Log.ErrorContext(ctx, "email verification: send", "uid", u.UID, "err", err)
		done(u.UID, identity.StatusFailure, identity.ErrorCode(err))
		return
	}
	done(u.UID, identity.StatusSuccess, "")
}

// sendVerificationAfterRegister mails the first link to a new account when
// RequireEmailVerification is on, in the background (the registration
// answer does not wait for mail).
func (a *API) sendVerificationAfterRegister(r *http.Request, u *identity.User) {
	if !a.RequireEmailVerification || u.EmailVerified || !a.canVerifyEmail() {
		return
	}
	ev := identity.AuditEvent{Action: identity.ActionEmailVerifySend, IPAddress: a.clientIP(r), UserAgent: truncate(r.UserAgent(), maxUserAgent)}
	email := identity.NormalizeEmail(u.Email)
	if err := a.background(r.Context(), func(ctx context.Context) { a.sendVerificationJob(ctx, email, ev) }); err != nil {
		a.Log.WarnContext(r.Context(), "email verification: not sent after registration", "uid", u.UID, "err", err)
	}
}

// canVerifyEmail reports whether verification mail can be sent at all.
func (a *API) canVerifyEmail() bool {
	if _, ok := a.Provider.(identity.EmailVerificationSender); ok {
		return true
	}
	return a.OneTime != nil && a.Mailer != nil
}

// mailVerification sends u a verification link: through the provider when
// it sends its own, else a new single-use token (replacing older ones)
// bound to the current address.
func (a *API) mailVerification(ctx context.Context, u *identity.User) error {
	if vs, ok := a.Provider.(identity.EmailVerificationSender); ok {
		if err := vs.SendEmailVerification(ctx, u.UID); err != nil {
			return fmt.Errorf("authapi: provider email verification: %w", err)
		}
		return nil
	}
	if err := a.OneTime.DeleteOneTimeTokens(ctx, u.UID, identity.PurposeEmailVerification); err != nil {
		return fmt.Errorf("delete old verification tokens: %w", err)
	}
	raw, hash := identity.NewSecret()
	now := a.now()
	t := &identity.OneTimeToken{
		Hash: hash, Purpose: identity.PurposeEmailVerification, UID: u.UID,
		Data: identity.NormalizeEmail(u.Email), CreatedAt: now, ExpiresAt: now.Add(a.VerifyTTL),
	}
	if err := a.OneTime.CreateOneTimeToken(ctx, t); err != nil {
		return fmt.Errorf("create verification token: %w", err)
	}
	msg, err := a.verificationMessage(u, a.verificationLink(raw))
	if err != nil {
		return err
	}
	if err := a.Mailer.Send(ctx, msg); err != nil {
		return fmt.Errorf("mail verification link: %w", err)
	}
	return nil
}

// verificationLink is PublicURL + /api/auth/email/verify/confirm#token=RAW;
// the fragment never reaches a server, a log or a Referer (see resetLink).
func (a *API) verificationLink(raw string) string {
	u := *a.PublicURL
	u.Path = strings.TrimSuffix(u.Path, "/") + Prefix + "/email/verify/confirm"
	u.RawPath, u.RawQuery, u.Fragment, u.RawFragment = "", "", "token="+raw, ""
	return u.String()
}

var verifyMailHTML = template.Must(template.New("verify").Parse(`<!doctype html>
<html><body>
<p>Please confirm that this address belongs to you{{if .Name}}, {{.Name}}{{end}}.</p>
<p><a href="{{.Link}}">Verify my email address</a></p>
<p>The link works once and expires in {{.TTL}}. If you did not create an account, ignore this mail.</p>
</body></html>`))

func (a *API) verificationMessage(u *identity.User, link string) (identity.Message, error) {
	if a.VerificationMessage != nil {
		return a.VerificationMessage(u.Email, link, a.VerifyTTL), nil
	}
	ttl := humanDuration(a.VerifyTTL)
	var html bytes.Buffer
	data := struct{ Name, Link, TTL string }{u.DisplayName, link, ttl}
	if err := verifyMailHTML.Execute(&html, data); err != nil {
		return identity.Message{}, fmt.Errorf("render verification mail: %w", err)
	}
	text := "Please confirm that this address belongs to you.\r\n\r\n" +
		"Verify it here:\r\n" + link + "\r\n\r\n" +
		"The link works once and expires in " + ttl + ". If you did not create an account, ignore this mail.\r\n"
	return identity.Message{To: u.Email, Subject: "Verify your email address", Text: text, HTML: html.String()}, nil
}

type confirmVerificationRequest struct {
	Token string `json:"token"`
}

// confirmVerification spends a verification token: 200 with the user, whose
// email_verified is now true. A token minted for an address the account no
// longer has is refused.
func (a *API) confirmVerification(w http.ResponseWriter, r *http.Request) error {
	var req confirmVerificationRequest
	if err := decode(r, &req, false); err != nil {
		return err
	}
	fe := fieldErrors{}
	fe.checkRequired("token", req.Token)
	if err := fe.err(); err != nil {
		return err
	}
	if !a.canVerifyEmail() {
		return identity.Errorf(identity.EUNAVAILABLE, "Email verification is not available.")
	}
	if err := a.takeLimits(r, limitKey{LimitVerifyIP, a.clientIP(r)}); err != nil {
		return err
	}
	ctx := r.Context()
	u, err := a.verifyEmail(ctx, req.Token)
	if err != nil {
		uid := ""
		if u != nil {
			uid = u.UID
		}
		a.auditErr(r, identity.ActionEmailVerify, uid, err)
		return err
	}
	a.invalidateUser(ctx, u.UID)
	a.audit(r, identity.ActionEmailVerify, u.UID, identity.StatusSuccess, "")
	httpx.JSON(w, http.StatusOK, u)
	return nil
}

// verifyEmail spends the token and marks the address verified. On a refusal
// after the token was identified it also returns the user, for the audit.
func (a *API) verifyEmail(ctx context.Context, token string) (*identity.User, error) {
	invalid := func(err error) error {
		return identity.Wrap(identity.EINVALIDTOKEN, "The verification link is not valid or has expired.", err)
	}
	if vs, ok := a.Provider.(identity.EmailVerificationSender); ok {
		uid, err := vs.ConfirmEmailVerification(ctx, token)
		switch identity.ErrorCode(err) {
		case "":
		case identity.ENOTFOUND, identity.EINVALIDTOKEN, identity.ETOKENEXPIRED, identity.EINVALID:
			return nil, invalid(err)
		default:
			return nil, err
		}
		u, err := a.Users.FindUserByUID(ctx, uid)
		if err != nil {
			return nil, fmt.Errorf("authapi: load verified user: %w", err)
		}
		return u, nil
	}
	t, err := a.OneTime.ConsumeOneTimeToken(ctx, identity.PurposeEmailVerification, identity.HashSecret(token), a.now())
	switch identity.ErrorCode(err) {
	case "":
	case identity.ENOTFOUND, identity.EINVALIDTOKEN, identity.ETOKENEXPIRED:
		return nil, invalid(err)
	default:
		return nil, fmt.Errorf("authapi: consume verification token: %w", err)
	}
	u, err := a.Users.FindUserByUID(ctx, t.UID)
	switch {
	case identity.IsCode(err, identity.ENOTFOUND):
		return nil, invalid(err)
	case err != nil:
		return nil, fmt.Errorf("authapi: load user: %w", err)
	case identity.NormalizeEmail(u.Email) != t.Data:
		return u, invalid(nil)
	}
	verified := true
	if u, err = a.Users.UpdateUser(ctx, u.UID, identity.UserUpdate{EmailVerified: &verified}); err != nil {
		return nil, fmt.Errorf("authapi: mark email verified: %w", err)
	}
	if err := a.OneTime.DeleteOneTimeTokens(ctx, u.UID, identity.PurposeEmailVerification); err != nil {
		a.Log.WarnContext(ctx, "email verification: delete other links", "uid", u.UID, "err", err)
	}
	return u, nil
}
