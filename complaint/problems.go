package complaint

import (
	"errors"
	"fmt"
	"strings"
)

// Problem is what is wrong with one value of a request: a stable machine
// code, the code's parameters and the message in English. Clients show the
// message in their reader's language from the code and parameters (the
// pages' translations are the keys problem.<code> of apiserver/web/i18n),
// and the English Message for a code they do not know. A Problem is an
// error, so a check of one value (ParseAmount) returns it as one.
type Problem struct {
	Code    string
	Params  map[string]any
	Message string
	// kind is the error kind the problem is (ErrCurrency), if any.
	kind error
}

func (p Problem) Error() string { return p.Message }

// Unwrap makes errors.Is(p, kind) hold for the kind it was made with.
func (p Problem) Unwrap() error { return p.kind }

// At is the problem as the field error of field.
func (p Problem) At(field string) FieldError {
	return FieldError{Field: field, Message: p.Message, Code: p.Code, Params: p.Params}
}

// Prefixed is the problem with its English message after prefix (the code
// and parameters stay).
func (p Problem) Prefixed(prefix string) Problem {
	p.Message = prefix + p.Message
	return p
}

// Problem codes: every code a request's field error may carry. Each is in
// ErrorCodes with its parameters, and the pages translate each (a test
// checks both).
const (
	CodeRequired             = "required"
	CodeTooLong              = "too_long"
	CodeInvalidEncoding      = "invalid_encoding"
	CodeReplacementCharacter = "replacement_character"
	CodeControlCharacter     = "control_character"
	CodeLineBreak            = "line_break"
	CodeNoncharacter         = "noncharacter"
	CodeOneOf                = "one_of"
	CodeOutOfRange           = "out_of_range"
	CodeNotANumber           = "not_a_number"
	CodeNegative             = "negative"
	CodeTooLarge             = "too_large"
	CodeTooMany              = "too_many"
	CodeNotACurrency         = "not_a_currency"
	CodeTooManyDecimals      = "too_many_decimals"
	CodeCurrencyNotAccepted  = "currency_not_accepted"
	CodeMixedCurrencies      = "mixed_currencies"
	CodeBeyondEveryLimit     = "beyond_every_limit"
	CodeAmountRequired       = "amount_required"
	CodeAmountNotAllowed     = "amount_not_allowed"
	CodeRemedyOrRefusal      = "remedy_or_refusal"
	CodeRefusalWithRemedies  = "refusal_with_remedies"
	CodeReasonRequired       = "reason_required"
	CodeMustRefineCause      = "must_refine_cause"
	CodeUnknownRemedy        = "unknown_remedy"
	CodeNoSuchClock          = "no_such_clock"
	CodeAssigneeOrTeam       = "assignee_or_team"
	CodeAlreadyAssigned      = "already_assigned"
	CodeNotAHandler          = "not_a_handler"
	CodeUnknownTeam          = "unknown_team"
	CodeContactRequired      = "contact_required"
	CodeInvalidEmail         = "invalid_email"
	CodeInvalidPhone         = "invalid_phone"
	CodeUnknownProfile       = "unknown_profile"
	CodeStaffOnly            = "staff_only"
	CodeInFuture             = "in_future"
	CodeTooOld               = "too_old"
	CodeNotABoolean          = "not_a_boolean"
	CodeNotATime             = "not_a_time"
	CodeNotADate             = "not_a_date"
	CodeNotAMonth            = "not_a_month"
	CodeNotAfter             = "not_after"
	CodeInvalidCursor        = "invalid_cursor"
	CodeUnknownTimeZone      = "unknown_time_zone"
	CodeDuplicate            = "duplicate"
	CodeGroupOnly            = "group_only"
	CodeUnknownParameter     = "unknown_parameter"
	CodeUnknownField         = "unknown_field"
	CodeWrongType            = "wrong_type"
	CodePathMismatch         = "path_mismatch"
	CodeInvalidCalendar      = "invalid_calendar"
	CodeInvalid              = "invalid"
	CodeUnknownVariable      = "unknown_variable"
	CodeMalformedVariable    = "malformed_variable"
	CodeNotSupervisor        = "not_supervisor"
	CodeScriptNotApproved    = "script_not_approved"
	CodeWebhookNotAllowed    = "webhook_not_allowed"
	CodeSecretNotUsed        = "secret_not_used"
	CodeStaffRequired        = "staff_required"
	CodeOutsideOnly          = "outside_only"
	CodeCallbackRequired     = "callback_required"
	CodeCallbackNotAllowed   = "callback_not_allowed"
	CodeInPast               = "in_past"
	CodeSameCase             = "same_case"
	// Taxonomy edits (/v1/taxonomy).
	CodeInvalidCode     = "invalid_code"
	CodeUnknownCategory = "unknown_category"
	CodeBuiltinCategory = "builtin_category"
)

// ErrorCode is one problem code and the names of the parameters it
// carries (every one, always).
type ErrorCode struct {
	Code   string   `json:"code"`
	Params []string `json:"params,omitempty"`
}

