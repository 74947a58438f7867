package authapi

import (
	"errors"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/authgate/authgate/httpx"
	"github.com/authgate/authgate/identity"
	"github.com/authgate/authgate/mfa"
)

// TOTP multi-factor authentication: enrollment and its management under
// /api/auth/mfa, the second sign-in step at /api/auth/login/mfa
// (mfa_login.go). Every change needs proof that the caller is the account
// holder right now: enrollment the password or a sign-in within
// ReauthWindow, disabling and new recovery codes the password and a current
// code. Secrets, codes and tickets are answered to the client only, never
// written to the audit log or the log.

// mfaRoutes registers the MFA endpoints when TOTP is configured.
func (a *API) mfaRoutes(sub *mux.Router) {
	if a.TOTP == nil {
		return
	}
	a.route(sub, "/login/mfa", Methods{http.MethodPost: a.wrap(a.loginMFA)})
	a.route(sub, "/mfa", Methods{http.MethodGet: a.authenticated(a.mfaStatus)})
	a.route(sub, "/mfa/totp/enroll", Methods{http.MethodPost: a.authenticated(a.mfaEnroll)})
	a.route(sub, "/mfa/totp/confirm", Methods{http.MethodPost: a.authenticated(a.mfaConfirm)})
	a.route(sub, "/mfa/totp/disable", Methods{http.MethodPost: a.authenticated(a.mfaDisable)})
	a.route(sub, "/mfa/recovery-codes", Methods{http.MethodPost: a.authenticated(a.mfaRecoveryCodes)})
}

// mfaStatusResponse is the answer of GET /mfa. RecoveryCodesRemaining is
// left out when the store cannot count (mfa.TokenCounter).
type mfaStatusResponse struct {
	Enabled                bool `json:"enabled"`
	Pending                bool `json:"enrollment_pending"`
	RecoveryCodesRemaining *int `json:"recovery_codes_remaining,omitempty"`
}

// mfaStatus answers whether the caller's MFA is on.
func (a *API) mfaStatus(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	u, err := a.userFor(ctx, principalFrom(ctx))
	if err != nil {
		return err
	}
	out := mfaStatusResponse{Enabled: u.MFAEnabled, Pending: !u.MFAEnabled && u.TOTPSecret != ""}
	if u.MFAEnabled {
		n, known, err := a.TOTP.RecoveryCodesRemaining(ctx, u.UID)
		if err != nil {
			return err
		}
		if known {
			out.RecoveryCodesRemaining = &n
		}
	}
	httpx.JSON(w, http.StatusOK, out)
	return nil
}

type mfaEnrollRequest struct {
	Password string `json:"password"`
}

type mfaEnrollResponse struct {
	Secret     string `json:"secret"`
	OTPAuthURL string `json:"otpauth_url"`
	QRPNG      string `json:"qr_png"`
}

// mfaEnroll starts a TOTP enrollment: 200 {secret, otpauth_url, qr_png}.
// It needs the password or a recent sign-in; MFA stays off until confirmed.
func (a *API) mfaEnroll(w http.ResponseWriter, r *http.Request) error {
	var req mfaEnrollRequest
	if err := decode(r, &req, true); err != nil {
		return err
	}
	if len(req.Password) > maxSecretInput {
		return (fieldErrors{"password": "is too long"}).err()
	}
	ctx := r.Context()
	p := principalFrom(ctx)
	u, err := a.userFor(ctx, p)
	if err == nil {
		err = a.reauthenticate(r, p, req.Password)
	}
	var enr *mfa.Enrollment
	if err == nil {
		enr, err = a.TOTP.Enroll(ctx, u)
	}
	if err != nil {
		a.auditErr(r, identity.ActionMFAEnroll, p.UID, err)
		return err
	}
	a.invalidateUser(ctx, u.UID)
	a.audit(r, identity.ActionMFAEnroll, u.UID, identity.StatusSuccess, "")
	httpx.JSON(w, http.StatusOK, mfaEnrollResponse{Secret: enr.Secret, OTPAuthURL: enr.URL, QRPNG: enr.QRDataURI()})
	return nil
}

type mfaCodeRequest struct {
	Code string `json:"code"`
}

type recoveryCodesResponse struct {
	RecoveryCodes []string `json:"recovery_codes"`
}

