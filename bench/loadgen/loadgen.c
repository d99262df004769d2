/* Open-loop HTTP/1.1 load generator for bench/api_submit.py.
 *
 * Request i is due at start + i/rate (uniform arrivals); connection i % conns sends it
 * when due or, if that keep-alive connection is still busy, as soon as it is free.
 * Latency is measured from the due time, so a slow server is not hidden by a client
 * that waits for it (no coordinated omission). Prints one line:
 *   n ok achieved_rps p50_ms p99_ms max_ms mean_ms
 * Usage: loadgen HOST PORT PATH TOKEN BODY RATE N CONNS
 * With LOADGEN_TRACE=FILE set, also writes a line per request to FILE:
 *   due_s latency_ms status   (due_s counted from the first request's due time)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static char request[8192];
static size_t request_len;
static double start, rate;
static long total, conns;
static double *lat;
static int *status;
static const char *host;
static int port;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int dial(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, host, &a.sin_addr);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) { perror("connect"); exit(2); }
    return fd;
}

/* Read one response; returns the status code (0 on a broken connection). */
static int read_response(int fd) {
    char buf[65536];
    size_t have = 0;
    char *end = NULL;
    while (!end) {
        ssize_t got = recv(fd, buf + have, sizeof buf - 1 - have, 0);
        if (got <= 0) return 0;
        have += (size_t)got;
        buf[have] = 0;
        end = strstr(buf, "\r\n\r\n");
    }
    int code = atoi(buf + 9);
    long length = 0;
    for (char *p = buf; p < end; p = strstr(p, "\r\n") + 2)
        if (strncasecmp(p, "content-length:", 15) == 0) length = atol(p + 15);
    size_t body = have - (size_t)(end + 4 - buf);
    while ((long)body < length) {
        ssize_t got = recv(fd, buf, sizeof buf, 0);
        if (got <= 0) return 0;
        body += (size_t)got;
    }
    return code;
}

static void *worker(void *arg) {
    long id = (long)arg;
    int fd = dial();
    for (long i = id; i < total; i += conns) {
        double due = start + i / rate, wait = due - now();
        if (wait > 0) {
            struct timespec ts = {(time_t)wait, (long)((wait - (time_t)wait) * 1e9)};
            nanosleep(&ts, NULL);
        }
        if (send(fd, request, request_len, MSG_NOSIGNAL) != (ssize_t)request_len) { status[i] = 0; continue; }
        status[i] = read_response(fd);
        lat[i] = now() - due;
    }
    close(fd);
    return NULL;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    if (argc != 9) { fprintf(stderr, "usage: %s HOST PORT PATH TOKEN BODY RATE N CONNS\n", argv[0]); return 2; }
    host = argv[1]; port = atoi(argv[2]); rate = atof(argv[6]); total = atol(argv[7]); conns = atol(argv[8]);
    request_len = (size_t)snprintf(request, sizeof request,
        "POST %s HTTP/1.1\r\nHost: %s:%d\r\nAuthorization: Bearer %s\r\n"
        "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
        argv[3], host, port, argv[4], strlen(argv[5]), argv[5]);
    lat = calloc((size_t)total, sizeof *lat);
    status = calloc((size_t)total, sizeof *status);
    pthread_t *t = calloc((size_t)conns, sizeof *t);
    start = now() + 0.2;
    for (long c = 0; c < conns; c++) pthread_create(&t[c], NULL, worker, (void *)c);
    for (long c = 0; c < conns; c++) pthread_join(t[c], NULL);
    double wall = now() - start, sum = 0;
    long ok = 0;
    for (long i = 0; i < total; i++) { ok += status[i] >= 200 && status[i] < 300; sum += lat[i]; }
    const char *trace = getenv("LOADGEN_TRACE");
    if (trace) {
        FILE *f = fopen(trace, "w");
        if (!f) { perror(trace); return 2; }
        for (long i = 0; i < total; i++) fprintf(f, "%.4f %.2f %d\n", i / rate, 1e3 * lat[i], status[i]);
        fclose(f);
    }
    qsort(lat, (size_t)total, sizeof *lat, cmp);
    printf("%ld %ld %.1f %.2f %.2f %.2f %.2f\n", total, ok, total / wall,
           1e3 * lat[(long)(0.50 * total)], 1e3 * lat[(long)(0.99 * total)],
           1e3 * lat[total - 1], 1e3 * sum / total);
    return ok == total ? 0 : 1;
}
