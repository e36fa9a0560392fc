package workflows

import (
	"errors"
	"strings"

	"github.com/complaint-handling/complaints/complaint"
	"go.temporal.io/sdk/temporal"
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

// AppError turns an error of one of the kinds above into the application
// error that carries its kind across Temporal; other errors are returned
// unchanged. The message is the reason shown to the caller.
func AppError(err error) error {
	var fe complaint.FieldErrors
	var app *temporal.ApplicationError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &app):
		// Unwrapped: Temporal keeps an error's type only at the top.
		return app
	case errors.As(err, &fe):
		return temporal.NewApplicationErrorWithOptions(fe.Error(), ErrTypeInvalid,
			temporal.ApplicationErrorOptions{NonRetryable: true, Details: []any{[]complaint.FieldError(fe)}})
	case errors.Is(err, complaint.ErrWrongState):
		return temporal.NewApplicationErrorWithOptions(strings.TrimPrefix(err.Error(), complaint.ErrWrongState.Error()+": "), ErrTypeWrongState,
			temporal.ApplicationErrorOptions{NonRetryable: true})
	case errors.Is(err, complaint.ErrCaseBlocked):
		return temporal.NewApplicationErrorWithOptions(strings.TrimPrefix(err.Error(), complaint.ErrCaseBlocked.Error()+": "), ErrTypeCaseBlocked,
			temporal.ApplicationErrorOptions{NonRetryable: true})
	case errors.Is(err, complaint.ErrAuthority), errors.Is(err, complaint.ErrSelfApproval):
		return temporal.NewApplicationErrorWithOptions(err.Error(), ErrTypeForbidden, temporal.ApplicationErrorOptions{NonRetryable: true})
	}
	return err
}

// InvalidFields returns the bad fields an ErrTypeInvalid application error
// carries (nil for any other error).
func InvalidFields(err error) []complaint.FieldError {
	var app *temporal.ApplicationError
	if !errors.As(err, &app) || app.Type() != ErrTypeInvalid {
		return nil
	}
	var fs []complaint.FieldError
	if !app.HasDetails() || app.Details(&fs) != nil {
		return nil
	}
	return fs
}

// ErrorType is the kind of an application error (ErrType*), or "".
func ErrorType(err error) string {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return app.Type()
	}
	return ""
}
