// Package smsctest is a real SMPP 3.4 peer for tests: an SMS centre on a
// loopback TCP port that binds transceivers, transmitters and receivers
// with a system_id and password (refusing wrong ones), decodes submit_sm
// (data_coding, the concatenation UDH, esm_class) and reassembles
// concatenated texts, answers each with a message id, sends delivery
// receipts (deliver_sm) and answers enquire_link and unbind. It encodes
// and decodes PDUs with gosmpp's pdu package.
package smsctest

import (
	"errors"
	"fmt"
	"net"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/linxGnu/gosmpp/data"
	"github.com/linxGnu/gosmpp/pdu"
)

// Message is a text the centre accepted, reassembled from its parts.
type Message struct {
	From, To string
	Text     string
	// DataCoding is the parts' data_coding (0 GSM-7, 8 UCS-2); Parts how
	// many submit_sm carried it; IDs the ids the centre gave them.
	DataCoding byte
	Parts      int
	IDs        []string
	// UDH is whether the parts carried the concatenation header (and
	// esm_class 0x40).
	UDH bool
}

// Server is the test SMS centre.
type Server struct {
	SystemID, Password string
	// Stat decides each accepted part's receipt by destination: DELIVRD,
	// UNDELIV, REJECTD...; "" sends none. Nil delivers every part.
	Stat func(to string) string
	// Refuse decides a submit_sm's command_status by destination (0
	// accepts it): for example 0x0B, an invalid destination address.
	Refuse func(to string) uint32
	// ReceiptDelay is how long after the answer a receipt is sent.
	ReceiptDelay time.Duration
	// OnMessage is called with each text once all its parts arrived (set
	// it before the first bind).
	OnMessage func(Message)

	ln       net.Listener
	mu       sync.Mutex
	messages []Message
	parts    map[string][]part // reference -> parts
	binds    int
	refused  int
	enquires int
	nextID   int
	arrived  chan struct{}
	conns    map[net.Conn]bool
	receiver net.Conn // the last bound transceiver or receiver
	wg       sync.WaitGroup
}

type part struct {
	seq, total int
	text       string
	id         string
	coding     byte
}

// Start listens on 127.0.0.1 at a free port (addr "") or addr.
func Start(addr, systemID, password string) (*Server, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("smsctest: %w", err)
	}
	s := &Server{SystemID: systemID, Password: password, ln: ln, parts: map[string][]part{},
		arrived: make(chan struct{}, 1000), conns: map[net.Conn]bool{}}
	s.wg.Add(1)
	go s.serve()
	return s, nil
}

// Addr is host:port.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// URL is the SMS_URL of the server with its credentials.
func (s *Server) URL() string {
	return fmt.Sprintf("smpp://%s:%s@%s", s.SystemID, s.Password, s.Addr())
}

// Close stops the server and drops its connections.
func (s *Server) Close() {
	_ = s.ln.Close()
	s.mu.Lock()
	for c := range s.conns {
		_ = c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// Messages returns the texts accepted so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// Counts returns how many binds succeeded and were refused, and how many
// enquire_link the server answered.
func (s *Server) Counts() (binds, refused, enquires int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.binds, s.refused, s.enquires
}

// Wait waits until n texts arrived in all, or d passed.
func (s *Server) Wait(n int, d time.Duration) []Message {
	deadline := time.After(d)
	for {
		if m := s.Messages(); len(m) >= n {
			return m
		}
		select {
		case <-s.arrived:
		case <-deadline:
			return s.Messages()
		}
	}
}

func (s *Server) serve() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns[c] = true
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.conn(c)
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
			_ = c.Close()
		}()
	}
}

// conn speaks SMPP on one connection until unbind or a broken line.
func (s *Server) conn(c net.Conn) {
	var wmu sync.Mutex
	write := func(p pdu.PDU) error {
		b := pdu.NewBuffer(make([]byte, 0, 64))
		p.Marshal(b)
		wmu.Lock()
		defer wmu.Unlock()
		_ = c.SetWriteDeadline(time.Now().Add(5 * time.Second))
		_, err := c.Write(b.Bytes())
		return err
	}
	bound := false
	for {
		p, err := pdu.Parse(c)
		if err != nil {
			return
		}
		switch q := p.(type) {
		case *pdu.BindRequest:
			resp := q.GetResponse().(*pdu.BindResp)
			resp.SystemID = "smsctest"
			s.mu.Lock()
			if q.SystemID != s.SystemID || q.Password != s.Password {
				resp.CommandStatus = data.ESME_RINVPASWD
				s.refused++
			} else {
				bound = true
				s.binds++
				if q.BindingType != pdu.Transmitter {
					s.receiver = c
				}
			}
			s.mu.Unlock()
			if write(resp) != nil || !bound {
				return
			}
		case *pdu.EnquireLink:
			s.mu.Lock()
			s.enquires++
			s.mu.Unlock()
			_ = write(q.GetResponse())
		case *pdu.Unbind:
			_ = write(q.GetResponse())
			return
		case *pdu.SubmitSM:
			resp := q.GetResponse().(*pdu.SubmitSMResp)
			if !bound {
				resp.CommandStatus = data.ESME_RINVBNDSTS
				_ = write(resp)
				continue
			}
			to := q.DestAddr.Address()
			if s.Refuse != nil {
				if st := s.Refuse(to); st != 0 {
					resp.CommandStatus = data.CommandStatusType(st)
					_ = write(resp)
					continue
				}
			}
			id, err := s.accept(q)
			if err != nil {
				resp.CommandStatus = data.ESME_RINVMSGLEN
				_ = write(resp)
				continue
			}
			resp.MessageID = id
			if write(resp) != nil {
				return
			}
			stat := "DELIVRD"
			if s.Stat != nil {
				stat = s.Stat(to)
			}
			if stat != "" && q.RegisteredDelivery&0x03 != 0 {
				go s.receipt(q, id, stat)
			}
		case *pdu.DeliverSMResp, *pdu.EnquireLinkResp, *pdu.GenericNack:
		default:
			if p.CanResponse() {
				r := p.GetResponse()
				_ = write(r)
			}
		}
	}
}

