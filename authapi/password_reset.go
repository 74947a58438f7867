package authapi

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/authgate/authgate/httpx"
	"github.com/authgate/authgate/identity"
)

// mailJobTimeout bounds one background reset job (lookup, token, mail).
const mailJobTimeout = 60 * time.Second

type passwordResetRequest struct {
	Email string `json:"email"`
}

type passwordResetConfirm struct {
	Token       string `json:"token"`
	NewPassword string `json:"new_password"`
}

// resetAccepted is the one answer of a reset request, whether or not the
// address has an account.
var resetAccepted = map[string]string{
	"message": "If an account exists for this address, a link to reset its password has been sent.",
}

// requestPasswordReset answers 202 at once, always with the same body; the
// lookup and the mail happen in the background, so neither the answer nor
// its timing tells whether the address has an account.
func (a *API) requestPasswordReset(w http.ResponseWriter, r *http.Request) error {
	var req passwordResetRequest
	if err := decode(r, &req, false); err != nil {
		return err
	}
	fe := fieldErrors{}
	email := fe.checkEmail("email", req.Email)
	if err := fe.err(); err != nil {
		return err
	}
	if err := a.takeLimits(r, limitKey{LimitResetIP, a.clientIP(r)}); err != nil {
		return err
	}
	ev := identity.AuditEvent{Action: identity.ActionPasswordReset, IPAddress: a.clientIP(r), UserAgent: truncate(r.UserAgent(), maxUserAgent)}
	if err := a.background(r.Context(), func(ctx context.Context) { a.sendReset(ctx, email, ev) }); err != nil {
		return err
	}
	httpx.JSON(w, http.StatusAccepted, resetAccepted)
	return nil
}

// background runs job on a bounded pool of mail workers, detached from the
// request's cancellation. It waits for a free worker while ctx lives.
func (a *API) background(ctx context.Context, job func(context.Context)) error {
	select {
	case a.mailSlot <- struct{}{}:
	case <-ctx.Done():
		return identity.Wrap(identity.EUNAVAILABLE, "The request was cancelled.", ctx.Err())
	}
	a.bg.Add(1)
	jobCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), mailJobTimeout)
	go func() {
		defer func() { <-a.mailSlot; cancel(); a.bg.Done() }()
		job(jobCtx)
	}()
	return nil
}

// sendReset does the work of a reset request. ev carries the client's
// ip and user agent for the audit row.
func (a *API) sendReset(ctx context.Context, email string, ev identity.AuditEvent) {
	done := func(uid, status, detail string) {
		e := ev
		e.UID, e.Status, e.Detail = uid, status, detail
		a.record(ctx, &e)
	}
	if a.Limiter != nil {
		res, err := a.Limiter.Take(ctx, LimitResetEmail, email)
		if err != nil {
			a.Log.LogAttrs(ctx, slog.LevelError, "rate limiter failed", slog.String("limit", LimitResetEmail), slog.Any("err", err))
		} else if res.Reached {
			a.recordLimitHit(ctx, ev, LimitResetEmail, email, res.RetryAfter)
			done(a.uidOfEmail(ctx, email), identity.StatusFailure, identity.ERATELIMITED)
			return
		}
	}
	if pr, ok := a.Provider.(identity.PasswordResetter); ok {
		uid := a.uidOfEmail(ctx, email)
		if err := pr.SendPasswordReset(ctx, email); err != nil {
			if !identity.IsCode(err, identity.ENOTFOUND) {
				a.Log.ErrorContext(ctx, "password reset: provider failed", "uid", uid, "err", err)
			}
			done(uid, identity.StatusFailure, identity.ErrorCode(err))
			return
		}
		done(uid, identity.StatusSuccess, "")
		return
	}

	u, err := a.Users.FindUserByEmail(ctx, email)
	if err != nil {
		if !identity.IsCode(err, identity.ENOTFOUND) {
			a.Log.ErrorContext(ctx, "password reset: find user", "err", err)
		}
		done("", identity.StatusFailure, identity.ErrorCode(err))
		return
	}
	if !u.IsActive {
		done(u.UID, identity.StatusFailure, identity.EUSERDISABLED)
		return
	}
	if err := a.mailResetLink(ctx, u); err != nil {
		a.Log.ErrorContext(ctx, "password reset: send link", "uid", u.UID, "err", err)
		done(u.UID, identity.StatusFailure, identity.ErrorCode(err))
		return
	}
	done(u.UID, identity.StatusSuccess, "")
}

// mailResetLink replaces the user's unused reset tokens by a new one and
// mails its link.
func (a *API) mailResetLink(ctx context.Context, u *identity.User) error {
	if err := a.OneTime.DeleteOneTimeTokens(ctx, u.UID, identity.PurposePasswordReset); err != nil {
		return fmt.Errorf("delete old reset tokens: %w", err)
	}
	raw, hash := identity.NewSecret()
	now := a.now()
	t := &identity.OneTimeToken{Hash: hash, Purpose: identity.PurposePasswordReset, UID: u.UID, CreatedAt: now, ExpiresAt: now.Add(a.ResetTTL)}
	if err := a.OneTime.CreateOneTimeToken(ctx, t); err != nil {
		return fmt.Errorf("create reset token: %w", err)
	}
	msg, err := a.resetMessage(u, a.resetLink(raw))
	if err != nil {
		return err
	}
	if err := a.Mailer.Send(ctx, msg); err != nil {
		return fmt.Errorf("mail reset link: %w", err)
	}
	return nil
}

