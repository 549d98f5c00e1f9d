package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/enrollplan/enrollplan/internal/store"
	"github.com/enrollplan/enrollplan/internal/store/storetest"
)

const urlEnv = "ENROLLPLAN_TEST_POSTGRES_URL"

// freshSchema creates an empty schema named enrollplan_test_<hex>, dropped
// when the test ends, and returns a pool configuration that uses it and its
// name.
func freshSchema(t *testing.T) (*pgxpool.Config, string) {
	t.Helper()
	dsn := os.Getenv(urlEnv)
	if dsn == "" {
		t.Skip("SKIPPING PostgreSQL store tests: set " + urlEnv +
			"=postgres://postgres@127.0.0.1:5432/test?sslmode=disable to run them")
	}
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect to %s: %v", urlEnv, err)
	}
	b := make([]byte, 8)
	rand.Read(b)
	schema := "enrollplan_test_" + hex.EncodeToString(b)
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop test schema %s: %v", schema, err)
		}
		admin.Close(context.Background())
	})
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	return cfg, schema
}

func openConfig(t *testing.T, cfg *pgxpool.Config) *DB {
	t.Helper()
	db, err := OpenConfig(context.Background(), cfg.Copy())
	if err != nil {
		t.Fatalf("OpenConfig: %v", err)
	}
	t.Cleanup(func() { db.Close() }) // runs before the schema is dropped
	return db
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		cfg, _ := freshSchema(t)
		return openConfig(t, cfg)
	})
}

func TestOpenURL(t *testing.T) {
	_, schema := freshSchema(t)
	// pgx passes unknown URL parameters on as run-time parameters.
	u, err := url.Parse(os.Getenv(urlEnv))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	db, err := Open(context.Background(), u.String())
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer db.Close()
	if err := db.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestConcurrentOpen: replicas starting together must not race to migrate.
func TestConcurrentOpen(t *testing.T) {
	cfg, _ := freshSchema(t)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() {
			db, err := OpenConfig(context.Background(), cfg.Copy())
			if err == nil {
				db.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Open %d: %v", i, err)
		}
	}
	db := openConfig(t, cfg)
	var n int
	if err := db.pool.QueryRow(context.Background(), `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("schema_migrations has %d rows, want 1", n)
	}
}

func TestRefusesNewerSchema(t *testing.T) {
	cfg, _ := freshSchema(t)
	db := openConfig(t, cfg)
	if _, err := db.pool.Exec(context.Background(), `INSERT INTO schema_migrations (version, applied_at) VALUES (999, now())`); err != nil {
		t.Fatal(err)
	}
	db.Close()

	db, err := OpenConfig(context.Background(), cfg.Copy())
	storetest.CheckNewerSchemaRefused(t, db, err)
}
