/* Webhook delivery (portal/webhook_send.c and the webhook channel of
 * portal/mailer.c) against a loopback HTTP receiver thread: the Standard
 * Webhooks signature (the specification's own example), the request's
 * headers and body as sent, 2xx = delivered, 500 and an unfollowed 302
 * recorded as "HTTP …", no server and a non-HTTP URL as curl's error; the
 * worker posts a queued event signed with the webhook's sealed secret,
 * retries a failed one with the same webhook-id, and fails a message whose
 * webhook was deleted for good. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../support/store_fixture.h"
#include "core/arena.h"
#include "core/log.h"
#include "portal/mailer.h"
#include "portal/smtp.h"
#include "portal/webhook_send.h"
#include "portal/webhooks.h"

#define MAX_REQ 8
#define WAIT_MS 10000

/* ---- a loopback receiver: answers each request with the next status ---- */

struct receiver {
    int fd;
    int port;
    pthread_t thread;
    pthread_mutex_t mu;
    int statuses[MAX_REQ]; /* answer of the i-th request */
    int n_statuses;
    char *requests[MAX_REQ]; /* raw request heads + bodies, malloc'd */
    int n_requests;
    bool stop;
};

/* Reads one HTTP request (head + Content-Length body) from fd into a
 * malloc'd string; NULL on EOF or error. */
static char *read_request(int fd)
{
    size_t cap = 65536, len = 0;
    char *buf = malloc(cap);
    long body_len = -1;
    size_t head_len = 0;
    for (;;) {
        if (body_len >= 0 && len >= head_len + (size_t)body_len)
            break;
        ssize_t r = read(fd, buf + len, cap - len - 1);
        if (r <= 0) {
            free(buf);
            return NULL;
        }
        len += (size_t)r;
        buf[len] = '\0';
        char *end = strstr(buf, "\r\n\r\n");
        if (body_len < 0 && end) {
            head_len = (size_t)(end - buf) + 4;
            char *cl = strcasestr(buf, "\r\nContent-Length:");
            body_len = cl && cl < end ? strtol(cl + 17, NULL, 10) : 0;
        }
    }
    return buf;
}

static void *receiver_run(void *arg)
{
    struct receiver *r = arg;
    for (;;) {
        int c = accept(r->fd, NULL, NULL);
        if (c < 0)
            return NULL;
        char *req = read_request(c);
        pthread_mutex_lock(&r->mu);
        bool stop = r->stop;
        int i = r->n_requests;
        int status = i < r->n_statuses ? r->statuses[i] : 200;
        if (req && !stop && i < MAX_REQ)
            r->requests[r->n_requests++] = req;
        else
            free(req);
        pthread_mutex_unlock(&r->mu);
        char resp[256];
        int n = snprintf(resp, sizeof resp,
                         "HTTP/1.1 %d X\r\nContent-Length: 5\r\n%sConnection: close\r\n\r\nhello",
                         status, status == 302 ? "Location: http://127.0.0.1:1/elsewhere\r\n" : "");
        if (write(c, resp, (size_t)n) < 0) {
            /* the client went away: nothing to do */
        }
        close(c);
        if (stop)
            return NULL;
    }
}

static void receiver_start(struct receiver *r, const int *statuses, int n)
{
    memset(r, 0, sizeof *r);
    pthread_mutex_init(&r->mu, NULL);
    memcpy(r->statuses, statuses, (size_t)n * sizeof *statuses);
    r->n_statuses = n;
    r->fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(r->fd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(r->fd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(r->fd, 8), 0);
    socklen_t sl = sizeof sa;
    assert_int_equal(getsockname(r->fd, (struct sockaddr *)&sa, &sl), 0);
    r->port = ntohs(sa.sin_port);
    assert_int_equal(pthread_create(&r->thread, NULL, receiver_run, r), 0);
}

static void receiver_stop(struct receiver *r)
{
    pthread_mutex_lock(&r->mu);
    r->stop = true;
    pthread_mutex_unlock(&r->mu);
    /* wake accept() with one last connection */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
                             .sin_port = htons((uint16_t)r->port)};
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0)
        shutdown(fd, SHUT_WR);
    pthread_join(r->thread, NULL);
    close(fd);
    close(r->fd);
    for (int i = 0; i < r->n_requests; i++)
        free(r->requests[i]);
    pthread_mutex_destroy(&r->mu);
}

