package apiserver

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/complaint-handling/complaints/complaint"
	"github.com/complaint-handling/complaints/internal/attachments"
	"github.com/complaint-handling/complaints/internal/envelope"
	"github.com/complaint-handling/complaints/internal/store"
	wf "github.com/complaint-handling/complaints/workflows"
)

// Errors of the channel intake (FileFromChannel, AnswerInfo).
var (
	// ErrTooManyContacts: the matter has taken anonymousRepeatsPerDay
	// repeat contacts today (the API answers 429).
	ErrTooManyContacts = errors.New("too many contacts on this matter today")
	// ErrNotAwaitingInfo: the case asks the customer nothing (any more).
	ErrNotAwaitingInfo = errors.New("the case is not waiting for information")
)

// ChannelFiling is a customer's complaint that arrived by a channel the
// process receives itself (inbound email), filed as the customer's own
// anonymous filing on the web is: the customer id derived from the
// contact, the same validation, classification, idempotency, folding of
// repeat contacts, repeat limit and acknowledgement.
type ChannelFiling struct {
	Request complaint.IntakeRequest
	// Key is the channel's idempotency key (an email's Message-ID): the
	// same key files once, however often the message is processed.
	Key string
	// WorkflowID, when set, is the workflow of the case the filing is a
	// repeat contact on (a reply matched to its case); empty, the
	// matter's, as for a filing on the web.
	WorkflowID string
}

// Filed is what a channel filing did.
type Filed struct {
	CaseID, CaseNumber, Status string
	// RepeatContact: the filing was attached to an open case; Duplicate:
	// its key was filed before.
	RepeatContact, Duplicate bool
}

// FileFromChannel files a channel's complaint as createComplaint files an
// anonymous one. A request the domain refuses returns its FieldErrors
// (complaint.InvalidFieldsOf names every bad field); a matter over its
// repeat limit, ErrTooManyContacts.
func (s *Server) FileFromChannel(ctx context.Context, f ChannelFiling) (Filed, error) {
	req := f.Request
	if id := anonymousCustomerID(customerBody(req.Customer)); id != "" {
		req.Customer.ID = id
	}
	req.EnteredBy, req.ReceivedAt = "", nil
	now := time.Now().UTC()
	if err := req.Validate(profileSet(complaint.Profiles()), now); err != nil {
		return Filed{}, err
	}
	scopedKey := ""
	if f.Key != "" {
		scopedKey = req.Customer.ID + ":" + req.Channel + ":" + f.Key
		if id, err := s.store.CaseForIdempotencyKey(ctx, scopedKey); err == nil {
			cs, err := s.store.GetCase(ctx, id)
			if err != nil {
				return Filed{}, fmt.Errorf("channel intake: %w", err)
			}
			return Filed{CaseID: cs.ID, CaseNumber: cs.CaseNumber, Status: cs.Status, Duplicate: true}, nil
		}
	}
	cmp := req.Complaint(caseIDFor(scopedKey), scopedKey, true, now)
	wfID := f.WorkflowID
	if wfID == "" {
		var err error
		if wfID, err = s.workflowIDFor(ctx, req.Customer.ID, req.OrderRef, cmp.CaseID); err != nil {
			return Filed{}, fmt.Errorf("channel intake: %w", err)
		}
	}
	over, err := s.repeatsOver(ctx, wfID)
	if err != nil {
		return Filed{}, fmt.Errorf("channel intake: %w", err)
	}
	if over {
		return Filed{}, ErrTooManyContacts
	}
	ctx, cancel := context.WithTimeout(envelope.WithCase(envelope.WithActor(ctx, envelope.Customer), cmp.CaseID), s.cfg.TemporalTimeout)
	defer cancel()
	res, err := s.startIntake(ctx, cmp, wfID)
	if err != nil {
		return Filed{}, fmt.Errorf("channel intake: %w", err)
	}
	return Filed{CaseID: res.CaseID, CaseNumber: res.CaseNumber, Status: res.Status,
		RepeatContact: res.RepeatContact || res.CaseID != cmp.CaseID, Duplicate: res.Duplicate}, nil
}