// mfaConfirm finishes the enrollment with a code from the authenticator:
// MFA is on, and the answer carries the ten recovery codes, the only time
// they are shown. Failed codes count against the totp limit.
func (a *API) mfaConfirm(w http.ResponseWriter, r *http.Request) error {
	var req mfaCodeRequest
	if err := decode(r, &req, false); err != nil {
		return err
	}
	fe := fieldErrors{}
	fe.checkRequired("code", req.Code)
	if err := fe.err(); err != nil {
		return err
	}
	ctx := r.Context()
	p := principalFrom(ctx)
	if _, err := a.userFor(ctx, p); err != nil {
		return err
	}
	limit := limitKey{LimitTOTP, p.UID}
	if err := a.peekLimits(r, limit); err != nil {
		return err
	}
	codes, _, err := a.TOTP.Confirm(ctx, p.UID, req.Code)
	if err != nil {
		a.audit(r, identity.ActionMFAEnable, p.UID, identity.StatusFailure, mfaFailureDetail(err))
		if identity.IsCode(err, identity.EINVALIDMFA) {
			if lerr := a.takeLimits(r, limit); lerr != nil {
				return lerr
			}
		}
		return err
	}
	a.resetLimits(ctx, limit)
	a.invalidateUser(ctx, p.UID)
	a.audit(r, identity.ActionMFAEnable, p.UID, identity.StatusSuccess, "")
	httpx.JSON(w, http.StatusOK, recoveryCodesResponse{RecoveryCodes: codes})
	return nil
}

type mfaProofRequest struct {
	Password string `json:"password"`
	Code     string `json:"code"`
}

// mfaProof checks the password and a current second factor (TOTP or
// recovery code) of the caller, whose MFA must be on. It returns the user.
func (a *API) mfaProof(r *http.Request, action string) (*identity.User, error) {
	var req mfaProofRequest
	if err := decode(r, &req, false); err != nil {
		return nil, err
	}
	fe := fieldErrors{}
	fe.checkRequired("password", req.Password)
	fe.checkRequired("code", req.Code)
	if err := fe.err(); err != nil {
		return nil, err
	}
	ctx := r.Context()
	p := principalFrom(ctx)
	u, err := a.userFor(ctx, p)
	if err != nil {
		return nil, err
	}
	if !u.MFAEnabled {
		err = identity.Errorf(identity.ECONFLICT, "Multi-factor authentication is not enabled for this account.")
	} else {
		err = a.checkPassword(r, p, req.Password)
	}
	if err != nil {
		a.auditErr(r, action, u.UID, err)
		return nil, err
	}
	if _, err := a.secondFactor(r, u, req.Code); err != nil {
		a.audit(r, action, u.UID, identity.StatusFailure, mfaFailureDetail(err))
		return nil, err
	}
	return u, nil
}

// mfaDisable turns MFA off: 204. It needs the password and a current code.
func (a *API) mfaDisable(w http.ResponseWriter, r *http.Request) error {
	u, err := a.mfaProof(r, identity.ActionMFADisable)
	if err != nil {
		return err
	}
	ctx := r.Context()
	if _, err := a.TOTP.Disable(ctx, u.UID); err != nil {
		a.auditErr(r, identity.ActionMFADisable, u.UID, err)
		return err
	}
	a.invalidateUser(ctx, u.UID)
	a.audit(r, identity.ActionMFADisable, u.UID, identity.StatusSuccess, "")
	httpx.NoContent(w)
	return nil
}

// mfaRecoveryCodes replaces the recovery codes: 200 {recovery_codes}; the
// old ones stop working. It needs the password and a current code.
func (a *API) mfaRecoveryCodes(w http.ResponseWriter, r *http.Request) error {
	u, err := a.mfaProof(r, mfa.ActionRecoveryCodes)
	if err != nil {
		return err
	}
	codes, err := a.TOTP.RegenerateRecoveryCodes(r.Context(), u.UID)
	if err != nil {
		a.auditErr(r, mfa.ActionRecoveryCodes, u.UID, err)
		return err
	}
	a.audit(r, mfa.ActionRecoveryCodes, u.UID, identity.StatusSuccess, "")
	httpx.JSON(w, http.StatusOK, recoveryCodesResponse{RecoveryCodes: codes})
	return nil
}

// reauthenticate passes when password is the caller's password or, with no
// password given, when the caller signed in within ReauthWindow.
func (a *API) reauthenticate(r *http.Request, p *identity.Principal, password string) error {
	if password != "" {
		return a.checkPassword(r, p, password)
	}
	return a.requireRecentAuth(r.Context(), p)
}

// mfaFailureDetail is the audit detail of a refused code: the error code,
// or "replayed" for a valid code used a second time.
func mfaFailureDetail(err error) string {
	if errors.Is(err, mfa.ErrReplayed) {
		return "replayed"
	}
	return identity.ErrorCode(err)
}
