package main

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/authgate/authgate/authapi"
	"github.com/authgate/authgate/gateway"
	"github.com/authgate/authgate/identity"
)

// denialAudit samples the gateway's denials into the audit log: at most
// authapi.DefaultSampledPerMinute rows a minute, written by one goroutine,
// never a database write on the request path; the rest is counted in
// authgate_audit_denials_dropped_total.
func (a *app) denialAudit() gateway.AuditHook {
	s := authapi.NewAuditSampler(a.db, authapi.AuditSamplerConfig{Log: a.log})
	a.closers = append(a.closers, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return s.Close(ctx)
	})
	a.reg.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "authgate_audit_denials_sampled_total",
			Help: "Gateway denials written to the audit log.",
		}, func() float64 { return float64(s.Stats().Written) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "authgate_audit_denials_dropped_total",
			Help: "Gateway denials not written to the audit log (over the per-minute budget or queue full).",
		}, func() float64 { return float64(s.Stats().Dropped) }),
	)
	return gateway.AuditFunc(func(_ context.Context, d *gateway.Denial) {
		if !s.Admit() {
			return
		}
		ip := ""
		if d.ClientIP.IsValid() {
			ip = d.ClientIP.String()
		}
		s.Offer(identity.AuditEvent{
			UID: d.UID, Action: identity.ActionForwardAuthDeny, IPAddress: ip, Status: identity.StatusFailure,
			UserAgent: authapi.CleanUserAgent(d.UserAgent),
			Detail:    authapi.DenialDetail(d.Code, d.Door, d.Method, d.Host, d.Path),
		})
	})
}