// ErrorCodes returns every problem code with its parameters: what the
// pages must translate.
func ErrorCodes() []ErrorCode {
	return []ErrorCode{
		{CodeRequired, nil},
		{CodeTooLong, []string{"max"}},
		{CodeInvalidEncoding, nil},
		{CodeReplacementCharacter, nil},
		{CodeControlCharacter, []string{"char"}},
		{CodeLineBreak, []string{"char"}},
		{CodeNoncharacter, []string{"char"}},
		{CodeOneOf, []string{"allowed"}},
		{CodeOutOfRange, []string{"min", "max"}},
		{CodeNotANumber, nil},
		{CodeNegative, nil},
		{CodeTooLarge, nil},
		{CodeTooMany, []string{"max"}},
		{CodeNotACurrency, nil},
		{CodeTooManyDecimals, []string{"currency", "decimals"}},
		{CodeCurrencyNotAccepted, []string{"currency", "allowed"}},
		{CodeMixedCurrencies, []string{"currencies"}},
		{CodeBeyondEveryLimit, []string{"total"}},
		{CodeAmountRequired, []string{"remedy"}},
		{CodeAmountNotAllowed, []string{"remedy"}},
		{CodeRemedyOrRefusal, nil},
		{CodeRefusalWithRemedies, nil},
		{CodeReasonRequired, nil},
		{CodeMustRefineCause, nil},
		{CodeUnknownRemedy, nil},
		{CodeNoSuchClock, []string{"clock"}},
		{CodeAssigneeOrTeam, nil},
		{CodeAlreadyAssigned, []string{"assignee"}},
		{CodeNotAHandler, nil},
		{CodeUnknownTeam, nil},
		{CodeContactRequired, nil},
		{CodeInvalidEmail, nil},
		{CodeInvalidPhone, nil},
		{CodeUnknownProfile, nil},
		{CodeStaffOnly, nil},
		{CodeInFuture, nil},
		{CodeTooOld, nil},
		{CodeNotABoolean, nil},
		{CodeNotATime, nil},
		{CodeNotADate, nil},
		{CodeNotAMonth, nil},
		{CodeNotAfter, []string{"other"}},
		{CodeInvalidCursor, nil},
		{CodeUnknownTimeZone, nil},
		{CodeDuplicate, []string{"value"}},
		{CodeGroupOnly, nil},
		{CodeUnknownParameter, nil},
		{CodeUnknownField, nil},
		{CodeWrongType, []string{"type"}},
		{CodePathMismatch, nil},
		{CodeInvalidCalendar, nil},
		{CodeInvalid, nil},
		{CodeUnknownVariable, []string{"name", "allowed"}},
		{CodeMalformedVariable, []string{"at"}},
		{CodeNotSupervisor, nil},
		{CodeScriptNotApproved, nil},
		{CodeWebhookNotAllowed, []string{"hosts"}},
		{CodeSecretNotUsed, nil},
		{CodeFileTypeNotAllowed, []string{"type"}},
		{CodeFileTooLarge, []string{"max_bytes"}},
		{CodeCaseFilesTooLarge, []string{"max_bytes"}},
		{CodeFileEmpty, nil},
		{CodeFileInfected, nil},
		{CodeStaffRequired, nil},
		{CodeOutsideOnly, nil},
		{CodeCallbackRequired, nil},
		{CodeCallbackNotAllowed, nil},
		{CodeInPast, nil},
		{CodeSameCase, nil},
		{CodeInvalidCode, nil},
		{CodeUnknownCategory, nil},
		{CodeBuiltinCategory, nil},
	}
}

// NewProblem is a problem with code, its English message, and its
// parameters as name, value pairs (every parameter ErrorCodes names for
// the code).
func NewProblem(code, message string, params ...any) Problem {
	p := Problem{Code: code, Message: message}
	for i := 0; i+1 < len(params); i += 2 {
		if p.Params == nil {
			p.Params = map[string]any{}
		}
		p.Params[params[i].(string)] = params[i+1]
	}
	return p
}

// Required is a blank field that must have a value.
func Required() Problem { return NewProblem(CodeRequired, "is required") }

// RequiredBecause is Required with the reason in the English message.
func RequiredBecause(why string) Problem { return NewProblem(CodeRequired, "is required"+why) }

// TooLong is text over max characters.
func TooLong(max int) Problem {
	return NewProblem(CodeTooLong, fmt.Sprintf("must be at most %d characters", max), "max", max)
}

// OneOf is a value not among allowed: "must be one of a, b, c".
func OneOf(allowed ...string) Problem {
	return OneOfSaying("must be one of "+strings.Join(allowed, ", "), allowed...)
}

// OneOfSaying is OneOf with its own English message.
func OneOfSaying(message string, allowed ...string) Problem {
	return NewProblem(CodeOneOf, message, "allowed", strings.Join(allowed, ", "))
}

// OutOfRange is a number outside min to max.
func OutOfRange(min, max int) Problem {
	return NewProblem(CodeOutOfRange, fmt.Sprintf("must be from %d to %d", min, max), "min", min, "max", max)
}

// ReasonRequired is a decision that must say why, with the English
// message given.
func ReasonRequired(message string) Problem { return NewProblem(CodeReasonRequired, message) }

// ProblemOf is err as a problem: itself if it is one, else the code
// CodeCurrencyNotAccepted for ErrCurrency and CodeInvalid for anything
// else, with err's text as the English message.
func ProblemOf(err error) Problem {
	var p Problem
	switch {
	case errors.As(err, &p):
		return p
	case errors.Is(err, ErrCurrency):
		return NewProblem(CodeCurrencyNotAccepted, err.Error())
	}
	return NewProblem(CodeInvalid, err.Error())
}
