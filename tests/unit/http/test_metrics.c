#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <string.h>

#include "http/metrics.h"

static void h(struct gh_req *req)
{
    (void)req;
}

struct worker {
    struct gh_metrics *m;
    int n;
};

static void *observe_many(void *p)
{
    struct worker *w = p;
    for (int i = 0; i < w->n; i++)
        gh_metrics_observe(w->m, 0, 200, 300000); /* 0.3 ms */
    return NULL;
}

static void test_counts_from_several_threads_add_up(void **state)
{
    struct gh_router *r = gh_router_new();
    assert_true(gh_router_add(r, GH_GET, "/healthz", h, NULL));
    struct gh_metrics *m = gh_metrics_new(gh_router_count(r));
    pthread_t t[4];
    struct worker w = {m, 10000};
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, observe_many, &w);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    gh_metrics_observe(m, 1, 404, 1000); /* unmatched */
    gh_metrics_observe(m, 0, 418, 1000); /* unusual status */
    struct gh_buf b;
    gh_buf_init(&b, NULL, 64);
    gh_metrics_render(m, r, &b);
    assert_non_null(
        strstr(b.data, "gatehouse_http_requests_total{route=\"/healthz\",status=\"200\"} 40000\n"));
    assert_non_null(
        strstr(b.data, "gatehouse_http_requests_total{route=\"unmatched\",status=\"404\"} 1\n"));
    assert_non_null(
        strstr(b.data, "gatehouse_http_requests_total{route=\"/healthz\",status=\"other\"} 1\n"));
    /* 0.3 ms falls in le=0.0005, not in le=0.00025 */
    assert_non_null(strstr(
        b.data,
        "gatehouse_http_request_duration_seconds_bucket{route=\"/healthz\",le=\"0.00025\"} 1\n"));
    assert_non_null(strstr(b.data, "gatehouse_http_request_duration_seconds_bucket{route=\"/"
                                   "healthz\",le=\"0.0005\"} 40001\n"));
    assert_non_null(strstr(
        b.data, "gatehouse_http_request_duration_seconds_count{route=\"/healthz\"} 40001\n"));
    assert_non_null(strstr(b.data, "le=\"+Inf\"} 40001\n"));
    gh_buf_free(&b);
    gh_metrics_free(m);
    gh_router_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts_from_several_threads_add_up),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
