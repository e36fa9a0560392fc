// Package complaint is the domain of customer complaints, free of Temporal,
// SQL and HTTP: the case and its statuses, the requests staff and
// customers make and their validation (intake's included), remedy kinds,
// channels, classification, the authority matrix and incident decisions,
// currencies, regions, the text checks, the clock rules a case applies,
// the tracking and survey tokens, and the error kinds every layer maps
// (ErrInvalid with its FieldErrors, ErrWrongState, ErrAuthority,
// ErrSelfApproval).
//
// The workflow (package workflows) runs a case under these rules, the
// store (internal/store) records it and the API (apiserver) checks
// requests with them before a workflow sees them; none of those is
// imported here, and a test (imports_test.go) keeps it so.
package complaint
