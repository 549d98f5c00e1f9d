package sqlcore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

// Migrations describes a driver's schema history.
type Migrations struct {
	// FS holds the migrations in its directory "migrations", named
	// NNN_description.sql with versions 1, 2, 3… and no gaps; a file may
	// hold several statements.
	FS fs.FS
	// Lock, if not empty, runs first in every migration transaction. It
	// serializes replicas that start at the same time (PostgreSQL); SQLite
	// needs none because its write transactions are already exclusive.
	Lock string
	// TimeType is the column type of schema_migrations.applied_at.
	TimeType string
}

type migration struct {
	version int
	name    string
	sql     string
}

// Migrate applies the migrations the database lacks, in order, each in its
// own transaction together with its schema_migrations row, so a crash leaves
// the schema at some whole version. It refuses a database whose schema is
// newer than the newest migration known here: running old code against it
// could corrupt data it does not understand.
func Migrate(ctx context.Context, b Backend, m Migrations) error {
	list, err := loadMigrations(m.FS)
	if err != nil {
		return err
	}
	known := len(list)
	for {
		done := false
		var applied migration
		err := b.WriteTx(ctx, func(q Querier) error {
			if m.Lock != "" {
				if _, err := q.Exec(ctx, m.Lock); err != nil {
					return fmt.Errorf("lock: %w", err)
				}
			}
			if _, err := q.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
				version integer PRIMARY KEY,
				applied_at `+m.TimeType+` NOT NULL)`); err != nil {
				return err
			}
			var current int
			if err := q.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
				return err
			}
			if current > known {
				return &tooNewError{current: current, known: known}
			}
			if current == known {
				done = true
				return nil
			}
			applied = list[current] // versions are 1..known, so list[v-1] is version v
			if _, err := q.Exec(ctx, applied.sql); err != nil {
				return fmt.Errorf("apply %s: %w", applied.name, err)
			}
			_, err := q.Exec(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)`, applied.version, now())
			return err
		})
		var tooNew *tooNewError
		if errors.As(err, &tooNew) {
			return tooNew // already worded for an operator
		}
		if err != nil {
			return fmt.Errorf("store: migrate database schema: %w", err)
		}
		if done {
			return nil
		}
	}
}

// tooNewError is the refusal to run against a newer schema.
type tooNewError struct{ current, known int }

func (e *tooNewError) Error() string {
	return fmt.Sprintf("store: database schema is version %d but this enrollplan knows only up to %d; "+
		"upgrade enrollplan or point --db at another database", e.current, e.known)
}

// loadMigrations reads and checks the migration files: a malformed set is a
// bug in this binary and must not half-apply.
func loadMigrations(fsys fs.FS) ([]migration, error) {
	names, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return nil, fmt.Errorf("store: list migrations: %w", err)
	}
	list := make([]migration, 0, len(names))
	for _, name := range names {
		prefix, _, ok := strings.Cut(path.Base(name), "_")
		v, err := strconv.Atoi(prefix)
		if !ok || err != nil || v < 1 {
			return nil, fmt.Errorf("store: migration %s: name must be NNN_description.sql", name)
		}
		text, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("store: read migration %s: %w", name, err)
		}
		list = append(list, migration{version: v, name: name, sql: string(text)})
	}
	sort.Slice(list, func(i, j int) bool { return list[i].version < list[j].version })
	for i, m := range list {
		if m.version != i+1 {
			return nil, fmt.Errorf("store: migration %s: expected version %d (versions must run 1, 2, 3… without gaps or repeats)", m.name, i+1)
		}
	}
	if len(list) == 0 {
		return nil, errors.New("store: no migrations found")
	}
	return list, nil
}
