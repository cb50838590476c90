/* One levelled printf-style logger, plain text or JSON lines on stderr.
 * log_conn tags a line with a connection id. No personal data (emails, names,
 * answer text) may be logged at info level or above. Thread-safe. */
#ifndef HARK_LOG_H
#define HARK_LOG_H

#include <stdint.h>

enum log_level { LOG_DEBUG = 0, LOG_INFO = 1, LOG_WARN = 2, LOG_ERROR = 3 };

/* Sets the threshold and format (json != 0: one JSON object per line). */
void log_init(int level, int json);
/* Parses "debug|info|warn|error"; -1 when unknown. */
int log_level_parse(const char *s);
int log_enabled(int level);

void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_conn(int level, uint64_t conn_id, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif
