package testenv

import (
	"encoding/json"
	"net/http"
	"testing"
)

// EmulatorUser is the part of an emulator account tests look at.
type EmulatorUser struct {
	LocalID       string `json:"localId"`
	Email         string `json:"email"`
	DisplayName   string `json:"displayName"`
	PhotoURL      string `json:"photoUrl"`
	EmailVerified bool   `json:"emailVerified"`
	Disabled      bool   `json:"disabled"`
	CustomAttrs   string `json:"customAttributes"`
}

// Lookup returns the emulator's account uid, or nil when there is none.
func (e *Emulator) Lookup(tb testing.TB, uid string) *EmulatorUser {
	tb.Helper()
	var out struct {
		Users []json.RawMessage `json:"users"`
	}
	e.do(tb, http.MethodPost, "/identitytoolkit.googleapis.com/v1/projects/"+e.ProjectID+"/accounts:lookup",
		map[string]any{"localId": []string{uid}}, &out)
	if len(out.Users) == 0 {
		return nil
	}
	var u EmulatorUser
	if err := json.Unmarshal(out.Users[0], &u); err != nil {
		tb.Fatalf("emulator: decode account: %v", err)
	}
	return &u
}
