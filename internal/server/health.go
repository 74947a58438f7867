package server

import (
	"context"
	"net/http"
	"time"

	"github.com/authgate/authgate/httpx"
)

// Check is one readiness check: nil means ready. A Warning check that fails
// is reported in the body but keeps the answer 200: the instance still
// serves correctly (e.g. with the last good policy), and failing readiness
// would take every replica out of rotation at once over one bad file.
type Check struct {
	Name    string
	Fn      func(ctx context.Context) error
	Warning bool
}

// Healthz answers 200 while the process serves requests.
func Healthz(w http.ResponseWriter, r *http.Request) {
	httpx.JSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// Readyz answers 200 when every check passes (warnings are listed), else 503
// naming the failures.
func Readyz(checks []Check) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		status := http.StatusOK
		results := make(map[string]string, len(checks))
		warned := false
		for _, c := range checks {
			if err := c.Fn(ctx); err != nil {
				if c.Warning {
					warned = true
					results[c.Name] = "warning: " + err.Error()
					continue
				}
				status = http.StatusServiceUnavailable
				results[c.Name] = err.Error()
				continue
			}
			results[c.Name] = "ok"
		}
		state := "ready"
		switch {
		case status != http.StatusOK:
			state = "not ready"
		case warned:
			state = "ready with warnings"
		}
		httpx.JSON(w, status, map[string]any{"status": state, "checks": results})
	}
}
