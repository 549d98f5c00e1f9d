package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io/fs"
	"net/url"
	"os"
	"strconv"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/enrollplan/enrollplan/internal/store"
	"github.com/enrollplan/enrollplan/internal/store/storetest"
)

const urlEnv = "ENROLLPLAN_TEST_POSTGRES_URL"

// freshSchema creates an empty schema named enrollplan_test_<hex>, dropped
// when the test ends, and returns a pool configuration that uses it and its
// name.
func freshSchema(t testing.TB) (*pgxpool.Config, string) {
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

func openTest(t testing.TB, cfg *pgxpool.Config, opts ...store.Option) *DB {
	t.Helper()
	db, err := OpenConfig(context.Background(), cfg.Copy(), opts...)
	if err != nil {
		t.Fatalf("OpenConfig: %v", err)
	}
	t.Cleanup(func() { db.Close() }) // runs before the schema is dropped
	return db
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, opts ...store.Option) store.Store {
		cfg, _ := freshSchema(t)
		return openTest(t, cfg, opts...)
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
	db := openTest(t, cfg)
	var n int
	if err := db.pool.QueryRow(context.Background(), `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if want := knownMigrations(t); n != want {
		t.Errorf("schema_migrations has %d rows, want %d", n, want)
	}
}

func TestRefusesNewerSchema(t *testing.T) {
	cfg, _ := freshSchema(t)
	db := openTest(t, cfg)
	if _, err := db.pool.Exec(context.Background(), `INSERT INTO schema_migrations (version, applied_at) VALUES (999, now())`); err != nil {
		t.Fatal(err)
	}
	db.Close()

	db, err := OpenConfig(context.Background(), cfg.Copy())
	storetest.CheckNewerSchemaRefused(t, db, err, knownMigrations(t))
}

func BenchmarkCreatePlan(b *testing.B) {
	storetest.Bench(b, func(b *testing.B) store.Store {
		cfg, _ := freshSchema(b)
		groupCommit = os.Getenv("ENROLLPLAN_BENCH_GROUP") == "1" // to measure it; see groupCommit
		b.Cleanup(func() { groupCommit = false })
		if n, err := strconv.Atoi(os.Getenv("ENROLLPLAN_BENCH_POOL")); err == nil {
			cfg.MaxConns = int32(n) // to compare pool sizes; the default is max(4, NumCPU)
		}
		return openTest(b, cfg)
	})
}

// knownMigrations is the number of embedded migrations, the newest schema
// version.
func knownMigrations(t testing.TB) int {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil || len(names) == 0 {
		t.Fatalf("embedded migrations: %v, %d files", err, len(names))
	}
	return len(names)
}

// TestUpgradeFromV1: migration 2 erases plans revoked under version 1 and
// keeps everything else.
func TestUpgradeFromV1(t *testing.T) {
	cfg, _ := freshSchema(t)
	ctx := context.Background()
	data, err := fs.ReadFile(migrationFiles, "migrations/001_init.sql")
	if err != nil {
		t.Fatal(err)
	}
	old, err := openConfig(ctx, cfg.Copy(), fstest.MapFS{"migrations/001_init.sql": {Data: data}}, store.Configure())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := old.pool.Exec(ctx, storetest.V1Fixture(func(hex string) string { return `'\x` + hex + `'::bytea` })); err != nil {
		t.Fatal(err)
	}
	old.Close()

	db := openTest(t, cfg)
	storetest.CheckV1Upgrade(t, db, func(t *testing.T, query string) int {
		t.Helper()
		var n int
		if err := db.pool.QueryRow(ctx, query).Scan(&n); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		return n
	})
}

// TestProgressCrowdReplicas: a crowd of patches through two replicas;
// every acknowledged patch is seen by both and by a third opened after.
func TestProgressCrowdReplicas(t *testing.T) {
	cfg, _ := freshSchema(t)
	a, b := openTest(t, cfg), openTest(t, cfg)
	acks := storetest.PatchProgressCrowd(t, a, b)
	storetest.CheckProgressAcks(t, a, acks)
	storetest.CheckProgressAcks(t, b, acks)
	storetest.CheckProgressAcks(t, openTest(t, cfg), acks)
}

// TestProgressReplicas: two replicas each see the other's progress at
// once, whatever they read before.
func TestProgressReplicas(t *testing.T) {
	cfg, _ := freshSchema(t)
	storetest.CheckProgressReplicas(t, openTest(t, cfg), openTest(t, cfg))
}

func TestDraftCapLowered(t *testing.T) {
	cfg, _ := freshSchema(t)
	storetest.CheckDraftCapLowered(t, func(t *testing.T, opts ...store.Option) store.Store {
		return openTest(t, cfg, opts...)
	})
}
