package codec

import "github.com/prometheus/client_golang/prometheus"

// Metrics counts what Decode refuses and, in the plaintext migration
// window, what it lets through unencrypted. A nil *Metrics counts nothing.
type Metrics struct {
	rejectedTotal  *prometheus.CounterVec
	plaintextTotal prometheus.Counter
}

// NewMetrics registers complaints_codec_rejected_payloads_total{reason}
// and complaints_codec_plaintext_accepted_total on reg. Every reason starts
// at zero, so an alert on increase() sees the first refusal.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		rejectedTotal: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "complaints_codec_rejected_payloads_total",
			Help: "Temporal payloads the codec refused to decode, by reason (plaintext, unknown_key, tampered).",
		}, []string{"reason"}),
		plaintextTotal: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "complaints_codec_plaintext_accepted_total",
			Help: "Unencrypted Temporal payloads decoded because PAYLOAD_ACCEPT_PLAINTEXT is on.",
		}),
	}
	for _, r := range []string{ReasonPlaintext, ReasonUnknownKey, ReasonTampered} {
		m.rejectedTotal.WithLabelValues(r)
	}
	reg.MustRegister(m.rejectedTotal, m.plaintextTotal)
	return m
}

func (m *Metrics) rejected(reason string) {
	if m != nil {
		m.rejectedTotal.WithLabelValues(reason).Inc()
	}
}

func (m *Metrics) plaintextAccepted() {
	if m != nil {
		m.plaintextTotal.Inc()
	}
}
