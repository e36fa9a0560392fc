package sms

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/linxGnu/gosmpp"
	"github.com/linxGnu/gosmpp/data"
	"github.com/linxGnu/gosmpp/pdu"
)

// Failure is a submission the SMS centre did not accept. Temporary ones (no
// connection, throttling, a full queue, a system error) are retried;
// permanent ones (a bad destination, a refused message) are not.
type Failure struct {
	Temporary bool
	// Status is the SMPP command_status of the answer, 0 when there was
	// none.
	Status uint32
	Err    error
}

func (f *Failure) Error() string {
	if f.Status != 0 {
		return fmt.Sprintf("smpp status 0x%08X: %v", f.Status, f.Err)
	}
	return f.Err.Error()
}

func (f *Failure) Unwrap() error { return f.Err }

// temporaryStatus are the command_status values a retry may cure
// (SMPP 3.4 section 5.1.3): system error, message queue full,
// throttling, bind failed, submit failed for now.
var temporaryStatus = map[uint32]bool{0x08: true, 0x14: true, 0x58: true, 0x0D: true, 0x45: true, 0x64: true}

// Receipt is an SMS centre's delivery receipt for a part it accepted.
type Receipt struct {
	// ID is the message id the centre gave in submit_sm_resp.
	ID string
	// Stat is the final (or intermediate) state: DELIVRD, UNDELIV,
	// REJECTD, EXPIRED, DELETED, ENROUTE, ACCEPTD, UNKNOWN.
	Stat string
}

// ParseReceipt reads the text of a delivery receipt (SMPP 3.4 appendix B:
// "id:IIII sub:SSS dlvrd:DDD submit date:... done date:... stat:DDDDDDD
// err:E text:..."); ok is false for anything else.
func ParseReceipt(text string) (Receipt, bool) {
	var r Receipt
	for _, f := range strings.Fields(text) {
		if k, v, found := strings.Cut(f, ":"); found {
			switch strings.ToLower(k) {
			case "id":
				r.ID = v
			case "stat":
				r.Stat = strings.ToUpper(v)
			}
		}
	}
	return r, r.ID != "" && r.Stat != ""
}

// Config configures an SMPP client.
type Config struct {
	// URL is smpp://system_id:password@host:port (port 2775 if left out).
	URL string
	// From is the source address (SMS_FROM): a short code, a number, or
	// an alphanumeric sender id.
	From string
	// Timeout bounds a connection and each submission's answer.
	Timeout time.Duration
	// EnquireLink is how often an idle bind is checked (a minute if 0).
	EnquireLink time.Duration
	// OnReceipt is called with each delivery receipt, from the session's
	// reader.
	OnReceipt func(Receipt)
	Logger    *slog.Logger
}

// Client is a bound SMPP transceiver session to an SMS centre: it submits
// texts and receives their delivery receipts on the same bind. It binds
// on first use and rebinds after a broken connection.
type Client struct {
	cfg       Config
	addr      string
	systemID  string
	password  string
	mu        sync.Mutex
	session   *gosmpp.Session
	waitersMu sync.Mutex
	waiters   map[int32]chan result
	closed    bool
}

type result struct {
	id     string
	status uint32
	err    error
}

// NewClient configures a client from an smpp:// URL; it does not connect.
func NewClient(cfg Config) (*Client, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || u.Scheme != "smpp" || u.Hostname() == "" || u.User == nil || u.User.Username() == "" {
		// The URL holds a password: it is not repeated.
		return nil, errors.New("sms.NewClient: SMS_URL must be smpp://system_id:password@host[:port]")
	}
	port := "2775"
	if p := u.Port(); p != "" {
		if _, err := strconv.Atoi(p); err != nil {
			return nil, errors.New("sms.NewClient: SMS_URL has a bad port")
		}
		port = p
	}
	pass, _ := u.User.Password()
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.EnquireLink <= 0 {
		cfg.EnquireLink = time.Minute
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Client{cfg: cfg, addr: net.JoinHostPort(u.Hostname(), port), systemID: u.User.Username(), password: pass,
		waiters: map[int32]chan result{}}, nil
}

// Connect binds now (a worker binds at start so that receipts for texts
// sent before a restart come in); Submit binds when needed.
func (c *Client) Connect() error {
	_, err := c.bound()
	return err
}

func (c *Client) bound() (*gosmpp.Session, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, errors.New("sms client closed")
	}
	if c.session != nil {
		return c.session, nil
	}
	dialer := func(addr string) (net.Conn, error) { return net.DialTimeout("tcp", addr, c.cfg.Timeout) }
	s, err := gosmpp.NewSession(gosmpp.TRXConnector(dialer, gosmpp.Auth{SMSC: c.addr, SystemID: c.systemID,
		Password: c.password, SystemType: ""}), gosmpp.Settings{
		EnquireLink: c.cfg.EnquireLink, ReadTimeout: c.cfg.EnquireLink + c.cfg.Timeout, WriteTimeout: c.cfg.Timeout,
		OnPDU:            c.onPDU,
		OnSubmitError:    func(p pdu.PDU, err error) { c.answer(p.GetSequenceNumber(), result{err: err}) },
		OnReceivingError: func(err error) { c.cfg.Logger.Warn("smpp receive", "err", err) },
		OnRebindingError: func(err error) { c.cfg.Logger.Warn("smpp rebind", "err", err) },
		OnClosed:         func(st gosmpp.State) { c.cfg.Logger.Info("smpp bind closed", "state", st.String()) },
	}, 5*time.Second)
	if err != nil {
		return nil, fmt.Errorf("smpp bind to %s: %w", c.addr, err)
	}
	c.session = s
	return s, nil
}

