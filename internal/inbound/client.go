package inbound

import (
	"context"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/emersion/go-smtp"
)

// Deliver hands a raw mail to a listener as an MTA does, over SMTP (or
// LMTP), without TLS or authentication: it is the client of `complaints-dev
// send-mail` and of the tests. A refusal is an *smtp.SMTPError with the
// listener's code.
func Deliver(ctx context.Context, addr string, lmtp bool, from string, to []string, raw []byte) error {
	d := net.Dialer{Timeout: 10 * time.Second}
	network := "tcp"
	if strings.HasPrefix(addr, "/") {
		network = "unix"
	}
	conn, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return fmt.Errorf("inbound.Deliver: %w", err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	var c *smtp.Client
	if lmtp {
		c = smtp.NewClientLMTP(conn)
	} else {
		c = smtp.NewClient(conn)
	}
	defer c.Close()
	if err := c.Hello("localhost"); err != nil {
		return err
	}
	if err := c.Mail(from, nil); err != nil {
		return err
	}
	for _, rcpt := range to {
		if err := c.Rcpt(rcpt, nil); err != nil {
			return err
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(raw); err != nil {
		return err
	}
	if lmtp {
		_, err = w.CloseWithLMTPResponse()
	} else {
		err = w.Close()
	}
	if err != nil {
		return err
	}
	return c.Quit()
}
