package inbound

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/mail"
	"net/netip"
	"strings"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/complaint-handling/complaints/internal/store"
)

// ListenerConfig shapes the listener (INBOUND_* settings).
type ListenerConfig struct {
	// Addr is host:port; LMTP speaks LMTP instead of SMTP (an MTA
	// delivering to a local mailbox service).
	Addr string
	LMTP bool
	// Domain is the name the listener greets with.
	Domain string
	// Recipients are the support addresses accepted; any other is refused
	// (550).
	Recipients []string
	// MaxBytes refuses larger mails (552).
	MaxBytes int64
	// AllowedNets, when set, are the client networks that may deliver
	// (the organisation's MTAs); others are refused (554).
	AllowedNets []netip.Prefix
}

// Recorder keeps an accepted mail (store.Store).
type Recorder interface {
	RecordInboundMail(ctx context.Context, m store.InboundMail) (bool, error)
}

// Listener accepts mail over SMTP or LMTP. It answers 250 to a mail's data
// only once the mail is recorded: a mail it has accepted survives a crash,
// and one it could not record is refused with a temporary error (451),
// which the sending MTA retries.
type Listener struct {
	cfg     ListenerConfig
	rec     Recorder
	wake    func()
	metrics *Metrics
	logger  *slog.Logger
	srv     *smtp.Server
	ln      net.Listener
	done    chan struct{}
}

// Listen opens the listener on cfg.Addr and serves until Close; wake is
// called after each newly recorded mail (the processor's signal).
func Listen(cfg ListenerConfig, rec Recorder, wake func(), metrics *Metrics, logger *slog.Logger) (*Listener, error) {
	network := "tcp"
	if strings.HasPrefix(cfg.Addr, "/") {
		network = "unix"
	}
	ln, err := net.Listen(network, cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("inbound listen %s: %w", cfg.Addr, err)
	}
	l := &Listener{cfg: cfg, rec: rec, wake: wake, metrics: metrics, logger: logger, ln: ln, done: make(chan struct{})}
	l.srv = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{l: l, remote: c.Conn().RemoteAddr()}, nil
	}))
	l.srv.LMTP, l.srv.Domain, l.srv.MaxMessageBytes = cfg.LMTP, cfg.Domain, cfg.MaxBytes
	l.srv.MaxRecipients, l.srv.ReadTimeout, l.srv.WriteTimeout = 50, 5*time.Minute, time.Minute
	l.srv.ErrorLog = slogAdapter{logger}
	// Addresses with non-ASCII local parts (a support address in Chinese)
	// arrive with SMTPUTF8.
	l.srv.EnableSMTPUTF8 = true
	go func() {
		defer close(l.done)
		if err := l.srv.Serve(ln); err != nil && !errors.Is(err, smtp.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
			logger.Error("inbound listener", "err", err)
		}
	}()
	return l, nil
}

// Addr is the address the listener listens on.
func (l *Listener) Addr() string { return l.ln.Addr().String() }

// Close stops accepting connections and waits for the sessions in flight
// (bounded by ctx).
func (l *Listener) Close(ctx context.Context) {
	if err := l.srv.Shutdown(ctx); err != nil {
		_ = l.srv.Close()
	}
	<-l.done
}

// allowed reports whether a client may deliver.
func (l *Listener) allowed(addr net.Addr) bool {
	if len(l.cfg.AllowedNets) == 0 {
		return true
	}
	ap, err := netip.ParseAddrPort(addr.String())
	if err != nil {
		// A Unix socket: its file's permissions decide.
		return addr.Network() == "unix"
	}
	for _, n := range l.cfg.AllowedNets {
		if n.Contains(ap.Addr().Unmap()) {
			return true
		}
	}
	return false
}

// accepts reports whether rcpt is one of the support addresses.
func (l *Listener) accepts(rcpt string) bool {
	for _, r := range l.cfg.Recipients {
		if SameAddress(r, rcpt) {
			return true
		}
	}
	return false
}

type session struct {
	l      *Listener
	remote net.Addr
	from   string
	to     []string
}

var (
	errNotAllowed = &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "not accepting mail from this client"}
	errNoMailbox  = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such mailbox here"}
	errNoRcpt     = &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 5, 1}, Message: "no valid recipients"}
	errNotKept    = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "cannot keep the message now, try again later"}
)

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if !s.l.allowed(s.remote) {
		s.l.metrics.count(OutcomeRejected)
		return errNotAllowed
	}
	s.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if !s.l.accepts(to) {
		s.l.metrics.count(OutcomeRejected)
		return errNoMailbox
	}
	s.to = append(s.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	if len(s.to) == 0 {
		return errNoRcpt
	}
	raw, err := io.ReadAll(r)
	if err != nil {
		var se *smtp.SMTPError
		if errors.As(err, &se) {
			// Larger than INBOUND_MAX_BYTES (552).
			s.l.metrics.count(OutcomeRejected)
			return se
		}
		return err
	}
	m := store.InboundMail{MailFrom: s.from, RcptTo: s.to, Raw: raw}
	m.MessageID, m.DedupeKey = DedupeKey(raw)
	// The MTA waits for the answer; a database that does not answer in
	// time gets it a 451, and the mail is sent again later.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	isNew, err := s.l.rec.RecordInboundMail(ctx, m)
	if err != nil {
		s.l.logger.Error("inbound record", "err", err)
		return errNotKept
	}
	s.l.logger.Info("inbound mail accepted", "message_id", m.MessageID, "bytes", len(raw), "new", isNew)
	if isNew {
		s.l.wake()
	}
	return nil
}

func (s *session) Reset()        { s.from, s.to = "", nil }
func (s *session) Logout() error { return nil }

// DedupeKey reads a raw mail's Message-ID and returns it with the key the
// mail is recorded under: "mid:" and the id, or, for a mail without one,
// "sha256:" and the digest of its bytes.
func DedupeKey(raw []byte) (messageID, key string) {
	if msg, err := mail.ReadMessage(bytes.NewReader(raw)); err == nil {
		messageID = firstID(msg.Header.Get("Message-Id"))
	}
	if messageID != "" {
		return messageID, "mid:" + messageID
	}
	sum := sha256.Sum256(raw)
	return "", "sha256:" + hex.EncodeToString(sum[:])
}

// slogAdapter is go-smtp's error log on slog.
type slogAdapter struct{ l *slog.Logger }

func (a slogAdapter) Printf(format string, v ...any) {
	a.l.Warn("inbound smtp", "msg", fmt.Sprintf(format, v...))
}
func (a slogAdapter) Println(v ...any) { a.l.Warn("inbound smtp", "msg", fmt.Sprint(v...)) }
