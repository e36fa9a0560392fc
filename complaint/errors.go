package complaint

import (
	"errors"
	"fmt"
	"strings"
)

// Error kinds that validators and update handlers return, so the API maps
// them to HTTP statuses in one place: ErrInvalid 422 (with every bad
// field), ErrWrongState 409, ErrCaseBlocked 503, ErrAuthority and
// ErrSelfApproval 403. They
// cross Temporal as application errors whose Type is the kind (see
// workflows.AppError), so the API switches on the type, never on message text.
var (
	ErrInvalid    = errors.New("invalid")
	ErrWrongState = errors.New("wrong state")
	// ErrCaseBlocked is every decision on a case while a change of the
	// workflow's own waits for its records to be repaired (see
	// workflows/rejections.go): not the caller's doing, and not the case's
	// state.
	ErrCaseBlocked = errors.New("case blocked")
)

// FieldError names one bad field of a request.
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

// Fields collects every bad field of a request, so a validator reports
// them all at once; its zero value is ready to use.
type Fields struct{ list FieldErrors }

// Add records a bad field.
func (c *Fields) Add(field string, p Problem) {
	c.list = append(c.list, p.At(field))
}

// Merge records the bad fields of err; nil, or an error that is not
// FieldErrors, adds nothing (the caller handles other errors).
func (c *Fields) Merge(err error) {
	var fe FieldErrors
	if errors.As(err, &fe) {
		c.list = append(c.list, fe...)
	}
}

// Text checks an optional text field (CheckText).
func (c *Fields) Text(field, v string, max int, kind TextKind) {
	if p, bad := TextProblem(v, max, kind); bad {
		c.Add(field, p)
	}
}

// Required checks a text field that must not be blank (CheckRequiredText).
func (c *Fields) Required(field, v string, max int, kind TextKind) {
	if p, bad := RequiredTextProblem(v, max, kind); bad {
		c.Add(field, p)
	}
}

// Err is nil when no field was bad, else the FieldErrors.
func (c *Fields) Err() error {
	if len(c.list) == 0 {
		return nil
	}
	return c.list
}

// JoinFieldErrors is one FieldErrors with the bad fields of every error
// given (nil when there are none).
func JoinFieldErrors(errs ...error) error {
	var c Fields
	for _, err := range errs {
		c.Merge(err)
	}
	return c.Err()
}

// Invalid is the ErrInvalid error of one bad field.
func Invalid(field string, p Problem) error { return FieldErrors{p.At(field)} }

// The package's own short names for the above, as the validators use them.
func (c *Fields) add(field string, p Problem) { c.Add(field, p) }
func (c *Fields) err() error                  { return c.Err() }
func invalid(field string, p Problem) error   { return Invalid(field, p) }

// WrongState is an ErrWrongState error: a request the case's current
// state refuses, with the reason formatted as by fmt.Sprintf.
func WrongState(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrWrongState, fmt.Sprintf(format, args...))
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
