package tracking

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
)

// Most parameters one statement may bind: SQLite's SQLITE_MAX_VARIABLE_NUMBER (32766 since
// 3.32) and PostgreSQL's wire protocol limit (65535).
const (
	sqliteMaxArgs   = 32766
	postgresMaxArgs = 65535
)

// multiInsert builds one multi-row INSERT. A value repeated in a column is bound once and
// referred to by its number from the other rows, so that a batch whose rows share a matter,
// labels or reference needs about two parameters a row. On SQLite a first use is a plain
// "?", which takes the next number, and only repeats name a number ("?7"): the driver looks
// each parameter's name up in a list of the numbered ones, so that list is kept short.
type multiInsert struct {
	dialect string
	head    string
	sb      strings.Builder
	args    []any
	seen    map[shared]string
	rows    int
}

// maxShared caps the values one statement binds once, which bounds that list.
const maxShared = 64

// shared is a value bound once for a column.
type shared struct {
	column int
	value  string
}

func newMultiInsert(dia, table string, columns []string) *multiInsert {
	return &multiInsert{dialect: dia, head: "INSERT INTO " + quote(table) + " (" +
		quoteAll(columns) + ") VALUES "}
}

// maxArgs is the parameter limit of the database.
func (m *multiInsert) maxArgs() int {
	if m.dialect == dialect.Postgres {
		return postgresMaxArgs
	}
	return sqliteMaxArgs
}

// room says whether a row of up to n more parameters still fits in the statement.
func (m *multiInsert) room(n int) bool { return len(m.args)+n <= m.maxArgs() }

// arg binds v and returns its placeholder.
func (m *multiInsert) arg(v any) string {
	m.args = append(m.args, v)
	if m.dialect == dialect.Postgres {
		return "$" + strconv.Itoa(len(m.args))
	}
	return "?"
}

// once binds a string of a column once per statement and returns its placeholder for this
// use; call it again for each use. Encode, when not nil, turns the string into the value
// bound.
func (m *multiInsert) once(column int, s string, encode func(string) any) string {
	if m.seen == nil {
		m.seen = map[shared]string{}
	}
	k := shared{column, s}
	if p, ok := m.seen[k]; ok {
		return p
	}
	var v any = s
	if encode != nil {
		v = encode(s)
	}
	p := m.arg(v)
	if len(m.seen) < maxShared {
		if m.dialect == dialect.Postgres {
			m.seen[k] = p
		} else {
			m.seen[k] = "?" + strconv.Itoa(len(m.args))
		}
	}
	return p
}

// row appends a row of placeholders and literals.
func (m *multiInsert) row(values ...string) {
	if m.rows == 0 {
		m.sb.WriteString(m.head)
	} else {
		m.sb.WriteString(", ")
	}
	m.sb.WriteByte('(')
	m.sb.WriteString(strings.Join(values, ", "))
	m.sb.WriteByte(')')
	m.rows++
}

// query runs the statement with its tail (ON CONFLICT ..., RETURNING ...), scans the rows
// it returns into out, a pointer to a slice of ent entities, and starts a new statement.
func (m *multiInsert) query(ctx context.Context, tx *sql.Tx, tail string, out any) error {
	if m.rows == 0 {
		return nil
	}
	m.sb.WriteByte(' ')
	m.sb.WriteString(tail)
	rows, err := tx.QueryContext(ctx, m.sb.String(), m.args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	if err := entsql.ScanSlice(rows, out); err != nil {
		return fmt.Errorf("scan: %w", err)
	}
	m.sb.Reset()
	m.args, m.seen, m.rows = m.args[:0], nil, 0
	return rows.Close()
}

func quote(ident string) string { return `"` + ident + `"` }

func quoteAll(idents []string) string {
	q := make([]string, len(idents))
	for i, id := range idents {
		q[i] = quote(id)
	}
	return strings.Join(q, ", ")
}