// accept decodes a part and files it; a complete text becomes a Message.
func (s *Server) accept(q *pdu.SubmitSM) (string, error) {
	raw, err := q.Message.GetMessageData()
	if err != nil {
		return "", err
	}
	enc := data.FromDataCoding(q.Message.Encoding().DataCoding())
	if enc == nil {
		return "", errors.New("unknown data_coding")
	}
	text, err := enc.Decode(raw)
	if err != nil {
		return "", err
	}
	udh := q.Message.UDH()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	id := fmt.Sprintf("smsc%06d", s.nextID)
	coding := q.Message.Encoding().DataCoding()
	m := Message{From: q.SourceAddr.Address(), To: q.DestAddr.Address(), DataCoding: coding}
	if q.EsmClass&data.SM_UDH_GSM == 0 || len(udh) == 0 {
		m.Text, m.Parts, m.IDs = text, 1, []string{id}
		s.file(m)
		return id, nil
	}
	total, seq, ref, ok := concat(udh)
	if !ok {
		return "", errors.New("no concatenation element in the UDH")
	}
	key := fmt.Sprintf("%s|%s|%d", m.From, m.To, ref)
	s.parts[key] = append(s.parts[key], part{seq: seq, total: total, text: text, id: id, coding: coding})
	if len(s.parts[key]) < total {
		return id, nil
	}
	ps := s.parts[key]
	delete(s.parts, key)
	sort.Slice(ps, func(i, j int) bool { return ps[i].seq < ps[j].seq })
	var b strings.Builder
	for _, p := range ps {
		b.WriteString(p.text)
		m.IDs = append(m.IDs, p.id)
	}
	m.Text, m.Parts, m.UDH = b.String(), total, true
	s.file(m)
	return id, nil
}

// concat reads the concatenation information element (8- or 16-bit
// reference) of a UDH.
func concat(udh pdu.UDH) (total, seq, ref int, ok bool) {
	for _, ie := range udh {
		switch {
		case ie.ID == data.UDH_CONCAT_MSG_8_BIT_REF && len(ie.Data) == 3:
			return int(ie.Data[1]), int(ie.Data[2]), int(ie.Data[0]), true
		case ie.ID == data.UDH_CONCAT_MSG_16_BIT_REF && len(ie.Data) == 4:
			return int(ie.Data[2]), int(ie.Data[3]), int(ie.Data[0])<<8 | int(ie.Data[1]), true
		}
	}
	return 0, 0, 0, false
}

func (s *Server) file(m Message) {
	s.messages = append(s.messages, m)
	if s.OnMessage != nil {
		go s.OnMessage(m)
	}
	select {
	case s.arrived <- struct{}{}:
	default:
	}
}

// receipt sends a delivery receipt for a part on the bound receiver.
func (s *Server) receipt(q *pdu.SubmitSM, id, stat string) {
	time.Sleep(s.ReceiptDelay)
	s.mu.Lock()
	c := s.receiver
	s.mu.Unlock()
	if c == nil {
		return
	}
	d := pdu.NewDeliverSM().(*pdu.DeliverSM)
	d.SourceAddr, d.DestAddr = q.DestAddr, q.SourceAddr
	d.EsmClass = 0x04 // an SMSC delivery receipt
	now := time.Now().Format("0601021504")
	dlvrd := "001"
	if stat != "DELIVRD" {
		dlvrd = "000"
	}
	text := fmt.Sprintf("id:%s sub:001 dlvrd:%s submit date:%s done date:%s stat:%s err:000 text:", id, dlvrd, now, now, stat)
	if err := d.Message.SetMessageWithEncoding(text, data.GSM7BIT); err != nil {
		return
	}
	b := pdu.NewBuffer(make([]byte, 0, 128))
	d.Marshal(b)
	_ = c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	_, _ = c.Write(b.Bytes())
}