static int receiver_count(struct receiver *r)
{
    pthread_mutex_lock(&r->mu);
    int n = r->n_requests;
    pthread_mutex_unlock(&r->mu);
    return n;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* The value of header name in a raw request (copied into a), or NULL. */
static char *header(struct gh_arena *a, const char *req, const char *name)
{
    char *pat = gh_arena_printf(a, "\r\n%s: ", name);
    const char *p = strcasestr(req, pat);
    if (!p)
        return NULL;
    p += strlen(pat);
    return gh_arena_strndup(a, p, strcspn(p, "\r\n"));
}

static const char *body_of(const char *req)
{
    const char *p = strstr(req, "\r\n\r\n");
    return p ? p + 4 : NULL;
}

/* ---- signature and single sends ------------------------------------------ */

static int global_setup(void **state)
{
    (void)state;
    gh_log_set_level(GH_LOG_OFF);
    return gh_smtp_global_init() ? 0 : -1;
}

static int global_teardown(void **state)
{
    (void)state;
    gh_smtp_global_cleanup();
    return 0;
}

static void test_signature_spec_example(void **state)
{
    (void)state;
    struct gh_arena *a = gh_arena_new(1024);
    /* the example of the Standard Webhooks specification */
    char *sig =
        gh_webhook_signature(a, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                             "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, "{\"test\": 2432232314}");
    assert_non_null(sig);
    assert_string_equal(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    /* any other timestamp, id or body signs differently */
    assert_string_not_equal(gh_webhook_signature(a, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                                                 "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265331,
                                                 "{\"test\": 2432232314}"),
                            sig);
    assert_null(gh_webhook_signature(a, "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_x", 1, "{}"));
    assert_null(gh_webhook_signature(a, "whsec_!!!", "msg_x", 1, "{}"));
    assert_null(gh_webhook_signature(a, "whsec_", "msg_x", 1, "{}"));
    gh_arena_free(a);
}

static void test_send_headers_and_body(void **state)
{
    (void)state;
    struct receiver r;
    int statuses[] = {204};
    receiver_start(&r, statuses, 1);
    struct gh_arena *a = gh_arena_new(4096);
    char *url = gh_arena_printf(a, "http://127.0.0.1:%d/hooks/in?x=1", r.port);
    const char *secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const char *body = "{\"type\":\"app.access_status.red\",\"data\":{\"reason\":\"late\"}}";
    char err[256] = "";
    assert_true(gh_webhook_send(NULL, url, secret, "msg_abc", 1700000000, body, err, sizeof err));
    assert_string_equal(err, "");
    assert_int_equal(receiver_count(&r), 1);
    const char *req = r.requests[0];
    assert_true(strncmp(req, "POST /hooks/in?x=1 HTTP/1.1\r\n", 29) == 0);
    assert_string_equal(header(a, req, "Content-Type"), "application/json");
    assert_string_equal(header(a, req, "User-Agent"), "gatehouse");
    assert_string_equal(header(a, req, "webhook-id"), "msg_abc");
    assert_string_equal(header(a, req, "webhook-timestamp"), "1700000000");
    assert_string_equal(header(a, req, "webhook-signature"),
                        gh_webhook_signature(a, secret, "msg_abc", 1700000000, body));
    assert_string_equal(body_of(req), body);
    assert_null(strstr(req, "MfKQ9r8G"));
    receiver_stop(&r);
    gh_arena_free(a);
}

static void test_send_failures(void **state)
{
    (void)state;
    struct receiver r;
    int statuses[] = {500, 302, 200};
    receiver_start(&r, statuses, 3);
    struct gh_arena *a = gh_arena_new(4096);
    char *url = gh_arena_printf(a, "http://127.0.0.1:%d/in", r.port);
    const char *secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    char err[256] = "";
    assert_false(gh_webhook_send(NULL, url, secret, "msg_1", 1, "{}", err, sizeof err));
    assert_string_equal(err, "HTTP 500");
    assert_false(gh_webhook_send(NULL, url, secret, "msg_1", 1, "{}", err, sizeof err));
    assert_string_equal(err, "HTTP 302: redirect not followed");
    /* the redirect was not followed: the receiver saw two requests only */
    assert_int_equal(receiver_count(&r), 2);
    assert_true(gh_webhook_send(NULL, url, secret, "msg_1", 1, "{}", err, sizeof err));
    receiver_stop(&r);

    /* nothing listens any more */
    struct gh_webhook_send_config cfg = {.connect_timeout_secs = 2, .timeout_secs = 3};
    assert_false(gh_webhook_send(&cfg, url, secret, "msg_1", 1, "{}", err, sizeof err));
    assert_non_null(strstr(err, "webhook: "));
    assert_non_null(strstr(err, "curl 7"));
    assert_null(strstr(err, "MfKQ9r8G"));
    assert_false(
        gh_webhook_send(&cfg, "ftp://127.0.0.1/x", secret, "msg_1", 1, "{}", err, sizeof err));
    assert_non_null(strstr(err, "curl 1)"));
    assert_false(gh_webhook_send(&cfg, url, "not-a-secret", "msg_1", 1, "{}", err, sizeof err));
    assert_string_equal(err, "webhook: the stored secret is not usable");
    gh_arena_free(a);
}

/* ---- the worker ------------------------------------------------------------ */

struct env {
    struct gh_fixture_db db;
    struct gh_store *store;
    struct gh_arena *a;
    char *tmp;
    int64_t now;
    uint8_t master[32];
    struct gh_mailer *mailer;
};

static int64_t test_clock(void *ctx)
{
    return __atomic_load_n((int64_t *)ctx, __ATOMIC_SEQ_CST);
}

static int setup(void **state)
{
    struct env *e = calloc(1, sizeof *e);
    char err[512] = "";
    if (!gh_fixture_db_init(&e->db))
        return -1;
    e->store = gh_fixture_store_open(&e->db, NULL, err, sizeof err);
    if (!e->store) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    e->a = gh_arena_new(8192);
    e->tmp = gh_fixture_tempdir();
    e->now = 1795449909;
    memset(e->master, 0x5a, sizeof e->master);
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
    return 0;
}

static void start_worker(struct env *e)
{
    struct gh_mailer_config cfg = {
        .mail_dir = gh_arena_printf(e->a, "%s/mail", e->tmp),
        .poll_interval_ms = 50,
        .max_attempts = 3,
        .retry_base_secs = 10,
        .clock = test_clock,
        .clock_ctx = &e->now,
        .key = e->master,
        .key_len = sizeof e->master,
        .webhook = {.connect_timeout_secs = 2, .timeout_secs = 5},
    };
    char err[256] = "";
    e->mailer = gh_mailer_start(e->store, &cfg, err, sizeof err);
    assert_non_null(e->mailer);
}

/* Creates org_a's webhook to url (its secret into *secret) and queues one
 * event; the message id into *msg_id. */
static void queue_event(struct env *e, const char *url, char **secret, char **msg_id)
{
    struct gh_tx *tx;
    assert_int_equal(gh_store_begin(e->store, GH_TX_WRITE, &tx), GH_STORE_OK);
    struct gh_org o = {.id = "org_a", .name = "A", .created_at = 1};
    assert_int_equal(gh_store_org_insert(tx, &o), GH_STORE_OK);
    uint8_t key[GH_AEAD_KEY_BYTES];
    gh_webhooks_derive_seal_key(e->master, sizeof e->master, key);
    struct gh_webhook w = {.id = "wh_1", .org_id = "org_a", .url = (char *)url, .enabled = true};
    *secret = gh_webhooks_new_secret(e->a, key, w.id, &w.secret_enc);
    assert_non_null(*secret);
    assert_int_equal(gh_store_webhook_insert(tx, &w), GH_STORE_OK);
    int queued = 0;
    assert_true(gh_webhooks_enqueue(tx, e->a, "org_a", "app.access_status.red",
                                    "{\"reason\":\"unpaid\"}", e->now, &queued));
    assert_int_equal(queued, 1);
    struct gh_outbox_msg *ms;
    size_t n;
    assert_int_equal(gh_store_outbox_search(tx, NULL, NULL, e->a, &ms, &n), GH_STORE_OK);
    assert_int_equal(n, 1);
    *msg_id = ms[0].id;
    assert_int_equal(gh_store_commit(tx), GH_STORE_OK);
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

static struct gh_outbox_msg wait_attempts(struct env *e, const char *id, int attempts)
{
    for (int waited = 0; waited < WAIT_MS; waited += 10) {
        struct gh_outbox_msg m = row(e, id);
        if (m.attempts >= attempts)
            return m;
        sleep_ms(10);
    }
    fail_msg("message %s never reached %d attempts", id, attempts);
    return row(e, id);
}

static void test_worker_delivers_and_retries(void **state)
{
    struct env *e = *state;
    struct receiver r;
    int statuses[] = {500, 200};
    receiver_start(&r, statuses, 2);
    char *url = gh_arena_printf(e->a, "http://127.0.0.1:%d/in", r.port);
    char *secret, *id;
    queue_event(e, url, &secret, &id);
    start_worker(e);
    struct gh_outbox_msg m = wait_attempts(e, id, 1);
    assert_int_equal(m.state, GH_OUTBOX_PENDING);
    assert_string_equal(m.last_error, "HTTP 500");
    assert_true(m.next_attempt_at >= e->now + 7 && m.next_attempt_at <= e->now + 13);
    __atomic_store_n(&e->now, m.next_attempt_at, __ATOMIC_SEQ_CST);
    gh_mailer_nudge(e->mailer);
    m = wait_attempts(e, id, 2);
    assert_int_equal(m.state, GH_OUTBOX_SENT);
    assert_int_equal(receiver_count(&r), 2);
    for (int i = 0; i < 2; i++) {
        const char *req = r.requests[i];
        assert_string_equal(header(e->a, req, "webhook-id"), id);
        char *ts = header(e->a, req, "webhook-timestamp");
        assert_non_null(ts);
        /* send time, from the real clock, not the injected one */
        int64_t t = strtoll(ts, NULL, 10);
        assert_true(llabs((long long)(t - (int64_t)time(NULL))) < 60);
        assert_string_equal(header(e->a, req, "webhook-signature"),
                            gh_webhook_signature(e->a, secret, id, t, body_of(req)));
        assert_non_null(strstr(body_of(req), "\"reason\":\"unpaid\""));
    }
    struct gh_mailer_stats st;
    gh_mailer_get_stats(e->mailer, &st);
    assert_int_equal(st.webhook_sent, 1);
    assert_int_equal(st.webhook_attempt_failures, 1);
    assert_int_equal(st.webhook_failed, 0);
    assert_int_equal(st.sent, 0);
    receiver_stop(&r);
}

static void test_worker_fails_deleted_webhook(void **state)
{
    struct env *e = *state;
    char *secret, *id;
    queue_event(e, "http://127.0.0.1:1/in", &secret, &id);
    struct gh_tx *tx;
    assert_int_equal(gh_store_begin(e->store, GH_TX_WRITE, &tx), GH_STORE_OK);
    assert_int_equal(gh_store_webhook_delete(tx, "wh_1"), GH_STORE_OK);
    assert_int_equal(gh_store_commit(tx), GH_STORE_OK);
    start_worker(e);
    struct gh_outbox_msg m = wait_attempts(e, id, 1);
    assert_int_equal(m.state, GH_OUTBOX_FAILED);
    assert_string_equal(m.last_error, "webhook deleted");
    struct gh_mailer_stats st;
    gh_mailer_get_stats(e->mailer, &st);
    assert_int_equal(st.webhook_failed, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signature_spec_example),
        cmocka_unit_test(test_send_headers_and_body),
        cmocka_unit_test(test_send_failures),
        cmocka_unit_test_setup_teardown(test_worker_delivers_and_retries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_worker_fails_deleted_webhook, setup, teardown),
    };
    return cmocka_run_group_tests(tests, global_setup, global_teardown);
}
