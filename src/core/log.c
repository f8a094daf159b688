#include "core/log.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static _Atomic int log_level = GH_LOG_INFO;
static _Atomic int log_fd = STDERR_FILENO;

static const char *const level_names[] = {"debug", "info", "warn", "error", "off"};

void gh_log_set_level(enum gh_log_level level)
{
    atomic_store(&log_level, (int)level);
}

enum gh_log_level gh_log_get_level(void)
{
    return (enum gh_log_level)atomic_load(&log_level);
}

bool gh_log_parse_level(const char *s, enum gh_log_level *out)
{
    for (int i = 0; i <= GH_LOG_OFF; i++) {
        if (strcmp(s, level_names[i]) == 0) {
            *out = (enum gh_log_level)i;
            return true;
        }
    }
    return false;
}

void gh_log_set_fd(int fd)
{
    atomic_store(&log_fd, fd < 0 ? STDERR_FILENO : fd);
}

static _Thread_local const char *ctx_request_id;

void gh_log_set_request_id(const char *request_id)
{
    ctx_request_id = request_id;
}

static const char TRUNCATED[] = ",\"truncated\":true";

static void raw(struct gh_log_line *l, const char *p, size_t n)
{
    /* keep room for ,"truncated":true and the closing "}\n" */
    if (l->truncated || l->len + n + sizeof TRUNCATED + 2 > sizeof l->data) {
        l->truncated = true;
        return;
    }
    memcpy(l->data + l->len, p, n);
    l->len += n;
}

static void json_string(struct gh_log_line *l, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    raw(l, "\"", 1);
    for (size_t i = 0; i < n && !l->truncated; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            raw(l, e, 2);
        } else if (c < 0x20 || c == 0x7f) {
            char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            raw(l, e, 6);
        } else {
            raw(l, (const char *)&c, 1);
        }
    }
    raw(l, "\"", 1);
}

/* Starts a field; a field that does not fit is dropped whole (see end_field). */
static void key(struct gh_log_line *l, const char *k)
{
    l->mark = l->len;
    raw(l, ",", 1);
    json_string(l, k, strlen(k));
    raw(l, ":", 1);
}

static void begin(struct gh_log_line *l, enum gh_log_level level, const char *msg);

bool gh_log_begin(struct gh_log_line *l, enum gh_log_level level, const char *msg)
{
    if ((int)level < atomic_load(&log_level))
        return false;
    begin(l, level, msg);
    return true;
}

bool gh_log_begin_lifecycle(struct gh_log_line *l, const char *msg)
{
    if (atomic_load(&log_level) == GH_LOG_OFF)
        return false;
    begin(l, GH_LOG_INFO, msg);
    return true;
}

static void begin(struct gh_log_line *l, enum gh_log_level level, const char *msg)
{
    l->len = 0;
    l->mark = 0;
    l->truncated = false;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char head[80];
    int n = snprintf(head, sizeof head,
                     "{\"ts\":\"%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ\",\"level\":\"%s\"",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     ts.tv_nsec / 1000000, level_names[level]);
    raw(l, head, (size_t)n);
    key(l, "msg");
    json_string(l, msg, strlen(msg));
    if (ctx_request_id) {
        key(l, "request_id");
        json_string(l, ctx_request_id, strlen(ctx_request_id));
    }
}

void gh_log_strn(struct gh_log_line *l, const char *k, const char *value, size_t n)
{
    key(l, k);
    if (value)
        json_string(l, value, n);
    else
        raw(l, "null", 4);
}

void gh_log_str(struct gh_log_line *l, const char *k, const char *value)
{
    gh_log_strn(l, k, value, value ? strlen(value) : 0);
}

void gh_log_int(struct gh_log_line *l, const char *k, int64_t value)
{
    char tmp[24];
    int n = snprintf(tmp, sizeof tmp, "%lld", (long long)value);
    key(l, k);
    raw(l, tmp, (size_t)n);
}

void gh_log_double(struct gh_log_line *l, const char *k, double value)
{
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "%.3f", value);
    key(l, k);
    raw(l, tmp, (size_t)n);
}

void gh_log_bool(struct gh_log_line *l, const char *k, bool value)
{
    key(l, k);
    raw(l, value ? "true" : "false", value ? 4 : 5);
}

void gh_log_end(struct gh_log_line *l)
{
    if (l->truncated) {
        l->len = l->mark; /* drop the field that did not fit; say so instead */
        memcpy(l->data + l->len, TRUNCATED, sizeof TRUNCATED - 1);
        l->len += sizeof TRUNCATED - 1;
    }
    l->data[l->len++] = '}';
    l->data[l->len++] = '\n';
    (void)!write(atomic_load(&log_fd), l->data, l->len);
}

void gh_log_msg(enum gh_log_level level, const char *msg)
{
    struct gh_log_line l;
    if (gh_log_begin(&l, level, msg))
        gh_log_end(&l);
}

void gh_log_msg_str(enum gh_log_level level, const char *msg, const char *k, const char *value)
{
    struct gh_log_line l;
    if (gh_log_begin(&l, level, msg)) {
        gh_log_str(&l, k, value);
        gh_log_end(&l);
    }
}
