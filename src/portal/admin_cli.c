/* `gatehouse platform-admin` (portal/admin_cli.h). */
#include "portal/admin_cli.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/arena.h"
#include "core/cli.h"
#include "domain/id.h"
#include "store/entities.h"
#include "store/store.h"

#define EXIT_USAGE 2
#define LIST_PAGE 100

static void usage(FILE *f)
{
    fprintf(f, "usage: gatehouse platform-admin grant EMAIL [--db PATH|URL]\n"
               "       gatehouse platform-admin revoke EMAIL [--db PATH|URL]\n"
               "       gatehouse platform-admin list [--db PATH|URL]\n\n"
               "Platform admins manage every organization, developer and app (the admin\n"
               "console at /console/, or the management API with their session).  grant\n"
               "needs an account whose email address is verified.\n");
}

/* The one-person change: grant (on true) or revoke, with its audit event. */
static int set_admin(struct gh_store *s, const char *cmd, const char *email, bool on)
{
    struct gh_arena *a = gh_arena_new(4096);
    char *lower = gh_arena_strdup(a, email);
    for (char *p = lower; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    struct gh_tx *tx;
    enum gh_store_rc rc = gh_store_begin(s, GH_TX_WRITE, &tx);
    if (rc != GH_STORE_OK) {
        fprintf(stderr, "%s: cannot begin a transaction (%s)\n", cmd, gh_store_rc_name(rc));
        gh_arena_free(a);
        return EXIT_FAILURE;
    }
    int status = EXIT_FAILURE;
    struct gh_user u;
    rc = gh_store_user_by_email(tx, lower, a, &u);
    if (rc == GH_STORE_NOT_FOUND) {
        fprintf(stderr, "%s: nobody has registered with %s\n", cmd, lower);
        goto done;
    }
    if (rc != GH_STORE_OK) {
        fprintf(stderr, "%s: cannot read the account: %s\n", cmd, gh_store_tx_error(tx));
        goto done;
    }
    if (u.platform_admin == on) {
        fprintf(stderr, "%s: %s (%s) %s a platform admin; nothing changed\n", cmd, u.email, u.id,
                on ? "is already" : "is not");
        status = EXIT_SUCCESS;
        goto done;
    }
    if (on && u.email_verified_at == 0) {
        fprintf(stderr,
                "%s: %s has not verified the address yet; a platform admin must have a verified "
                "address (the person follows the link in the verification mail first)\n",
                cmd, u.email);
        goto done;
    }
    int64_t now = (int64_t)time(NULL);
    u.platform_admin = on;
    u.updated_at = now;
    struct gh_audit_event ev = {
        .id = gh_id_new(a, GH_ID_AUDIT_EVENT),
        .at = now,
        .actor_kind = "cli",
        .action = on ? "user.platform_admin.grant" : "user.platform_admin.revoke",
        .object_type = "user",
        .object_id = u.id,
        .changes_json = on ? "{\"platform_admin\":true}" : "{\"platform_admin\":false}",
    };
    rc = gh_store_user_update(tx, &u);
    if (rc == GH_STORE_OK)
        rc = gh_store_audit_insert(tx, &ev);
    if (rc != GH_STORE_OK) {
        fprintf(stderr, "%s: cannot store the change: %s (%s)\n", cmd, gh_store_tx_error(tx),
                gh_store_rc_name(rc));
        goto done;
    }
    rc = gh_store_commit(tx);
    tx = NULL;
    if (rc != GH_STORE_OK) {
        fprintf(stderr, "%s: cannot commit the change (%s)\n", cmd, gh_store_rc_name(rc));
        goto done;
    }
    fprintf(stderr, "%s (%s) %s a platform admin\n", u.email, u.id, on ? "is now" : "is no longer");
    status = EXIT_SUCCESS;
done:
    if (tx)
        gh_store_rollback(tx);
    gh_arena_free(a);
    return status;
}

/* Prints every platform admin, page by page in one read transaction. */
static int list_admins(struct gh_store *s, const char *cmd)
{
    struct gh_tx *tx;
    enum gh_store_rc rc = gh_store_begin(s, GH_TX_READ, &tx);
    if (rc != GH_STORE_OK) {
        fprintf(stderr, "%s: cannot begin a transaction (%s)\n", cmd, gh_store_rc_name(rc));
        return EXIT_FAILURE;
    }
    struct gh_arena *a = gh_arena_new(16384);
    int found = 0;
    for (int64_t offset = 0;; offset += LIST_PAGE) {
        struct gh_page page = {offset, LIST_PAGE};
        struct gh_user *users;
        size_t n;
        gh_arena_reset(a);
        rc = gh_store_user_list(tx, &page, a, &users, &n);
        if (rc != GH_STORE_OK) {
            fprintf(stderr, "%s: cannot read the accounts: %s\n", cmd, gh_store_tx_error(tx));
            break;
        }
        for (size_t i = 0; i < n; i++) {
            if (!users[i].platform_admin)
                continue;
            printf("%s\t%s\t%s\n", users[i].email, users[i].name ? users[i].name : "", users[i].id);
            found++;
        }
        if (n < LIST_PAGE)
            break;
    }
    gh_store_rollback(tx);
    gh_arena_free(a);
    if (rc != GH_STORE_OK)
        return EXIT_FAILURE;
    fprintf(stderr, "%d platform admin%s\n", found, found == 1 ? "" : "s");
    return EXIT_SUCCESS;
}

int gh_cli_platform_admin(int argc, char **argv, const char *default_db)
{
    if (argc < 1 || strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0) {
        usage(argc < 1 ? stderr : stdout);
        return argc < 1 ? EXIT_USAGE : EXIT_SUCCESS;
    }
    const char *sub = argv[0];
    bool grant = strcmp(sub, "grant") == 0;
    bool revoke = strcmp(sub, "revoke") == 0;
    bool list = strcmp(sub, "list") == 0;
    if (!grant && !revoke && !list) {
        fprintf(stderr,
                "gatehouse platform-admin: unknown subcommand '%s' (grant, revoke or list; see "
                "gatehouse platform-admin --help)\n",
                sub);
        return EXIT_USAGE;
    }
    char cmd[64];
    snprintf(cmd, sizeof cmd, "gatehouse platform-admin %s", sub);
    const char *db = default_db;
    const struct gh_opt opts[] = {
        {"db", "GATEHOUSE_DB", "PATH|URL",
         "database: an SQLite file path or a postgres:// URL, as for gatehouse serve",
         GH_OPT_STRING, &db, 0, 0},
    };
    char *pos[1];
    size_t npos = 0;
    const char *synopsis = "gatehouse platform-admin list [--db PATH|URL]";
    const char *what = "Prints the platform admins: email, name and id, tab-separated.";
    if (grant) {
        synopsis = "gatehouse platform-admin grant EMAIL [--db PATH|URL]";
        what = "Makes the person with this (verified) email address a platform admin.";
    } else if (revoke) {
        synopsis = "gatehouse platform-admin revoke EMAIL [--db PATH|URL]";
        what = "Takes platform-admin rights from the person with this email address.";
    }
    enum gh_cli_result r = gh_cli_parse(cmd, synopsis, what, opts, sizeof opts / sizeof opts[0],
                                        argc - 1, argv + 1, pos, list ? 0 : 1, &npos);
    if (r != GH_CLI_OK)
        return r == GH_CLI_HELP ? EXIT_SUCCESS : EXIT_USAGE;
    if (!list && npos != 1) {
        fprintf(stderr, "%s: expected one EMAIL (see %s --help)\n", cmd, cmd);
        return EXIT_USAGE;
    }
    char err[512];
    struct gh_store *s =
        gh_store_open(db, &(struct gh_store_options){.migrate = true}, err, sizeof err);
    if (!s) {
        fprintf(stderr, "%s: %s\n", cmd, err);
        return EXIT_FAILURE;
    }
    int status = list ? list_admins(s, cmd) : set_admin(s, cmd, pos[0], grant);
    gh_store_close(s);
    return status;
}
