package envelope

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// ErrorType is the application error type of a refused envelope.
const ErrorType = "DecisionNotAuthentic"

// Signer signs the updates a client sends (the client interceptor).
type Signer struct {
	Key []byte
	Now func() time.Time
}

// ClientInterceptor signs every update (and update-with-start) sent
// through the client with the actor of its context. An update without an
// actor fails with ErrNoActor before it leaves the process.
func ClientInterceptor(s Signer) interceptor.ClientInterceptor {
	return &clientInterceptor{s: s}
}

type clientInterceptor struct {
	interceptor.ClientInterceptorBase
	s Signer
}

func (c *clientInterceptor) InterceptClient(next interceptor.ClientOutboundInterceptor) interceptor.ClientOutboundInterceptor {
	o := &clientOutbound{s: c.s}
	o.Next = next
	return o
}

type clientOutbound struct {
	interceptor.ClientOutboundInterceptorBase
	s Signer
}

func (o *clientOutbound) sign(ctx context.Context, workflowID, firstRunID, name, updateID string, args []any) error {
	actor, ok := ActorFrom(ctx)
	if !ok {
		return ErrNoActor
	}
	if workflowID == "" {
		return errors.New("envelope: an update must name its workflow id to be signed")
	}
	d, err := Digest(args)
	if err != nil {
		return err
	}
	caseID, _ := ctx.Value(caseKey{}).(string)
	e := Envelope{Actor: actor, CaseID: caseID, WorkflowID: workflowID, FirstRunID: firstRunID, Update: name,
		UpdateID: updateID, IssuedAt: o.s.Now().UnixMilli(), ArgsDigest: d}
	e.Sign(o.s.Key)
	// The header is not run through the payload codec: the envelope holds
	// no personal data and must be readable by the interceptor alone.
	p, err := converter.GetDefaultDataConverter().ToPayload(e)
	if err != nil {
		return err
	}
	interceptor.Header(ctx)[HeaderKey] = p
	return nil
}

func (o *clientOutbound) UpdateWorkflow(ctx context.Context, in *interceptor.ClientUpdateWorkflowInput) (client.WorkflowUpdateHandle, error) {
	if err := o.sign(ctx, in.WorkflowID, in.FirstExecutionRunID, in.UpdateName, in.UpdateID, in.Args); err != nil {
		return nil, err
	}
	return o.Next.UpdateWorkflow(ctx, in)
}

func (o *clientOutbound) UpdateWithStartWorkflow(ctx context.Context, in *interceptor.ClientUpdateWithStartWorkflowInput) (client.WorkflowUpdateHandle, error) {
	u := in.UpdateOptions
	if u.UpdateID == "" {
		// The SDK would make one up after this point; the envelope must
		// name it.
		u.UpdateID = uuid.NewString()
	}
	if err := o.sign(ctx, u.WorkflowID, "", u.UpdateName, u.UpdateID, u.Args); err != nil {
		return nil, err
	}
	return o.Next.UpdateWithStartWorkflow(ctx, in)
}

// Metrics counts refused envelopes.
type Metrics struct {
	rejected *prometheus.CounterVec
}

// NewMetrics registers complaints_decision_rejected_total{reason} on reg,
// every reason at zero.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "complaints_decision_rejected_total",
		Help: "Updates a worker refused because their signed decision envelope was missing, forged, misaddressed, stale or for other arguments.",
	}, []string{"reason"})}
	for _, r := range []string{ReasonUnsigned, ReasonBadSignature, ReasonWrongTarget, ReasonStale, ReasonArgs} {
		m.rejected.WithLabelValues(r)
	}
	reg.MustRegister(m.rejected)
	return m
}

// WorkerInterceptor checks every update's envelope in the worker before
// the workflow's validator runs. The check is in ValidateUpdate, which the
// SDK does not run on replay: the wall clock and the keys may differ by
// then, and an update accepted once stays accepted. ExecuteUpdate is left
// alone for the same reason. m may be nil.
func WorkerInterceptor(v Verifier, m *Metrics) interceptor.WorkerInterceptor {
	return &workerInterceptor{v: v, m: m}
}

type workerInterceptor struct {
	interceptor.WorkerInterceptorBase
	v Verifier
	m *Metrics
}

func (w *workerInterceptor) InterceptWorkflow(ctx workflow.Context, next interceptor.WorkflowInboundInterceptor) interceptor.WorkflowInboundInterceptor {
	i := &workflowInbound{w: w}
	i.Next = next
	return i
}

type workflowInbound struct {
	interceptor.WorkflowInboundInterceptorBase
	w *workerInterceptor
}

func (i *workflowInbound) ValidateUpdate(ctx workflow.Context, in *interceptor.UpdateInput) error {
	if err := i.check(ctx, in); err != nil {
		var e *Error
		if errors.As(err, &e) && i.w.m != nil {
			i.w.m.rejected.WithLabelValues(e.Reason).Inc()
		}
		info := workflow.GetInfo(ctx)
		workflow.GetLogger(ctx).Warn("update refused: decision envelope", "workflow_id", info.WorkflowExecution.ID,
			"update", in.Name, "err", err)
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrorType, nil)
	}
	return i.Next.ValidateUpdate(ctx, in)
}

func (i *workflowInbound) check(ctx workflow.Context, in *interceptor.UpdateInput) error {
	p := interceptor.WorkflowHeader(ctx)[HeaderKey]
	if p == nil {
		return &Error{ReasonUnsigned, "the update carries no decision envelope"}
	}
	var e Envelope
	if err := converter.GetDefaultDataConverter().FromPayload(p, &e); err != nil {
		return &Error{ReasonBadSignature, "the envelope does not decode"}
	}
	info := workflow.GetInfo(ctx)
	t := Target{WorkflowID: info.WorkflowExecution.ID, FirstRunID: info.FirstRunID, Update: in.Name, Args: in.Args}
	if u := workflow.GetCurrentUpdateInfo(ctx); u != nil {
		t.UpdateID = u.ID
	}
	return i.w.v.Verify(&e, t)
}
