package cache

import (
	"errors"
	"fmt"

	"github.com/dgraph-io/ristretto/v2"
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the Authenticator's Prometheus series. Counters are resolved
// once, so the hot path pays one atomic add per hit.
type metrics struct {
	tokenHits, tokenMisses     prometheus.Counter
	profileHits, profileMisses prometheus.Counter
	invalidations              *prometheus.CounterVec
	pubsubErrors               prometheus.Counter
	collectors                 []prometheus.Collector
}

func newMetrics(tokens *ristretto.Cache[string, *tokenEntry], profiles *ristretto.Cache[string, *profileEntry]) *metrics {
	hits := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "authgate_cache_hits_total",
		Help: "Cache lookups answered from the cache, by cache (token, profile).",
	}, []string{"cache"})
	misses := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "authgate_cache_misses_total",
		Help: "Cache lookups that went to the verifier chain or the store, by cache (token, profile).",
	}, []string{"cache"})
	inv := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "authgate_cache_invalidations_total",
		Help: "Invalidations applied, by kind (session, user, all) and origin (local, remote).",
	}, []string{"kind", "origin"})
	pubErr := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "authgate_cache_pubsub_errors_total",
		Help: "Failed publications of, or subscriptions to, cache invalidations on Redis.",
	})
	m := &metrics{
		tokenHits:     hits.WithLabelValues("token"),
		tokenMisses:   misses.WithLabelValues("token"),
		profileHits:   hits.WithLabelValues("profile"),
		profileMisses: misses.WithLabelValues("profile"),
		invalidations: inv,
		pubsubErrors:  pubErr,
	}
	m.collectors = []prometheus.Collector{hits, misses, inv, pubErr,
		sizeCollector{
			{name: "token", stats: tokens.Metrics, maxCost: tokens.MaxCost, remaining: tokens.RemainingCost},
			{name: "profile", stats: profiles.Metrics, maxCost: profiles.MaxCost, remaining: profiles.RemainingCost},
		},
	}
	return m
}

func (m *metrics) register(r prometheus.Registerer) error {
	if r == nil {
		return nil
	}
	var errs []error
	for _, c := range m.collectors {
		if err := r.Register(c); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("cache: register metrics: %w", err)
	}
	return nil
}

func (m *metrics) unregister(r prometheus.Registerer) {
	if r == nil {
		return
	}
	for _, c := range m.collectors {
		r.Unregister(c)
	}
}

var (
	entriesDesc = prometheus.NewDesc("authgate_cache_entries",
		"Entries held by the cache.", []string{"cache"}, nil)
	costDesc = prometheus.NewDesc("authgate_cache_cost_bytes",
		"Estimated bytes held by the cache (ristretto cost, including its per-entry overhead).", []string{"cache"}, nil)
	maxCostDesc = prometheus.NewDesc("authgate_cache_max_cost_bytes",
		"Configured bound of authgate_cache_cost_bytes.", []string{"cache"}, nil)
)

// sizeCollector reads the ristretto caches' sizes at scrape time.
type sizeCollector []cacheSize

type cacheSize struct {
	name      string
	stats     *ristretto.Metrics
	maxCost   func() int64
	remaining func() int64
}

func (sizeCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- entriesDesc
	ch <- costDesc
	ch <- maxCostDesc
}

func (sc sizeCollector) Collect(ch chan<- prometheus.Metric) {
	for _, c := range sc {
		c.collect(ch)
	}
}

func (c cacheSize) collect(ch chan<- prometheus.Metric) {
	maxCost := c.maxCost()
	// Deletions and TTL expiries count as evictions in ristretto's metrics.
	entries := float64(c.stats.KeysAdded()) - float64(c.stats.KeysEvicted())
	ch <- prometheus.MustNewConstMetric(entriesDesc, prometheus.GaugeValue, max(entries, 0), c.name)
	ch <- prometheus.MustNewConstMetric(costDesc, prometheus.GaugeValue, float64(maxCost-c.remaining()), c.name)
	ch <- prometheus.MustNewConstMetric(maxCostDesc, prometheus.GaugeValue, float64(maxCost), c.name)
}
