package postgres_test

import (
	"context"
	"log"
	"log/slog"
	"os"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/storage/postgres"
)

// Open a store on an existing pool and hand it to the Admin. The pool stays
// the caller's to close. (This example needs a database, so it is compiled
// but not run by go test.)
func Example() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	store, err := postgres.New(ctx, pool, &postgres.Options{
		Logger: slog.New(slog.NewTextHandler(os.Stderr, nil)),
	})
	if err != nil {
		log.Fatal(err)
	}
	a, err := admin.New(admin.WithStorage(store))
	if err != nil {
		log.Fatal(err)
	}
	defer a.Close()
}

// Run migrations as a separate deployment step, then start the servers with
// SkipMigrate so that they only check the schema.
func ExampleMigrate() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	if err := postgres.Migrate(ctx, pool); err != nil {
		log.Fatal(err)
	}
	store, err := postgres.New(ctx, pool, &postgres.Options{SkipMigrate: true})
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
}
