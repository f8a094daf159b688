/* The numbered schema migrations, one list per backend.
 *
 * Element i of a list is migration i + 1.  Migrations are append-only: a
 * released one is never edited, a change is a new number.  Every backend's
 * list has the same length and each number means the same change, so
 * gh_store_schema_latest() is one number for the whole binary. */
#ifndef GH_STORE_SCHEMA_H
#define GH_STORE_SCHEMA_H

/* The latest schema version this binary knows. */
#define GH_SCHEMA_VERSION 2

extern const char *const gh_schema_sqlite[GH_SCHEMA_VERSION];
extern const char *const gh_schema_pg[GH_SCHEMA_VERSION];

/* The bookkeeping table every backend shares; created before migration 1. */
#define GH_SCHEMA_MIGRATIONS_DDL                                                                   \
    "CREATE TABLE IF NOT EXISTS schema_migrations ("                                               \
    " version BIGINT PRIMARY KEY,"                                                                 \
    " applied_at BIGINT NOT NULL)"

#endif
