package workflows

import (
	"errors"
	"fmt"
	"strings"

	"go.temporal.io/sdk/temporal"
)

// Error kinds that validators and update handlers return, so the API maps
// them to HTTP statuses in one place: ErrInvalid 422 (with every bad
// field), ErrWrongState 409, ErrAuthority and ErrSelfApproval 403. They
// cross Temporal as application errors whose Type is the kind (see
// AppError), so the API switches on the type, never on message text.
var (
	ErrInvalid    = errors.New("invalid")
	ErrWrongState = errors.New("wrong state")
	// ErrCaseBlocked is every decision on a case while a change of the
	// workflow's own waits for its records to be repaired (see
	// rejections.go): not the caller's doing, and not the case's state.
	ErrCaseBlocked = errors.New("case blocked")
)

// Application error types: the kinds as they cross Temporal.
const (
	// ErrTypeInvalid carries the FieldErrors as its details.
	ErrTypeInvalid = "InvalidRequest"
	// ErrTypeWrongState is a decision the case's current state refuses.
	ErrTypeWrongState = "WrongState"
	// ErrTypeForbidden is a decision beyond the actor's authority.
	ErrTypeForbidden = "Forbidden"
	// ErrTypeStoreRejected is a change PostgreSQL refused for good (a data
	// exception or a constraint violation): retrying cannot make it
	// succeed. The workflow undoes the change it had made in its state.
	ErrTypeStoreRejected = "StoreRejected"
	// ErrTypeCaseBlocked is ErrCaseBlocked: the case refuses every decision
	// until an operator repairs what its records refused. A row that allows
	// the action is no reason to send the decision again (the API's
	// catch-up after a lost workflow task waits only on WrongState).
	ErrTypeCaseBlocked = "CaseBlocked"
)

// FieldError names one bad field of a request: the problem's stable code
// and parameters (see Problem) besides its English message.
type FieldError struct {
	Field   string         `json:"field"`
	Message string         `json:"message"`
	Code    string         `json:"code,omitempty"`
	Params  map[string]any `json:"params,omitempty"`
}

func (e FieldError) Error() string { return e.Field + ": " + e.Message }

// FieldErrors is every bad field of one request; it is ErrInvalid.
type FieldErrors []FieldError

func (e FieldErrors) Error() string {
	parts := make([]string, len(e))
	for i, f := range e {
		parts[i] = f.Error()
	}
	return ErrInvalid.Error() + ": " + strings.Join(parts, "; ")
}

// Unwrap makes errors.Is(err, ErrInvalid) and errors.As(err, &FieldError{})
// (the first bad field) hold.
func (e FieldErrors) Unwrap() []error {
	out := []error{ErrInvalid}
	for _, f := range e {
		out = append(out, f)
	}
	return out
}

// fieldErrs collects every bad field of a request.
type fieldErrs struct{ list FieldErrors }

// add records a bad field.
func (c *fieldErrs) add(field string, p Problem) {
	c.list = append(c.list, p.At(field))
}

// merge records the bad fields of err (nil adds nothing); an error that is
// not ErrInvalid is returned for the caller to handle.
func (c *fieldErrs) merge(err error) {
	var fe FieldErrors
	if errors.As(err, &fe) {
		c.list = append(c.list, fe...)
	}
}

// text checks an optional text field.
func (c *fieldErrs) text(field, v string, max int, kind TextKind) {
	if p, bad := TextProblem(v, max, kind); bad {
		c.add(field, p)
	}
}

// required checks a text field that must not be blank.
func (c *fieldErrs) required(field, v string, max int, kind TextKind) {
	if p, bad := RequiredTextProblem(v, max, kind); bad {
		c.add(field, p)
	}
}

// err is nil when no field was bad, else the FieldErrors.
func (c *fieldErrs) err() error {
	if len(c.list) == 0 {
		return nil
	}
	return c.list
}

// JoinFieldErrors is one FieldErrors with the bad fields of every error
// given (nil when there are none).
func JoinFieldErrors(errs ...error) error {
	var c fieldErrs
	for _, err := range errs {
		c.merge(err)
	}
	return c.err()
}

func invalid(field string, p Problem) error { return FieldErrors{p.At(field)} }

func wrongState(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrWrongState, fmt.Sprintf(format, args...))
}

// AppError turns an error of one of the kinds above into the application
// error that carries its kind across Temporal; other errors are returned
// unchanged. The message is the reason shown to the caller.
func AppError(err error) error {
	var fe FieldErrors
	var app *temporal.ApplicationError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &app):
		// Unwrapped: Temporal keeps an error's type only at the top.
		return app
	case errors.As(err, &fe):
		return temporal.NewApplicationErrorWithOptions(fe.Error(), ErrTypeInvalid,
			temporal.ApplicationErrorOptions{NonRetryable: true, Details: []any{[]FieldError(fe)}})
	case errors.Is(err, ErrWrongState):
		return temporal.NewApplicationErrorWithOptions(strings.TrimPrefix(err.Error(), ErrWrongState.Error()+": "), ErrTypeWrongState,
			temporal.ApplicationErrorOptions{NonRetryable: true})
	case errors.Is(err, ErrCaseBlocked):
		return temporal.NewApplicationErrorWithOptions(strings.TrimPrefix(err.Error(), ErrCaseBlocked.Error()+": "), ErrTypeCaseBlocked,
			temporal.ApplicationErrorOptions{NonRetryable: true})
	case errors.Is(err, ErrAuthority), errors.Is(err, ErrSelfApproval):
		return temporal.NewApplicationErrorWithOptions(err.Error(), ErrTypeForbidden, temporal.ApplicationErrorOptions{NonRetryable: true})
	}
	return err
}

// InvalidFields returns the bad fields an ErrTypeInvalid application error
// carries (nil for any other error).
func InvalidFields(err error) []FieldError {
	var app *temporal.ApplicationError
	if !errors.As(err, &app) || app.Type() != ErrTypeInvalid {
		return nil
	}
	var fs []FieldError
	if !app.HasDetails() || app.Details(&fs) != nil {
		return nil
	}
	return fs
}

// InvalidFieldsOf returns the bad fields of an ErrInvalid error made in
// this process (nil for any other error).
func InvalidFieldsOf(err error) []FieldError {
	var fe FieldErrors
	if errors.As(err, &fe) {
		return fe
	}
	return nil
}

// ErrorType is the kind of an application error (ErrType*), or "".
func ErrorType(err error) string {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return app.Type()
	}
	return ""
}
