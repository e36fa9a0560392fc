package inbound

import "github.com/prometheus/client_golang/prometheus"

// Outcomes of an inbound mail (complaints_inbound_mails_total{outcome}, and
// inbound_mails.outcome): each mail counts once.
const (
	// OutcomeOpened: a new mail opened a case.
	OutcomeOpened = "opened"
	// OutcomeReply: a reply from the case's customer was added to its case
	// as a repeat contact.
	OutcomeReply = "reply"
	// OutcomeInfoAnswer: a reply answered the case's information request.
	OutcomeInfoAnswer = "info_answer"
	// OutcomeRepeat: a new mail the intake folded into the customer's open
	// case on the same matter.
	OutcomeRepeat = "repeat"
	// OutcomeIgnoredAuto: an auto-reply, a list's mail or a report that
	// names none of our messages; nothing is opened or answered.
	OutcomeIgnoredAuto = "ignored_auto"
	// OutcomeBounce: a delivery status notification that marked our
	// delivery bounced.
	OutcomeBounce = "bounce"
	// OutcomeRejected: refused at the listener (recipient, size, client
	// network) or by the intake (bad fields, too many contacts today).
	OutcomeRejected = "rejected"
)

// Outcomes lists the outcomes above.
func Outcomes() []string {
	return []string{OutcomeOpened, OutcomeReply, OutcomeInfoAnswer, OutcomeRepeat, OutcomeIgnoredAuto, OutcomeBounce, OutcomeRejected}
}

// Metrics count inbound mails.
type Metrics struct {
	mails   *prometheus.CounterVec
	retries prometheus.Counter
}

// NewMetrics registers complaints_inbound_mails_total{outcome} (every
// outcome at zero) and complaints_inbound_retries_total on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		mails: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "complaints_inbound_mails_total",
			Help: "Inbound emails by outcome (opened, reply, info_answer, repeat, ignored_auto, bounce, rejected)."}, []string{"outcome"}),
		retries: prometheus.NewCounter(prometheus.CounterOpts{Name: "complaints_inbound_retries_total",
			Help: "Attempts at processing a recorded inbound email that failed and will be retried."}),
	}
	for _, o := range Outcomes() {
		m.mails.WithLabelValues(o)
	}
	reg.MustRegister(m.mails, m.retries)
	return m
}

func (m *Metrics) count(outcome string) {
	if m != nil {
		m.mails.WithLabelValues(outcome).Inc()
	}
}