func (c *Client) onPDU(p pdu.PDU, _ bool) {
	switch pd := p.(type) {
	case *pdu.SubmitSMResp:
		c.answer(pd.GetSequenceNumber(), result{id: pd.MessageID, status: uint32(pd.CommandStatus)})
	case *pdu.DeliverSM:
		if pd.EsmClass&0x3C != 0x04 {
			return // a text from a handset, not a receipt
		}
		text, err := pd.Message.GetMessage()
		if err != nil {
			c.cfg.Logger.Warn("smpp receipt", "err", err)
			return
		}
		r, ok := ParseReceipt(text)
		if !ok {
			c.cfg.Logger.Warn("smpp receipt unreadable")
			return
		}
		if c.cfg.OnReceipt != nil {
			c.cfg.OnReceipt(r)
		}
	}
}

func (c *Client) answer(seq int32, r result) {
	c.waitersMu.Lock()
	ch, ok := c.waiters[seq]
	delete(c.waiters, seq)
	c.waitersMu.Unlock()
	if ok {
		ch <- r
	}
}

// Submit sends text to the number to, as one message or a concatenated
// one (a UDH on every part), with a delivery receipt requested for each,
// and returns the ids the SMS centre gave the parts. Its error is a
// *Failure. A failure after some parts were accepted fails the whole: a
// retry sends every part again (the handset shows the message twice
// rather than not at all).
func (c *Client) Submit(ctx context.Context, to, text string) ([]string, error) {
	s, err := c.bound()
	if err != nil {
		return nil, &Failure{Temporary: true, Err: err}
	}
	subs, err := c.parts(to, text)
	if err != nil {
		return nil, &Failure{Err: err}
	}
	ids := make([]string, 0, len(subs))
	for _, sub := range subs {
		ch := make(chan result, 1)
		seq := sub.GetSequenceNumber()
		c.waitersMu.Lock()
		c.waiters[seq] = ch
		c.waitersMu.Unlock()
		if err := s.Transceiver().Submit(sub); err != nil {
			c.answer(seq, result{})
			c.drop()
			return ids, &Failure{Temporary: true, Err: fmt.Errorf("smpp submit: %w", err)}
		}
		wait, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
		select {
		case r := <-ch:
			cancel()
			switch {
			case r.err != nil:
				c.drop()
				return ids, &Failure{Temporary: true, Err: fmt.Errorf("smpp submit: %w", r.err)}
			case r.status != 0:
				return ids, &Failure{Temporary: temporaryStatus[r.status], Status: r.status,
					Err: errors.New("submit_sm refused")}
			}
			ids = append(ids, r.id)
		case <-wait.Done():
			cancel()
			c.answer(seq, result{})
			return ids, &Failure{Temporary: true, Err: errors.New("smpp submit: no answer in time")}
		}
	}
	return ids, nil
}

// parts builds the submit_sm PDUs of a text: GSM-7 (data_coding 0) when
// every character is in its alphabet, UCS-2 (8) otherwise; more than one
// part carries the concatenation UDH (esm_class 0x40) with one reference.
func (c *Client) parts(to, text string) ([]*pdu.SubmitSM, error) {
	chunks, ucs2 := Split(text)
	enc := data.GSM7BIT
	if ucs2 {
		enc = data.UCS2
	}
	src, err := address(c.cfg.From)
	if err != nil {
		return nil, fmt.Errorf("SMS_FROM: %w", err)
	}
	dst, err := address(to)
	if err != nil {
		return nil, fmt.Errorf("destination: %w", err)
	}
	ref := uint8(time.Now().UnixNano())
	out := make([]*pdu.SubmitSM, 0, len(chunks))
	for i, chunk := range chunks {
		sub := pdu.NewSubmitSM().(*pdu.SubmitSM)
		sub.SourceAddr, sub.DestAddr = src, dst
		sub.RegisteredDelivery = 1 // a receipt on final success or failure
		b, err := enc.Encode(chunk)
		if err != nil {
			return nil, fmt.Errorf("encode: %w", err)
		}
		if err := sub.Message.SetMessageDataWithEncoding(b, enc); err != nil {
			return nil, fmt.Errorf("encode: %w", err)
		}
		if len(chunks) > 1 {
			sub.Message.SetUDH(pdu.UDH{pdu.NewIEConcatMessage(uint8(len(chunks)), uint8(i+1), ref)})
			sub.EsmClass |= data.SM_UDH_GSM
		}
		out = append(out, sub)
	}
	return out, nil
}

// address is a phone number as an international (a leading +) or unknown
// number, digits only; anything with letters is an alphanumeric sender id.
func address(s string) (pdu.Address, error) {
	digits := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		if strings.ContainsRune(" -()+.", r) {
			return -1
		}
		return 'x'
	}, s)
	switch {
	case s == "":
		return pdu.Address{}, errors.New("empty")
	case strings.ContainsRune(digits, 'x'):
		if len(s) > 11 {
			return pdu.Address{}, fmt.Errorf("alphanumeric sender id %q is longer than 11", s)
		}
		return pdu.NewAddressWithTonNpiAddr(5, 0, s) // alphanumeric
	case digits == "":
		return pdu.Address{}, errors.New("no digits")
	case strings.HasPrefix(strings.TrimSpace(s), "+"):
		return pdu.NewAddressWithTonNpiAddr(1, 1, digits) // international, E.164
	}
	return pdu.NewAddressWithTonNpiAddr(0, 1, digits)
}

// drop forgets a session whose connection broke, so the next Submit binds
// again (gosmpp also rebinds it in the background).
func (c *Client) drop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.session != nil {
		_ = c.session.Close()
		c.session = nil
	}
}

// Close unbinds.
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	if c.session == nil {
		return nil
	}
	err := c.session.Close()
	c.session = nil
	return err
}