// resetLink is PublicURL + /api/auth/password/reset/confirm#token=RAW. The
// token travels in the fragment, which browsers never send to a server (no
// access log, no Referer, no proxy sees it); the page at that address reads
// it and POSTs it to the confirm endpoint.
func (a *API) resetLink(raw string) string {
	u := *a.PublicURL
	u.Path = strings.TrimSuffix(u.Path, "/") + Prefix + "/password/reset/confirm"
	u.RawPath, u.RawQuery, u.Fragment, u.RawFragment = "", "", "token="+raw, ""
	return u.String()
}

var resetMailHTML = template.Must(template.New("reset").Parse(`<!doctype html>
<html><body>
<p>Someone asked to reset the password of your account{{if .Name}}, {{.Name}}{{end}}.</p>
<p><a href="{{.Link}}">Choose a new password</a></p>
<p>The link works once and expires in {{.TTL}}. If you did not ask for it, ignore this mail: your password stays as it is.</p>
</body></html>`))

func (a *API) resetMessage(u *identity.User, link string) (identity.Message, error) {
	if a.ResetMessage != nil {
		return a.ResetMessage(u.Email, link, a.ResetTTL), nil
	}
	ttl := humanDuration(a.ResetTTL)
	var html bytes.Buffer
	data := struct{ Name, Link, TTL string }{u.DisplayName, link, ttl}
	if err := resetMailHTML.Execute(&html, data); err != nil {
		return identity.Message{}, fmt.Errorf("render reset mail: %w", err)
	}
	text := "Someone asked to reset the password of your account.\r\n\r\n" +
		"Choose a new password here:\r\n" + link + "\r\n\r\n" +
		"The link works once and expires in " + ttl + ". If you did not ask for it, ignore this mail: your password stays as it is.\r\n"
	return identity.Message{To: u.Email, Subject: "Reset your password", Text: text, HTML: html.String()}, nil
}

// confirmPasswordReset sets a new password with a reset token: 204, and
// every session of the account is revoked. A weak password is refused
// before the token is consumed, so the link still works afterwards.
func (a *API) confirmPasswordReset(w http.ResponseWriter, r *http.Request) error {
	var req passwordResetConfirm
	if err := decode(r, &req, false); err != nil {
		return err
	}
	fe := fieldErrors{}
	fe.checkRequired("token", req.Token)
	fe.checkRequired("new_password", req.NewPassword)
	if err := fe.err(); err != nil {
		return err
	}
	// The account is not known before the token is spent: the rules run
	// without the email here, and the Provider checks it in SetPassword.
	if err := a.checkNewPassword(req.NewPassword, ""); err != nil {
		a.auditErr(r, identity.ActionPasswordResetComplete, "", err)
		return err
	}
	ctx := r.Context()
	uid, err := a.resetPassword(ctx, req.Token, req.NewPassword)
	if err != nil {
		a.auditErr(r, identity.ActionPasswordResetComplete, uid, err)
		return err
	}
	if err := a.revokeAll(ctx, uid, ""); err != nil {
		return err
	}
	a.invalidateUser(ctx, uid)
	a.clearLoginLimits(r, uid)
	a.audit(r, identity.ActionPasswordResetComplete, uid, identity.StatusSuccess, "")
	httpx.NoContent(w)
	return nil
}

// resetPassword spends the reset token and sets the password.
func (a *API) resetPassword(ctx context.Context, token, newPassword string) (uid string, err error) {
	if pr, ok := a.Provider.(identity.PasswordResetter); ok {
		uid, err = pr.ConfirmPasswordReset(ctx, token, newPassword)
		return uid, resetTokenError(err)
	}
	t, err := a.OneTime.ConsumeOneTimeToken(ctx, identity.PurposePasswordReset, identity.HashSecret(token), a.now())
	if err != nil {
		return "", resetTokenError(err)
	}
	if err := a.Provider.SetPassword(ctx, t.UID, newPassword); err != nil {
		return t.UID, err
	}
	return t.UID, nil
}

// resetTokenError maps a refused reset token to invalid_token; other errors
// keep their code.
func resetTokenError(err error) error {
	switch identity.ErrorCode(err) {
	case "":
		return nil
	case identity.ENOTFOUND, identity.EINVALIDTOKEN, identity.ETOKENEXPIRED:
		return identity.Wrap(identity.EINVALIDTOKEN, "The reset link is not valid or has expired.", err)
	default:
		return err
	}
}

// humanDuration writes d for people: "30 minutes", "2 hours", "1 hour".
func humanDuration(d time.Duration) string {
	plural := func(n int64, unit string) string {
		if n == 1 {
			return "1 " + unit
		}
		return fmt.Sprintf("%d %ss", n, unit)
	}
	switch {
	case d >= time.Hour && d%time.Hour == 0:
		return plural(int64(d/time.Hour), "hour")
	case d >= time.Minute:
		return plural(int64(d.Round(time.Minute)/time.Minute), "minute")
	default:
		return plural(max(int64(d.Round(time.Second)/time.Second), 1), "second")
	}
}