// AnswerInfo gives the customer's answer to the case's information
// request, as the tracking page's answer does; key (an email's
// Message-ID) makes a second delivery of the same answer the same update.
// It returns ErrNotAwaitingInfo when the case asks nothing.
func (s *Server) AnswerInfo(ctx context.Context, cs store.Case, key, answer string) (string, error) {
	h := sha256.Sum256([]byte(cs.ID + "\x00" + wf.UpdateCustomerInfo + "\x00channel:" + key))
	updateID := wf.UpdateCustomerInfo + "-" + hex.EncodeToString(h[:12])
	ctx, cancel := context.WithTimeout(envelope.WithCase(envelope.WithActor(ctx, envelope.Customer), cs.ID), s.cfg.TemporalTimeout)
	defer cancel()
	for {
		st, err := s.updateOnce(ctx, cs, updateID, wf.UpdateCustomerInfo, complaint.CustomerInfo{Answer: answer})
		switch {
		case err == nil:
			return st.Status, nil
		case isWrongState(err) || errors.Is(err, errCaseClosed):
			return "", fmt.Errorf("%w: %w", ErrNotAwaitingInfo, err)
		case !notReady(err):
			return "", fmt.Errorf("answer info: %w", err)
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("answer info: %w", err)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// ChannelFile is a file that came with a message on a channel (an email's
// attachment).
type ChannelFile struct {
	Filename string
	Content  []byte
}

// AttachFromChannel adds a message's files to its case as the customer's
// evidence (uploaded by "email" from sender), with the same checks as an
// upload (type by content, metadata stripped, limits, scan), and tells the
// case's workflow their ids and digests. key is the message's dedupe key:
// each file is stored under an id derived from it and the update's id is
// derived from it too, so a message processed again stores and records
// nothing twice. Files the checks refuse are left out and named in
// refused (they stay in the message's raw copy); a closed case takes
// none. The error is one worth trying again (the database or Temporal).
func (s *Server) AttachFromChannel(ctx context.Context, caseID, key, sender string, files []ChannelFile) (stored int, refused []string, err error) {
	if len(files) == 0 || s.attachments == nil {
		return 0, nil, nil
	}
	cs, err := s.store.GetCase(ctx, caseID)
	if err != nil {
		return 0, nil, fmt.Errorf("attach from channel: %w", err)
	}
	if !complaint.IsOpen(cs.Status) {
		for _, f := range files {
			refused = append(refused, f.Filename+": the case is closed")
		}
		return 0, refused, nil
	}
	var as []attachments.Attachment
	for i, f := range files {
		h := sha256.Sum256(fmt.Appendf(nil, "%s\x00%s\x00file %d", caseID, key, i))
		id := uuid.Must(uuid.FromBytes(h[:16])).String()
		a, err := s.attachments.StoreAs(ctx, id, caseID, attachments.Uploader{Kind: attachments.UploaderEmail, ID: sender}, f.Filename, bytes.NewReader(f.Content))
		var r *attachments.Refused
		switch {
		case errors.As(err, &r):
			refused = append(refused, f.Filename+": "+r.Problem.Message)
			continue
		case err != nil:
			return 0, refused, fmt.Errorf("attach from channel: %w", err)
		}
		as = append(as, a)
	}
	if len(as) == 0 {
		return 0, refused, nil
	}
	h := sha256.Sum256([]byte(cs.ID + "\x00" + wf.UpdateAttachments + "\x00channel:" + key))
	updateID := wf.UpdateAttachments + "-" + hex.EncodeToString(h[:12])
	uctx, cancel := context.WithTimeout(envelope.WithCase(envelope.WithActor(ctx, envelope.Customer), cs.ID), s.cfg.TemporalTimeout)
	defer cancel()
	for {
		_, err := s.updateOnce(uctx, cs, updateID, wf.UpdateAttachments, complaint.AttachmentsAdded{Attachments: refs(as)})
		switch {
		case err == nil:
			return len(as), refused, nil
		case isWrongState(err) || errors.Is(err, errCaseClosed):
			// Closed meanwhile: the files are not the case's evidence.
			s.attachments.Forget(context.WithoutCancel(ctx), cs.ID, as)
			for _, a := range as {
				refused = append(refused, a.Filename+": the case is closed")
			}
			return 0, refused, nil
		case !notReady(err):
			return 0, refused, fmt.Errorf("attach from channel: %w", err)
		}
		select {
		case <-uctx.Done():
			return 0, refused, fmt.Errorf("attach from channel: %w", err)
		case <-time.After(250 * time.Millisecond):
		}
	}
}
