package store

import (
	"errors"

	"github.com/jackc/pgx/v5/pgconn"
)

// Rejected reports whether PostgreSQL refused a statement for good, and
// with which SQLSTATE: a data exception (class 22: a NUL byte in text, a
// value out of range, invalid JSON...), an integrity constraint violation
// (class 23) or a syntax error or access rule violation (class 42: an
// undefined column or table, a missing privilege). Retrying such a
// statement cannot make it succeed. Anything else (a lost connection, a
// serialization failure, a server shutting down, too many connections) is
// transient and worth retrying.
//
// The store's own idempotent inserts handle the unique violation they
// expect (ON CONFLICT, or InsertCase's duplicate), so one that reaches a
// caller is a real conflict and is refused too.
func Rejected(err error) (sqlstate string, ok bool) {
	var pg *pgconn.PgError
	if !errors.As(err, &pg) || len(pg.Code) != 5 {
		return "", false
	}
	switch pg.Code[:2] {
	case "22", "23", "42":
		return pg.Code, true
	}
	return "", false
}
