package gateway

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/authgate/authgate/policy"
)

// Doors, the door label of the metrics.
const (
	DoorForwardAuth = "forward_auth"
	DoorProxy       = "proxy"
)

const (
	doorForwardAuth = iota
	doorProxy
	numDoors
)

var doorNames = [numDoors]string{DoorForwardAuth, DoorProxy}

// resultError is the result label of a decision that failed (verifier
// unavailable), next to policy's allow, unauthenticated and forbidden.
const resultError = "error"

// Upstream error kinds, the kind label of authgate_upstream_errors_total.
const (
	UpstreamErrTimeout  = "timeout"
	UpstreamErrDial     = "dial"
	UpstreamErrCanceled = "canceled"
	UpstreamErrOther    = "other"
)

// metrics holds every series pre-resolved, so that the hot path does no
// label lookup and no allocation.
type metrics struct {
	decisions   [numDoors][4]prometheus.Counter // by policy.Outcome, then error
	duration    [numDoors]prometheus.Observer
	upstream    prometheus.Observer
	upstreamErr map[string]prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	decisions := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "authgate_decisions_total",
		Help: "Gateway decisions by result (allow, unauthenticated, forbidden, error) and door (forward_auth, proxy).",
	}, []string{"result", "door"})
	duration := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "authgate_decision_duration_seconds",
		Help:    "Time to authenticate and authorize one request, by door.",
		Buckets: []float64{.00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1},
	}, []string{"door"})
	upstream := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "authgate_upstream_duration_seconds",
		Help:    "Time from sending a proxied request to the upstream's response headers.",
		Buckets: prometheus.DefBuckets,
	})
	upstreamErr := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "authgate_upstream_errors_total",
		Help: "Failed upstream requests in sidecar mode by kind (timeout, dial, canceled, other).",
	}, []string{"kind"})
	if reg != nil {
		for _, c := range []prometheus.Collector{decisions, duration, upstream, upstreamErr} {
			if err := reg.Register(c); err != nil {
				var are prometheus.AlreadyRegisteredError
				if errors.As(err, &are) {
					return nil, fmt.Errorf("gateway: metrics already registered (one Gateway per registry): %w", err)
				}
				return nil, fmt.Errorf("gateway: register metrics: %w", err)
			}
		}
	}
	m := &metrics{upstream: upstream, upstreamErr: map[string]prometheus.Counter{}}
	for d := 0; d < numDoors; d++ {
		for _, o := range []policy.Outcome{policy.Allow, policy.Unauthenticated, policy.Forbidden} {
			m.decisions[d][o] = decisions.WithLabelValues(o.String(), doorNames[d])
		}
		m.decisions[d][3] = decisions.WithLabelValues(resultError, doorNames[d])
		m.duration[d] = duration.WithLabelValues(doorNames[d])
	}
	for _, k := range []string{UpstreamErrTimeout, UpstreamErrDial, UpstreamErrCanceled, UpstreamErrOther} {
		m.upstreamErr[k] = upstreamErr.WithLabelValues(k)
	}
	return m, nil
}

func (m *metrics) count(door int, d *Decision) {
	if d.Failed {
		m.decisions[door][3].Inc()
		return
	}
	m.decisions[door][d.Outcome].Inc()
}
