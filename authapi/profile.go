package authapi

import (
	"net/http"

	"github.com/authgate/authgate/httpx"
	"github.com/authgate/authgate/identity"
)

// getProfile answers the caller's user object.
func (a *API) getProfile(w http.ResponseWriter, r *http.Request) error {
	u, err := a.userFor(r.Context(), principalFrom(r.Context()))
	if err != nil {
		return err
	}
	httpx.JSON(w, http.StatusOK, u)
	return nil
}

type profileUpdate struct {
	DisplayName *string `json:"display_name"`
	PhotoURL    *string `json:"photo_url"`
}

// updateProfile changes display name and photo URL (mirrored to the
// provider) and answers the updated user.
func (a *API) updateProfile(w http.ResponseWriter, r *http.Request) error {
	var req profileUpdate
	if err := decode(r, &req, false); err != nil {
		return err
	}
	fe := fieldErrors{}
	if req.DisplayName != nil {
		fe.checkDisplayName("display_name", *req.DisplayName)
	}
	if req.PhotoURL != nil {
		fe.checkPhotoURL("photo_url", *req.PhotoURL)
	}
	if err := fe.err(); err != nil {
		return err
	}
	ctx := r.Context()
	p := principalFrom(ctx)
	// userFor makes sure a Firebase principal has its row before the update.
	if _, err := a.userFor(ctx, p); err != nil {
		return err
	}
	u, err := a.Provider.UpdateProfile(ctx, p.UID, identity.UserUpdate{DisplayName: req.DisplayName, PhotoURL: req.PhotoURL})
	if err != nil {
		a.auditErr(r, identity.ActionProfileUpdate, p.UID, err)
		return err
	}
	a.invalidateUser(ctx, p.UID)
	a.audit(r, identity.ActionProfileUpdate, p.UID, identity.StatusSuccess, "")
	httpx.JSON(w, http.StatusOK, u)
	return nil
}
