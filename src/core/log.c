/* The logger (log.h): formats one line into a stack buffer and writes it with
 * a single write(2), so lines from several threads never interleave. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"

static int log_threshold = LOG_INFO;
static int log_json = 0;
static const char *level_names[] = {"debug", "info", "warn", "error"};

void log_init(int level, int json) {
    log_threshold = level;
    log_json = json;
}

int log_level_parse(const char *s) {
    for (int i = 0; i < 4; i++)
        if (strcmp(s, level_names[i]) == 0) return i;
    return -1;
}

int log_enabled(int level) {
    return level >= log_threshold;
}

static void json_escape_into(char *dst, size_t cap, const char *src) {
    size_t j = 0;
    for (size_t i = 0; src[i] && j + 7 < cap; i++) {
        unsigned char c = (unsigned char)src[i];
        if (c == '"' || c == '\\') {
            dst[j++] = '\\';
            dst[j++] = (char)c;
        } else if (c < 0x20) {
            j += (size_t)snprintf(dst + j, cap - j, "\\u%04x", c);
        } else {
            dst[j++] = (char)c;
        }
    }
    dst[j] = '\0';
}

static void log_write(int level, uint64_t conn_id, const char *fmt, va_list ap) {
    char msg[2048], line[4600], ts[96];
    struct timespec now;
    struct tm tm;
    vsnprintf(msg, sizeof msg, fmt, ap);
    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min, tm.tm_sec, (long)(now.tv_nsec / 1000000) % 1000);
    int n;
    if (log_json) {
        char esc[4200];
        json_escape_into(esc, sizeof esc, msg);
        if (conn_id)
            n = snprintf(line, sizeof line, "{\"ts\":\"%s\",\"level\":\"%s\",\"conn\":%llu,\"msg\":\"%s\"}\n", ts,
                         level_names[level], (unsigned long long)conn_id, esc);
        else
            n = snprintf(line, sizeof line, "{\"ts\":\"%s\",\"level\":\"%s\",\"msg\":\"%s\"}\n", ts, level_names[level],
                         esc);
    } else if (conn_id) {
        n = snprintf(line, sizeof line, "%s %-5s [c%llu] %s\n", ts, level_names[level], (unsigned long long)conn_id,
                     msg);
    } else {
        n = snprintf(line, sizeof line, "%s %-5s %s\n", ts, level_names[level], msg);
    }
    if (n < 0) return;
    if ((size_t)n >= sizeof line) n = (int)sizeof line - 1;
    ssize_t w = write(STDERR_FILENO, line, (size_t)n);
    (void)w;
}

void log_msg(int level, const char *fmt, ...) {
    if (level < log_threshold) return;
    va_list ap;
    va_start(ap, fmt);
    log_write(level, 0, fmt, ap);
    va_end(ap);
}

void log_conn(int level, uint64_t conn_id, const char *fmt, ...) {
    if (level < log_threshold) return;
    va_list ap;
    va_start(ap, fmt);
    log_write(level, conn_id, fmt, ap);
    va_end(ap);
}
