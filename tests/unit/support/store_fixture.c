/* Store test fixtures (see store_fixture.h). */
#include "store_fixture.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "store/store_int.h"

char *gh_fixture_tempdir(void)
{
    const char *base = getenv("TMPDIR");
    if (!base || !*base)
        base = "/tmp";
    size_t n = strlen(base) + sizeof "/gatehouse-test-XXXXXX";
    char *path = gh_xmalloc(n);
    snprintf(path, n, "%s/gatehouse-test-XXXXXX", base);
    if (!mkdtemp(path)) {
        free(path);
        return NULL;
    }
    return path;
}

static int remove_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
    (void)sb;
    (void)type;
    (void)ftw;
    return remove(path);
}

bool gh_fixture_rmtree(const char *path)
{
    /* Depth first, without following symlinks out of the tree. */
    if (nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
        return false;
    return access(path, F_OK) != 0;
}

bool gh_fixture_db_init(struct gh_fixture_db *f)
{
    const char *env = getenv("GATEHOUSE_TEST_DB_URL");
    f->url = NULL;
    f->dir = NULL;
    if (env && *env) {
        f->url = gh_xstrdup(env);
        return true;
    }
    f->dir = gh_fixture_tempdir();
    if (!f->dir)
        return false;
    size_t n = strlen(f->dir) + sizeof "/gatehouse.db";
    f->url = gh_xmalloc(n);
    snprintf(f->url, n, "%s/gatehouse.db", f->dir);
    return true;
}

bool gh_fixture_db_external(const struct gh_fixture_db *f)
{
    return f->dir == NULL;
}

/* Children before parents, so the deletes never trip a foreign key. */
static const char empty_all_tables[] = "DELETE FROM audit_events;"
                                       "DELETE FROM outbox;"
                                       "DELETE FROM user_tokens;"
                                       "DELETE FROM sessions;"
                                       "DELETE FROM api_tokens;"
                                       "DELETE FROM revoked_jtis;"
                                       "DELETE FROM opaque_tokens;"
                                       "DELETE FROM signing_keys;"
                                       "DELETE FROM access_statuses;"
                                       "DELETE FROM subscription_events;"
                                       "DELETE FROM subscriptions;"
                                       "DELETE FROM certificates;"
                                       "DELETE FROM api_keys;"
                                       "DELETE FROM app_members;"
                                       "DELETE FROM apps;"
                                       "DELETE FROM plans;"
                                       "DELETE FROM apis;"
                                       "DELETE FROM memberships;"
                                       "DELETE FROM orgs;"
                                       "DELETE FROM users;";

static bool empty_store(struct gh_store *s, char *err, size_t errlen)
{
    struct gh_tx *tx;
    enum gh_store_rc rc = gh_store_begin(s, GH_TX_WRITE, &tx);
    if (rc != GH_STORE_OK) {
        snprintf(err, errlen, "cannot empty the test database: %s", gh_store_rc_name(rc));
        return false;
    }
    rc = s->drv->exec(tx->db, empty_all_tables);
    if (rc != GH_STORE_OK) {
        snprintf(err, errlen, "cannot empty the test database: %s", s->drv->errmsg(tx->db));
        gh_store_rollback(tx);
        return false;
    }
    rc = gh_store_commit(tx);
    if (rc != GH_STORE_OK) {
        snprintf(err, errlen, "cannot empty the test database: %s", gh_store_rc_name(rc));
        return false;
    }
    return true;
}

struct gh_store *gh_fixture_store_open(const struct gh_fixture_db *f,
                                       const struct gh_store_options *opt, char *err, size_t errlen)
{
    static const struct gh_store_options migrated = {.migrate = true};
    if (!opt)
        opt = &migrated;
    struct gh_store *s = gh_store_open(f->url, opt, err, errlen);
    if (s && gh_fixture_db_external(f) && opt->migrate && !empty_store(s, err, errlen)) {
        gh_store_close(s);
        return NULL;
    }
    return s;
}

void gh_fixture_db_done(struct gh_fixture_db *f)
{
    if (f->dir) {
        gh_fixture_rmtree(f->dir);
        free(f->dir);
    }
    free(f->url);
    f->url = NULL;
    f->dir = NULL;
}
