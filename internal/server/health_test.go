package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/authgate/authgate/internal/server"
)

func TestReadyz(t *testing.T) {
	ok := func(context.Context) error { return nil }
	bad := func(context.Context) error { return errors.New("down") }
	tests := []struct {
		name   string
		checks []server.Check
		status int
		state  string
	}{
		{"all ok", []server.Check{{Name: "db", Fn: ok}}, 200, "ready"},
		{"a failure", []server.Check{{Name: "db", Fn: bad}, {Name: "keys", Fn: ok}}, 503, "not ready"},
		{"a warning only", []server.Check{{Name: "db", Fn: ok}, {Name: "policy", Fn: bad, Warning: true}}, 200, "ready with warnings"},
		{"failure wins over warning", []server.Check{{Name: "db", Fn: bad}, {Name: "policy", Fn: bad, Warning: true}}, 503, "not ready"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			server.Readyz(tt.checks).ServeHTTP(w, httptest.NewRequest("GET", "/readyz", nil))
			var body struct {
				Status string            `json:"status"`
				Checks map[string]string `json:"checks"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatal(err)
			}
			if w.Code != tt.status || body.Status != tt.state {
				t.Fatalf("%d %q, want %d %q", w.Code, body.Status, tt.status, tt.state)
			}
			for _, c := range tt.checks {
				if got := body.Checks[c.Name]; got == "" {
					t.Errorf("check %s not reported", c.Name)
				}
			}
		})
	}
}

func TestRecoverAnswersProblem(t *testing.T) {
	h := server.Recover(nil)(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	if w.Code != http.StatusInternalServerError || w.Header().Get("Content-Type") != "application/problem+json" {
		t.Fatalf("%d %q", w.Code, w.Header().Get("Content-Type"))
	}
}
