package mail

// Bounced counts n messages on channel that a later report (a delivery
// status notification received by the inbound listener) says bounced.
func (m *Metrics) Bounced(channel string, n int) {
	if m != nil && n > 0 {
		m.messages.WithLabelValues(channel, "bounced").Add(float64(n))
	}
}
