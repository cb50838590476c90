/* Configuration: one declarative table of keys (config.c) read from an INI
 * file, then HARK_* environment variables, then --flags, each overriding the
 * one before. A bad value is reported naming the key, where it came from and
 * the problem; callers exit 2 on it. */
#ifndef HARK_CONFIG_H
#define HARK_CONFIG_H

#include <stddef.h>
#include <stdint.h>

typedef struct hark_config {
    char config_file[512];
    char listen[128]; /* ADDR:PORT */
    char data_dir[512];
    char db_url[1024]; /* "" = sqlite:DATA_DIR/hark.db */
    char db_read_url[1024];
    char smtp_url[1024]; /* "" = file:DATA_DIR/outbox */
    char mail_from[256];
    char smtp_tls[16]; /* try | require | off */
    char smtp_ca_file[512];
    char public_url[512]; /* "" = http://LISTEN */
    char allowed_origins[1024];
    char chat_support_message[1024]; /* sent after a self-harm answer; "" = none */
    char log_level[16];
    char log_format[16]; /* plain | json */
    char durability[16]; /* full | normal | off */
    char now[64];        /* ISO-8601: fixes the planning/expiry clock */
    int64_t max_header_bytes;
    int64_t max_body_bytes;
    int64_t header_timeout_ms;
    int64_t ws_max_message;
    int64_t ws_ping_interval_ms;
    int64_t chat_max_text;
    int64_t invite_ttl_days;
    int64_t db_readers;
    int64_t db_batch_max;
    int64_t shutdown_grace_ms;
    int chat_persist; /* 0: answers are not stored (benchmark ceiling only) */
    int smtp_verify;
    int outreach; /* run outreach inside hark serve */
    int64_t smtp_conns;
    int64_t smtp_timeout_ms;
    int64_t outreach_rate;
    int64_t outreach_batch;
    int64_t outreach_lease_ms;
    int64_t outreach_retry_base_ms;
    int64_t outreach_retry_max_ms;
    int64_t outreach_max_attempts;
    int64_t outreach_plan_interval_ms;
    int64_t outreach_poll_ms;
} hark_config;

/* Fills C with the defaults. */
void config_defaults(hark_config *c);

/* Applies the configuration file (--config or HARK_CONFIG), the environment
 * and then the flags found in ARGV[0..ARGC). Flags that are configuration
 * keys (--key value or --key=value, key with dashes or underscores) are
 * consumed; every other argument is copied, in order, to REST (which has
 * room for ARGC entries) and counted in *NREST. Returns 0, or HARK_EINVAL with
 * a message in ERR that names the key and the problem. */
int config_load(hark_config *c, int argc, char **argv, char **rest, int *nrest, char *err, size_t errlen);

/* The effective database URL ("sqlite:DATA_DIR/hark.db" when db_url is empty)
 * and public URL ("http://LISTEN" when public_url is empty), into OUT. */
void config_db_url(const hark_config *c, char *out, size_t cap);
void config_public_url(const hark_config *c, char *out, size_t cap);

/* Writes one line per key with its type, default and help text (for `hark help`). */
void config_print_help(void);

#endif
