/* Mail delivery against a real temporary SQLite store and directory, with
 * an injected clock: a committed mail appears as its file, byte for byte,
 * right after a nudge; a rolled-back one never does; mail pending before
 * start goes out at start; stop delivers what is due; a directory that
 * cannot be written records the failed attempt, retries after the delay
 * and gives up after the last attempt; the delay is the doubled base
 * moved at random by up to a quarter either way, within [1 s, the cap]
 * (checked over many draws); start refuses an unusable path.
 * With an SMTP URL, a server that cannot be reached is a failed attempt
 * with curl's account as last error, retried and finally failed, and no
 * mail directory is made; start refuses a URL that is not smtp:// or
 * smtps:// and a missing sender. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <pthread.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../support/store_fixture.h"
#include "core/arena.h"
#include "core/log.h"
#include "portal/mail.h"
#include "portal/mailer.h"

#define NOV23 1795449909 /* 2026-11-23T16:05:09Z */
#define STAMP "20261123T160509Z"
#define WAIT_MS 10000

struct env {
    struct gh_fixture_db db;
    struct gh_store *store;
    struct gh_arena *a;
    char *tmp;      /* removed afterwards */
    char *mail_dir; /* tmp/spool/mail: made by the mailer */
    int64_t now;    /* the injected clock */
    struct gh_mailer *mailer;
};

static int64_t test_clock(void *ctx)
{
    return __atomic_load_n((int64_t *)ctx, __ATOMIC_SEQ_CST);
}

static void set_clock(struct env *e, int64_t t)
{
    __atomic_store_n(&e->now, t, __ATOMIC_SEQ_CST);
}

static int setup(void **state)
{
    struct env *e = calloc(1, sizeof *e);
    char err[256];
    gh_log_set_level(GH_LOG_OFF);
    if (!gh_fixture_db_init(&e->db))
        return -1;
    e->store = gh_fixture_store_open(&e->db, NULL, err, sizeof err);
    if (!e->store) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    e->a = gh_arena_new(4096);
    e->tmp = gh_fixture_tempdir();
    if (!e->tmp)
        return -1;
    e->mail_dir = gh_arena_printf(e->a, "%s/spool/mail", e->tmp);
    e->now = NOV23;
    *state = e;
    return 0;
}

static int teardown(void **state)
{
    struct env *e = *state;
    gh_mailer_stop(e->mailer);
    gh_store_close(e->store);
    gh_fixture_db_done(&e->db);
    gh_fixture_rmtree(e->tmp);
    free(e->tmp);
    gh_arena_free(e->a);
    free(e);
    gh_log_set_level(GH_LOG_INFO);
    return 0;
}

/* Starts the mailer with these retry settings (0: the defaults); a long
 * poll interval, so only start, nudges and stop make it deliver. */
static void start_retrying(struct env *e, int max_attempts, int64_t base, int64_t max)
{
    struct gh_mailer_config cfg = {
        .mail_dir = e->mail_dir,
        .poll_interval_ms = 60000,
        .max_attempts = max_attempts,
        .retry_base_secs = base,
        .retry_max_secs = max,
        .clock = test_clock,
        .clock_ctx = &e->now,
    };
    char err[256] = "";
    e->mailer = gh_mailer_start(e->store, &cfg, err, sizeof err);
    assert_non_null(e->mailer);
    assert_string_equal(err, "");
}

static void start(struct env *e, int max_attempts)
{
    start_retrying(e, max_attempts, 30, 0);
}

/* Queues a mail to `to` in a write transaction, committed or rolled back;
 * the id through *id. */
static char *enqueue(struct env *e, const char *to, bool commit)
{
    struct gh_mail m = {
        .from = "noreply@gatehouse.test",
        .from_name = "gatehouse",
        .to = to,
        .subject = "Verify your email address",
        .text = "Open https://portal.test/verify?token=ghvt_abc within a day.\n",
    };
    struct gh_tx *tx;
    assert_int_equal(gh_store_begin(e->store, GH_TX_WRITE, &tx), GH_STORE_OK);
    char *id = NULL;
    assert_true(gh_mail_enqueue(tx, e->a, &m, "user.verify_email", NOV23, &id));
    if (commit)
        assert_int_equal(gh_store_commit(tx), GH_STORE_OK);
    else
        gh_store_rollback(tx);
    return id;
}

