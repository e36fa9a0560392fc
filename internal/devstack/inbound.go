package devstack

import (
	"fmt"
	"net"

	"github.com/complaint-handling/complaints/internal/app"
	"github.com/complaint-handling/complaints/internal/config"
)

// devSupportAddress is the support address of `make run`'s listener when
// SUPPORT_ADDRESS names none.
const devSupportAddress = "help@localhost"

// devInbound turns the inbound email listener on at
// config.DevInboundAddr when INBOUND_SMTP_ADDR is unset (not "off"), for
// SUPPORT_ADDRESS or help@localhost. The listener is a convenience here:
// with the port taken (another stack), the stack runs without it, and
// says so.
func (s *Stack) devInbound() {
	in := &s.Config.Inbound
	if in.Addr != "" {
		return
	}
	l, err := net.Listen("tcp", config.DevInboundAddr)
	if err != nil {
		s.Logger.Warn("inbound email is off: its port is taken", "addr", config.DevInboundAddr, "err", err)
		return
	}
	_ = l.Close()
	in.Addr = config.DevInboundAddr
	if len(in.SupportAddresses) == 0 {
		in.SupportAddresses = []string{devSupportAddress}
	}
}

// inboundLines are the banner's lines on inbound email: where to send a
// test mail, and how.
func inboundLines(a *app.App) string {
	if a.InboundAddr == "" {
		return ""
	}
	to := a.Config.Inbound.SupportAddresses[0]
	return fmt.Sprintf("  Inbound mail smtp://%s for %s; send a test complaint with\n"+
		"               go run ./cmd/complaints-dev send-mail --from you@example.com --subject 'Refund' --body 'Where is my refund?'\n",
		a.InboundAddr, to)
}
