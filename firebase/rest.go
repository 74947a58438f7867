package firebase

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// Identity Toolkit endpoints.
const (
	googleIdentityToolkit = "https://identitytoolkit.googleapis.com/v1"
	// emulatorAPIKey is sent to the emulator when no key is configured: it
	// accepts any key.
	emulatorAPIKey = "fake-api-key"
	// maxResponse bounds what is read of an answer.
	maxResponse = 1 << 20
)

// restClient calls the Identity Toolkit REST API with the Web API key, as a
// Firebase client SDK would.
type restClient struct {
	base   string
	key    string
	client *http.Client
}

func newRESTClient(emulatorHost, apiKey string, hc *http.Client) *restClient {
	base := googleIdentityToolkit
	if emulatorHost != "" {
		base = "http://" + emulatorHost + "/identitytoolkit.googleapis.com/v1"
		if apiKey == "" {
			apiKey = emulatorAPIKey
		}
	}
	return &restClient{base: base, key: apiKey, client: hc}
}

// call POSTs in as JSON to accounts:<method> and decodes the answer into
// out. An error answer becomes an *APIError; a transport failure is returned
// as is (see isUnreachable).
func (r *restClient) call(ctx context.Context, method string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("encode %s request: %w", method, err)
	}
	u := r.base + "/accounts:" + method + "?key=" + url.QueryEscape(r.key)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%s request: %w", method, err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := r.client.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return fmt.Errorf("%s: read answer: %w", method, err)
	}
	if resp.StatusCode/100 != 2 {
		return decodeAPIError(resp.StatusCode, b)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("%s: decode answer: %w", method, err)
	}
	return nil
}

// decodeAPIError reads Google's error document
// {"error":{"code":400,"message":"EMAIL_EXISTS"}}.
func decodeAPIError(status int, body []byte) *APIError {
	var doc struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	ae := &APIError{Status: status}
	if json.Unmarshal(body, &doc) == nil && doc.Error.Message != "" {
		ae.Code, ae.Detail = parseAPIErrorMessage(doc.Error.Message)
		return ae
	}
	ae.Code = http.StatusText(status)
	if len(body) > 200 {
		body = body[:200]
	}
	ae.Detail = string(bytes.TrimSpace(body))
	return ae
}

// signInResponse is the answer of signInWithPassword, signInWithCustomToken
// and signUp.
type signInResponse struct {
	LocalID string `json:"localId"`
	Email   string `json:"email"`
	IDToken string `json:"idToken"`
}

func (r *restClient) signInWithPassword(ctx context.Context, email, password string) (*signInResponse, error) {
	var out signInResponse
	err := r.call(ctx, "signInWithPassword", map[string]any{
		"email": email, "password": password, "returnSecureToken": true,
	}, &out)
	if err != nil {
		return nil, err
	}
	return &out, nil
}

func (r *restClient) signInWithCustomToken(ctx context.Context, token string) (*signInResponse, error) {
	var out signInResponse
	if err := r.call(ctx, "signInWithCustomToken", map[string]any{
		"token": token, "returnSecureToken": true,
	}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// sendOobCode asks Firebase to mail an out-of-band code. PASSWORD_RESET
// takes the email, VERIFY_EMAIL the user's ID token.
func (r *restClient) sendOobCode(ctx context.Context, req map[string]any) error {
	return r.call(ctx, "sendOobCode", req, nil)
}

// oobResponse is the answer of resetPassword and update with an oobCode.
type oobResponse struct {
	LocalID       string `json:"localId"`
	Email         string `json:"email"`
	EmailVerified bool   `json:"emailVerified"`
	RequestType   string `json:"requestType"`
}

func (r *restClient) resetPassword(ctx context.Context, code, newPassword string) (*oobResponse, error) {
	var out oobResponse
	if err := r.call(ctx, "resetPassword", map[string]any{
		"oobCode": code, "newPassword": newPassword,
	}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

func (r *restClient) applyOobCode(ctx context.Context, code string) (*oobResponse, error) {
	var out oobResponse
	if err := r.call(ctx, "update", map[string]any{"oobCode": code}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