static struct gh_outbox_msg row(struct env *e, const char *id)
{
    struct gh_tx *tx;
    struct gh_outbox_msg m;
    assert_int_equal(gh_store_begin(e->store, GH_TX_READ, &tx), GH_STORE_OK);
    assert_int_equal(gh_store_outbox_get(tx, id, e->a, &m), GH_STORE_OK);
    gh_store_rollback(tx);
    return m;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static char *file_path(struct env *e, const char *id)
{
    return gh_arena_printf(e->a, "%s/" STAMP "-%s.eml", e->mail_dir, id);
}

/* The file's content once it exists (NULL after WAIT_MS). */
static char *wait_for_file(struct env *e, const char *path)
{
    for (int waited = 0; waited < WAIT_MS; waited += 5) {
        FILE *f = fopen(path, "rb");
        if (f) {
            char *buf = gh_arena_alloc(e->a, 1 << 16);
            size_t n = fread(buf, 1, (1 << 16) - 1, f);
            fclose(f);
            buf[n] = '\0';
            return buf;
        }
        sleep_ms(5);
    }
    return NULL;
}

static struct gh_outbox_msg wait_for_attempts(struct env *e, const char *id, int attempts)
{
    struct gh_outbox_msg m = row(e, id);
    for (int waited = 0; m.attempts < attempts && waited < WAIT_MS; waited += 5) {
        sleep_ms(5);
        m = row(e, id);
    }
    return m;
}

/* Names in dir (dot-files included), counted. */
static int entries(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
            n++;
    }
    closedir(d);
    return n;
}

