/* JSON-lines log on stderr: one object per line, written with one write(2).
 *
 *   struct gh_log_line l;
 *   if (gh_log_begin(&l, GH_LOG_INFO, "server.listening")) {
 *       gh_log_str(&l, "listen", addr);
 *       gh_log_int(&l, "threads", n);
 *       gh_log_end(&l);
 *   }
 *
 * gh_log_begin returns false when the level is filtered out, so a disabled
 * line costs one comparison.  Secrets are never passed to the log: callers
 * log identifiers (client_id, key id), never credentials. */
#ifndef GH_CORE_LOG_H
#define GH_CORE_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum gh_log_level { GH_LOG_DEBUG = 0, GH_LOG_INFO, GH_LOG_WARN, GH_LOG_ERROR, GH_LOG_OFF };

struct gh_log_line {
    char data[4096];
    size_t len;
    size_t mark; /* where the field being written began */
    bool truncated;
};

void gh_log_set_level(enum gh_log_level level);
enum gh_log_level gh_log_get_level(void);
/* "debug", "info", "warn", "error", "off"; returns false for anything else. */
bool gh_log_parse_level(const char *s, enum gh_log_level *out);
/* Redirect output (tests); -1 restores stderr. */
void gh_log_set_fd(int fd);

/* The request being handled on this thread: while set, every line this
 * thread logs carries it as "request_id", whichever layer logs.  The HTTP
 * server sets it around a handler and clears it (NULL) after; the string
 * must stay valid meanwhile. */
void gh_log_set_request_id(const char *request_id);

bool gh_log_begin(struct gh_log_line *l, enum gh_log_level level, const char *msg);
/* Lifecycle lines (listening, stopping): written at "info" whatever the level,
 * unless logging is off, so operators and scripts always see them. */
bool gh_log_begin_lifecycle(struct gh_log_line *l, const char *msg);
void gh_log_str(struct gh_log_line *l, const char *key, const char *value);
void gh_log_strn(struct gh_log_line *l, const char *key, const char *value, size_t n);
void gh_log_int(struct gh_log_line *l, const char *key, int64_t value);
void gh_log_double(struct gh_log_line *l, const char *key, double value);
void gh_log_bool(struct gh_log_line *l, const char *key, bool value);
void gh_log_end(struct gh_log_line *l);

/* One-call forms for lines with at most one string field. */
void gh_log_msg(enum gh_log_level level, const char *msg);
void gh_log_msg_str(enum gh_log_level level, const char *msg, const char *key, const char *value);

#endif
