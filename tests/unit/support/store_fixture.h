/* Test fixtures for the store: a fresh database per test.
 *
 * By default each test gets its own SQLite file in a new temporary directory,
 * removed with everything in it afterwards.  When GATEHOUSE_TEST_DB_URL is
 * set (e.g. postgres://… for the PostgreSQL backend) that database is used
 * instead and emptied before the test, so the same suite runs against every
 * backend. */
#ifndef GH_TEST_STORE_FIXTURE_H
#define GH_TEST_STORE_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>

#include "store/store.h"

/* A new empty directory under $TMPDIR (or /tmp); the caller frees the
 * returned path and removes the directory with gh_fixture_rmtree.  NULL if
 * the directory cannot be made. */
char *gh_fixture_tempdir(void);
/* Removes path and everything below it; true when nothing is left. */
bool gh_fixture_rmtree(const char *path);

struct gh_fixture_db {
    char *url; /* the store URL to open */
    char *dir; /* the temporary directory holding the SQLite file; NULL: external */
};

/* Prepares a database for one test: a temporary SQLite file, or the one
 * GATEHOUSE_TEST_DB_URL names, which is migrated and emptied here, so every
 * test starts from no rows.  False (with nothing to release, the reason on
 * stderr) on failure. */
bool gh_fixture_db_init(struct gh_fixture_db *f);
/* True when the test runs against GATEHOUSE_TEST_DB_URL. */
bool gh_fixture_db_external(const struct gh_fixture_db *f);
/* Opens the fixture's store with opt (NULL: defaults, migrations applied);
 * may be called several times (several processes on one database).  NULL
 * on failure with the reason in err. */
struct gh_store *gh_fixture_store_open(const struct gh_fixture_db *f,
                                       const struct gh_store_options *opt, char *err,
                                       size_t errlen);
/* Removes the temporary directory (not an external database) and frees f. */
void gh_fixture_db_done(struct gh_fixture_db *f);

#endif
