/* Wall-clock time for planning and expiry, in Unix milliseconds. The global
 * --now flag shifts it (tests, demos); latency measurements use uv_hrtime. */
#ifndef HARK_CLOCK_H
#define HARK_CLOCK_H

#include <stdint.h>

int64_t hark_now_ms(void);
/* Makes hark_now_ms() start at AT_MS (the clock still advances). */
void hark_clock_set(int64_t at_ms);
/* Parses ISO-8601 "YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS][Z]" as UTC; 0 or HARK_EINVAL. */
int hark_time_parse(const char *s, int64_t *out_ms);
/* Formats MS as "YYYY-MM-DDTHH:MM:SSZ" into OUT (at least 21 bytes). */
void hark_time_format(int64_t ms, char *out, size_t cap);

#endif