static void test_delivered_on_nudge(void **state)
{
    struct env *e = *state;
    start(e, 0);
    struct stat st;
    assert_int_equal(stat(e->mail_dir, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(st.st_mode & 0777, 0700);

    set_clock(e, NOV23 + 7);
    char *id = enqueue(e, "ann@partner.test", true);
    gh_mailer_nudge(e->mailer);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    char *content = wait_for_file(e, file_path(e, id));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_non_null(content);
    /* long before the 60 s poll */
    assert_true(t1.tv_sec - t0.tv_sec < 5);
    /* the file is renamed into place before the row is marked sent */
    struct gh_outbox_msg m = wait_for_attempts(e, id, 1);
    assert_string_equal(content, m.body);
    assert_non_null(strstr(content, "\r\nTo: <ann@partner.test>\r\n"));
    assert_int_equal(m.state, GH_OUTBOX_SENT);
    assert_int_equal(m.sent_at, NOV23 + 7);
    assert_int_equal(m.attempts, 1);
    assert_int_equal(stat(file_path(e, id), &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    /* the file alone: no temporary file left behind */
    assert_int_equal(entries(e->mail_dir), 1);
}

static void test_rollback_sends_nothing(void **state)
{
    struct env *e = *state;
    start(e, 0);
    char *gone = enqueue(e, "ghost@partner.test", false);
    gh_mailer_nudge(e->mailer);
    char *kept = enqueue(e, "ann@partner.test", true);
    gh_mailer_nudge(e->mailer);
    assert_non_null(wait_for_file(e, file_path(e, kept)));
    gh_mailer_stop(e->mailer);
    e->mailer = NULL;
    assert_int_equal(access(file_path(e, gone), F_OK), -1);
    assert_int_equal(entries(e->mail_dir), 1);
}

static void test_pending_at_start_delivered(void **state)
{
    struct env *e = *state;
    /* committed while no mailer ran (a crash before delivery) */
    char *a = enqueue(e, "ann@partner.test", true);
    char *b = enqueue(e, "bob@partner.test", true);
    start(e, 0);
    assert_non_null(wait_for_file(e, file_path(e, a)));
    assert_non_null(wait_for_file(e, file_path(e, b)));
    assert_int_equal(wait_for_attempts(e, b, 1).state, GH_OUTBOX_SENT);
}

static void test_stop_delivers_due(void **state)
{
    struct env *e = *state;
    start(e, 0);
    char *first = enqueue(e, "first@partner.test", true);
    gh_mailer_nudge(e->mailer);
    assert_non_null(wait_for_file(e, file_path(e, first)));
    char *id = enqueue(e, "ann@partner.test", true);
    /* no nudge: the 60 s poll is far away, stop must deliver it */
    gh_mailer_stop(e->mailer);
    e->mailer = NULL;
    assert_int_equal(access(file_path(e, id), F_OK), 0);
    assert_int_equal(row(e, id).state, GH_OUTBOX_SENT);
}

/* Puts a regular file where the mail directory was: writing fails. */
static void break_dir(struct env *e)
{
    assert_true(gh_fixture_rmtree(e->mail_dir));
    FILE *f = fopen(e->mail_dir, "w");
    assert_non_null(f);
    fclose(f);
}

static void repair_dir(struct env *e)
{
    assert_int_equal(unlink(e->mail_dir), 0);
    assert_int_equal(mkdir(e->mail_dir, 0700), 0);
}

static char *read_file(struct env *e, const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = gh_arena_alloc(e->a, 1 << 16);
    size_t n = fread(buf, 1, (1 << 16) - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

static void test_failed_write_retried(void **state)
{
    struct env *e = *state;
    char *log_path = gh_arena_printf(e->a, "%s/log", e->tmp);
    FILE *log = fopen(log_path, "w");
    assert_non_null(log);
    gh_log_set_fd(fileno(log));
    gh_log_set_level(GH_LOG_INFO);
    start(e, 3);
    break_dir(e);
    char *id = enqueue(e, "ann@partner.test", true);
    gh_mailer_nudge(e->mailer);
    struct gh_outbox_msg m = wait_for_attempts(e, id, 1);
    assert_int_equal(m.attempts, 1);
    assert_int_equal(m.state, GH_OUTBOX_PENDING);
    assert_non_null(m.last_error);
    assert_non_null(strstr(m.last_error, "open "));
    assert_null(strstr(m.last_error, "ghvt_abc")); /* never the body */
    /* 30 s, jittered by up to a quarter (7 s) */
    assert_in_range(m.next_attempt_at, NOV23 + 23, NOV23 + 37);
    int64_t due = m.next_attempt_at;

    /* not due yet: a nudge does not retry */
    repair_dir(e);
    set_clock(e, due - 1);
    gh_mailer_nudge(e->mailer);
    sleep_ms(200);
    assert_int_equal(row(e, id).attempts, 1);
    assert_int_equal(entries(e->mail_dir), 0);

    /* due: delivered on the next round */
    set_clock(e, due);
    gh_mailer_nudge(e->mailer);
    char *content = wait_for_file(e, file_path(e, id));
    assert_non_null(content);
    m = wait_for_attempts(e, id, 2);
    assert_string_equal(content, m.body);
    assert_int_equal(m.state, GH_OUTBOX_SENT);
    assert_int_equal(m.attempts, 2);
    assert_null(m.last_error);

    /* the log names the message and the failure, never the recipient or body */
    gh_mailer_stop(e->mailer);
    e->mailer = NULL;
    gh_log_set_fd(-1);
    fclose(log);
    char *lines = read_file(e, log_path);
    assert_non_null(strstr(lines, "\"msg\":\"mail.attempt_failed\""));
    assert_non_null(strstr(lines, "\"msg\":\"mail.sent\""));
    assert_non_null(strstr(lines, "\"transport\":\"file\""));
    assert_non_null(strstr(lines, id));
    assert_null(strstr(lines, "ghvt_abc"));
    assert_null(strstr(lines, "ann@partner.test"));
}

static void test_final_failure(void **state)
{
    struct env *e = *state;
    start(e, 3);
    break_dir(e);
    char *id = enqueue(e, "ann@partner.test", true);
    gh_mailer_nudge(e->mailer);
    struct gh_outbox_msg m = wait_for_attempts(e, id, 1);
    assert_in_range(m.next_attempt_at, NOV23 + 23, NOV23 + 37);
    int64_t t = m.next_attempt_at;
    set_clock(e, t);
    gh_mailer_nudge(e->mailer);
    m = wait_for_attempts(e, id, 2);
    assert_int_equal(m.state, GH_OUTBOX_PENDING);
    assert_in_range(m.next_attempt_at, t + 45, t + 75); /* doubled: 60 s, +-15 s */
    set_clock(e, m.next_attempt_at);
    gh_mailer_nudge(e->mailer);
    m = wait_for_attempts(e, id, 3);
    assert_int_equal(m.attempts, 3);
    assert_int_equal(m.state, GH_OUTBOX_FAILED);
    assert_non_null(m.last_error);

    /* given up: even a working directory later gets nothing */
    repair_dir(e);
    set_clock(e, NOV23 + 100000);
    gh_mailer_nudge(e->mailer);
    gh_mailer_stop(e->mailer);
    e->mailer = NULL;
    assert_int_equal(entries(e->mail_dir), 0);
    assert_int_equal(row(e, id).attempts, 3);
}

#define DRAWS 150

/* Queues DRAWS mails in one transaction, breaks the mail directory and
 * lets one round fail each once; the delays chosen (next_attempt_at minus
 * the clock) through delays, the ids through ids. */
static void draw_first_delays(struct env *e, int64_t delays[DRAWS], char *ids[DRAWS])
{
    struct gh_mail mail = {
        .from = "noreply@gatehouse.test",
        .to = "ann@partner.test",
        .subject = "Verify your email address",
        .text = "Open https://portal.test/verify?token=ghvt_abc within a day.\n",
    };
    struct gh_tx *tx;
    assert_int_equal(gh_store_begin(e->store, GH_TX_WRITE, &tx), GH_STORE_OK);
    for (int i = 0; i < DRAWS; i++)
        assert_true(gh_mail_enqueue(tx, e->a, &mail, "user.verify_email", NOV23, &ids[i]));
    assert_int_equal(gh_store_commit(tx), GH_STORE_OK);
    break_dir(e);
    gh_mailer_nudge(e->mailer);
    for (int i = 0; i < DRAWS; i++) {
        struct gh_outbox_msg m = wait_for_attempts(e, ids[i], 1);
        assert_int_equal(m.attempts, 1);
        assert_int_equal(m.state, GH_OUTBOX_PENDING);
        delays[i] = m.next_attempt_at - NOV23;
    }
}

static void min_max(const int64_t *v, int n, int64_t *lo, int64_t *hi)
{
    *lo = *hi = v[0];
    for (int i = 1; i < n; i++) {
        *lo = v[i] < *lo ? v[i] : *lo;
        *hi = v[i] > *hi ? v[i] : *hi;
    }
}

/* Base 40 s, far below the cap: every delay within 40 s +- 10 s, both ends
 * of that range reached over the draws (each end's quarter missed by all
 * 150 with probability (17/21)^150, about 1e-14), and spread out. */
static void test_retry_delay_jittered(void **state)
{
    struct env *e = *state;
    start_retrying(e, 5, 40, 3600);
    int64_t d[DRAWS];
    char *ids[DRAWS];
    draw_first_delays(e, d, ids);
    int64_t lo, hi;
    min_max(d, DRAWS, &lo, &hi);
    assert_in_range(lo, 30, 33);
    assert_in_range(hi, 47, 50);
    int distinct = 0;
    bool seen[21] = {false};
    for (int i = 0; i < DRAWS; i++) {
        assert_in_range(d[i], 30, 50);
        if (!seen[d[i] - 30]) {
            seen[d[i] - 30] = true;
            distinct++;
        }
    }
    assert_true(distinct >= 10);
}

/* At the cap (base = cap = 40 s) the jitter only shortens: no delay above
 * 40 s, the cap itself reached and shorter ones drawn too. */
static void test_retry_delay_never_above_cap(void **state)
{
    struct env *e = *state;
    start_retrying(e, 5, 40, 40);
    int64_t d[DRAWS];
    char *ids[DRAWS];
    draw_first_delays(e, d, ids);
    int64_t lo, hi;
    min_max(d, DRAWS, &lo, &hi);
    assert_int_equal(hi, 40);
    assert_in_range(lo, 30, 33);

    /* the second attempt: 80 s nominal, still held at the cap */
    set_clock(e, NOV23 + 40);
    gh_mailer_nudge(e->mailer);
    for (int i = 0; i < DRAWS; i++) {
        struct gh_outbox_msg m = wait_for_attempts(e, ids[i], 2);
        assert_int_equal(m.attempts, 2);
        assert_in_range(m.next_attempt_at - (NOV23 + 40), 30, 40);
    }
}

/* A 1 s base is never jittered to 0 s (a retry in a tight loop): the
 * first delays are exactly 1 s, the second 2 s, the third 4 s +- 1 s. */
static void test_retry_delay_never_below_one_second(void **state)
{
    struct env *e = *state;
    start_retrying(e, 5, 1, 0);
    int64_t d[DRAWS];
    char *ids[DRAWS];
    draw_first_delays(e, d, ids);
    for (int i = 0; i < DRAWS; i++)
        assert_int_equal(d[i], 1);
    set_clock(e, NOV23 + 1);
    gh_mailer_nudge(e->mailer);
    for (int i = 0; i < DRAWS; i++)
        assert_int_equal(wait_for_attempts(e, ids[i], 2).next_attempt_at, NOV23 + 1 + 2);
    set_clock(e, NOV23 + 3);
    gh_mailer_nudge(e->mailer);
    for (int i = 0; i < DRAWS; i++)
        assert_in_range(wait_for_attempts(e, ids[i], 3).next_attempt_at, NOV23 + 3 + 3,
                        NOV23 + 3 + 5);
}

static void test_start_refuses_unusable_dir(void **state)
{
    struct env *e = *state;
    char *file = gh_arena_printf(e->a, "%s/plain-file", e->tmp);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fclose(f);
    char err[256] = "";
    struct gh_mailer_config cfg = {.mail_dir = file};
    assert_null(gh_mailer_start(e->store, &cfg, err, sizeof err));
    assert_non_null(strstr(err, "not a directory"));
    cfg.mail_dir = gh_arena_printf(e->a, "%s/sub", file);
    err[0] = '\0';
    assert_null(gh_mailer_start(e->store, &cfg, err, sizeof err));
    assert_non_null(strstr(err, "cannot create the mail directory"));
    cfg.mail_dir = "";
    assert_null(gh_mailer_start(e->store, &cfg, err, sizeof err));
    /* an existing directory, with a trailing slash, is fine */
    cfg.mail_dir = gh_arena_printf(e->a, "%s/", e->tmp);
    struct gh_mailer *m = gh_mailer_start(e->store, &cfg, err, sizeof err);
    assert_non_null(m);
    gh_mailer_stop(m);
    gh_mailer_stop(NULL);
}

/* A loopback port nothing listens on (bound, read, closed again). */
static int closed_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    socklen_t len = sizeof sa;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    close(fd);
    return ntohs(sa.sin_port);
}

/* A one-connection SMTP server on loopback: it greets, answers EHLO,
 * records MAIL FROM, RCPT TO and the DATA (dot-stuffing undone), answers
 * RCPT with 550 when refuse is set, and ends at QUIT or end of input. */
struct fake_smtp {
    int listen_fd;
    int port;
    bool refuse;
    pthread_t thread;
    char mail_from[2048];
    char rcpt[2048];
    char data[1 << 16];
    size_t data_len;
    bool got_data;
};

static void say(int fd, const char *s)
{
    size_t n = strlen(s);
    assert_int_equal(write(fd, s, n), (ssize_t)n);
}

/* One CRLF-ended line from fd into line (without the CRLF); false at EOF. */
static bool read_line(int fd, char *line, size_t cap)
{
    size_t n = 0;
    char c;
    while (read(fd, &c, 1) == 1) {
        if (c == '\n') {
            if (n > 0 && line[n - 1] == '\r')
                n--;
            line[n] = '\0';
            return true;
        }
        if (n + 1 < cap)
            line[n++] = c;
    }
    return false;
}

static void *fake_smtp_run(void *arg)
{
    struct fake_smtp *f = arg;
    int fd = accept(f->listen_fd, NULL, NULL);
    if (fd < 0)
        return NULL;
    char line[2048];
    say(fd, "220 fake ESMTP\r\n");
    while (read_line(fd, line, sizeof line)) {
        if (strncasecmp(line, "EHLO", 4) == 0) {
            say(fd, "250-fake\r\n250 8BITMIME\r\n");
        } else if (strncasecmp(line, "MAIL FROM:", 10) == 0) {
            snprintf(f->mail_from, sizeof f->mail_from, "%s", line + 10);
            say(fd, "250 OK\r\n");
        } else if (strncasecmp(line, "RCPT TO:", 8) == 0) {
            snprintf(f->rcpt, sizeof f->rcpt, "%s", line + 8);
            say(fd, f->refuse ? "550 5.1.1 mailbox unavailable\r\n" : "250 OK\r\n");
        } else if (strncasecmp(line, "DATA", 4) == 0) {
            say(fd, "354 go on\r\n");
            while (read_line(fd, line, sizeof line) && strcmp(line, ".") != 0) {
                const char *l = line[0] == '.' ? line + 1 : line; /* un-stuff */
                size_t room = sizeof f->data - f->data_len;
                int w = snprintf(f->data + f->data_len, room, "%s\r\n", l);
                f->data_len += w > 0 && (size_t)w < room ? (size_t)w : 0;
            }
            f->got_data = true;
            say(fd, "250 queued\r\n");
        } else if (strncasecmp(line, "QUIT", 4) == 0) {
            say(fd, "221 bye\r\n");
            break;
        } else {
            say(fd, "250 OK\r\n");
        }
    }
    close(fd);
    return NULL;
}

static void fake_smtp_start(struct fake_smtp *f, bool refuse)
{
    memset(f, 0, sizeof *f);
    f->refuse = refuse;
    f->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(f->listen_fd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(f->listen_fd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(f->listen_fd, 4), 0);
    socklen_t len = sizeof sa;
    assert_int_equal(getsockname(f->listen_fd, (struct sockaddr *)&sa, &len), 0);
    f->port = ntohs(sa.sin_port);
    assert_int_equal(pthread_create(&f->thread, NULL, fake_smtp_run, f), 0);
}

static void fake_smtp_join(struct fake_smtp *f)
{
    pthread_join(f->thread, NULL);
    close(f->listen_fd);
}

/* Starts the mailer on SMTP at 127.0.0.1:port with max_attempts. */
static void start_smtp(struct env *e, int port, int max_attempts)
{
    struct gh_mailer_config cfg = {
        .mail_dir = e->mail_dir,
        .smtp = {.url = gh_arena_printf(e->a, "smtp://127.0.0.1:%d", port),
                 .from = "bounces@gatehouse.test"},
        .poll_interval_ms = 60000,
        .max_attempts = max_attempts,
        .retry_base_secs = 5,
        .clock = test_clock,
        .clock_ctx = &e->now,
    };
    char err[256] = "";
    e->mailer = gh_mailer_start(e->store, &cfg, err, sizeof err);
    assert_non_null(e->mailer);
}

static void test_smtp_sends_the_stored_message(void **state)
{
    struct env *e = *state;
    struct fake_smtp *f = malloc(sizeof *f);
    fake_smtp_start(f, false);
    start_smtp(e, f->port, 3);
    /* a body line starting with "." must survive SMTP's dot-stuffing */
    struct gh_mail mail = {
        .from = "noreply@gatehouse.test",
        .to = "ann@partner.test",
        .subject = "Zugriff gesperrt: Bestellübersicht",
        .text = "Reason:\n.leading dot\n.\nend\n",
    };
    struct gh_tx *tx;
    char *id = NULL;
    assert_int_equal(gh_store_begin(e->store, GH_TX_WRITE, &tx), GH_STORE_OK);
    assert_true(gh_mail_enqueue(tx, e->a, &mail, "app.access_status.red", NOV23, &id));
    assert_int_equal(gh_store_commit(tx), GH_STORE_OK);
    gh_mailer_nudge(e->mailer);
    struct gh_outbox_msg m = wait_for_attempts(e, id, 1);
    fake_smtp_join(f);
    assert_int_equal(m.state, GH_OUTBOX_SENT);
    assert_null(m.last_error);
    assert_true(f->got_data);
    assert_string_equal(f->mail_from, "<bounces@gatehouse.test>");
    assert_string_equal(f->rcpt, "<ann@partner.test>");
    assert_string_equal(f->data, m.body); /* byte for byte what was stored */
    assert_non_null(strstr(f->data, "Message-ID: <"));
    assert_non_null(strstr(f->data, id));
    assert_non_null(strstr(f->data, "Subject: =?UTF-8?B?"));
    free(f);
}

static void test_smtp_refusal_recorded(void **state)
{
    struct env *e = *state;
    struct fake_smtp *f = malloc(sizeof *f);
    fake_smtp_start(f, true);
    start_smtp(e, f->port, 1);
    char *id = enqueue(e, "gone@partner.test", true);
    gh_mailer_nudge(e->mailer);
    struct gh_outbox_msg m = wait_for_attempts(e, id, 1);
    fake_smtp_join(f);
    assert_false(f->got_data);
    assert_int_equal(m.state, GH_OUTBOX_FAILED); /* max_attempts 1 */
    assert_non_null(m.last_error);
    assert_non_null(strstr(m.last_error, "550"));
    assert_null(strstr(m.last_error, "gone@partner.test"));
    free(f);
}

static void test_smtp_unreachable_retried_then_failed(void **state)
{
    struct env *e = *state;
    char *log_path = gh_arena_printf(e->a, "%s/log", e->tmp);
    FILE *log = fopen(log_path, "w");
    assert_non_null(log);
    gh_log_set_fd(fileno(log));
    gh_log_set_level(GH_LOG_INFO);
    struct gh_mailer_config cfg = {
        .mail_dir = e->mail_dir,
        .smtp = {.url = gh_arena_printf(e->a, "smtp://127.0.0.1:%d", closed_port()),
                 .from = "bounces@gatehouse.test",
                 .user = "mailer",
                 .password = "s3cret-pw"},
        .poll_interval_ms = 60000,
        .max_attempts = 2,
        .retry_base_secs = 5,
        .clock = test_clock,
        .clock_ctx = &e->now,
    };
    char err[256] = "";
    e->mailer = gh_mailer_start(e->store, &cfg, err, sizeof err);
    assert_non_null(e->mailer);
    char *id = enqueue(e, "ann@partner.test", true);
    gh_mailer_nudge(e->mailer);
    struct gh_outbox_msg m = wait_for_attempts(e, id, 1);
    assert_int_equal(m.attempts, 1);
    assert_int_equal(m.state, GH_OUTBOX_PENDING);
    assert_in_range(m.next_attempt_at, NOV23 + 4, NOV23 + 6); /* 5 s +- 1 s */
    assert_non_null(m.last_error);
    assert_non_null(strstr(m.last_error, "smtp: "));
    assert_null(strstr(m.last_error, "ann@partner.test"));

    set_clock(e, m.next_attempt_at);
    gh_mailer_nudge(e->mailer);
    m = wait_for_attempts(e, id, 2);
    assert_int_equal(m.state, GH_OUTBOX_FAILED);
    gh_mailer_stop(e->mailer);
    e->mailer = NULL;
    /* SMTP needs no mail directory: none is made */
    struct stat st;
    assert_int_not_equal(stat(e->mail_dir, &st), 0);

    gh_log_set_fd(-1);
    fclose(log);
    char *lines = read_file(e, log_path);
    assert_non_null(strstr(lines, "\"msg\":\"mail.attempt_failed\""));
    assert_non_null(strstr(lines, "\"transport\":\"smtp\""));
    assert_non_null(strstr(lines, "\"final\":true"));
    assert_non_null(strstr(lines, id));
    assert_null(strstr(lines, "ann@partner.test"));
    assert_null(strstr(lines, "s3cret-pw"));
    assert_null(strstr(lines, "ghvt_abc"));
}

static void test_start_refuses_bad_smtp_settings(void **state)
{
    struct env *e = *state;
    static const char *const bad_urls[] = {
        "http://127.0.0.1:25", "smtp:/127.0.0.1",   "127.0.0.1:25",    "smtp://",
        "smtp://:25",          "smtp://mail .test", "ftp://mail.test",
    };
    char err[256];
    for (size_t i = 0; i < sizeof bad_urls / sizeof bad_urls[0]; i++) {
        struct gh_mailer_config cfg = {.smtp = {.url = bad_urls[i], .from = "a@b.test"}};
        err[0] = '\0';
        assert_null(gh_mailer_start(e->store, &cfg, err, sizeof err));
        assert_non_null(strstr(err, "--smtp-url: "));
        assert_null(strchr(err, '\n'));
    }
    /* credentials in the URL: refused without repeating them */
    struct gh_mailer_config cfg = {
        .smtp = {.url = "smtps://u:hunter2@mail.test:465", .from = "a@b.test"}};
    assert_null(gh_mailer_start(e->store, &cfg, err, sizeof err));
    assert_non_null(strstr(err, "GATEHOUSE_SMTP_PASSWORD"));
    assert_null(strstr(err, "hunter2"));
    /* a sender is required */
    static const char *const bad_from[] = {NULL, "", "nobody", "<a@b.test>", "a@b.test\r\nX: y"};
    for (size_t i = 0; i < sizeof bad_from / sizeof bad_from[0]; i++) {
        cfg.smtp = (struct gh_smtp_config){.url = "smtp://127.0.0.1:2525", .from = bad_from[i]};
        assert_null(gh_mailer_start(e->store, &cfg, err, sizeof err));
        assert_non_null(strstr(err, "--smtp-from"));
    }
    /* good ones start (nothing is due, so nothing is sent) */
    static const char *const good[] = {"smtp://127.0.0.1:2525", "smtps://mail.example.com:465",
                                       "SMTP://mail.example.com", "smtp://[::1]:25/gatehouse.test"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        cfg.smtp = (struct gh_smtp_config){.url = good[i], .from = "a@b.test"};
        struct gh_mailer *m = gh_mailer_start(e->store, &cfg, err, sizeof err);
        assert_non_null(m);
        gh_mailer_stop(m);
    }
    assert_true(gh_smtp_url_valid("smtps://mail.example.com:465", err, sizeof err));
    assert_false(gh_smtp_url_valid(NULL, err, sizeof err));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_delivered_on_nudge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rollback_sends_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pending_at_start_delivered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop_delivers_due, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_write_retried, setup, teardown),
        cmocka_unit_test_setup_teardown(test_final_failure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retry_delay_jittered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retry_delay_never_above_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retry_delay_never_below_one_second, setup, teardown),
        cmocka_unit_test_setup_teardown(test_start_refuses_unusable_dir, setup, teardown),
        cmocka_unit_test_setup_teardown(test_smtp_unreachable_retried_then_failed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_start_refuses_bad_smtp_settings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_smtp_sends_the_stored_message, setup, teardown),
        cmocka_unit_test_setup_teardown(test_smtp_refusal_recorded, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
