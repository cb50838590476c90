/* Red flags in one answer: harassment or discrimination, threats or violence,
 * self-harm, intent to resign and burnout. The rules are data (data/flags/,
 * compiled in) and are read once, on first use; detection is a pure function
 * of the text, thread-safe, and allocates nothing per call. nlp knows nothing
 * of the network or the database: chat stores what this returns. */
#ifndef HARK_NLP_FLAGS_H
#define HARK_NLP_FLAGS_H

#include <stddef.h>

enum nlp_flag_kind {
    NLP_FLAG_HARASSMENT = 1, /* harassment or discrimination */
    NLP_FLAG_THREAT,         /* threats or violence against others */
    NLP_FLAG_SELF_HARM,      /* self-harm or suicidal thoughts */
    NLP_FLAG_RESIGN,         /* intent to resign */
    NLP_FLAG_BURNOUT,        /* burnout, exhaustion */
};
#define NLP_FLAG_KINDS 5

/* Severity: 1 watch, 2 concern, 3 urgent (a human must look now). */
typedef struct nlp_flag {
    int kind;     /* enum nlp_flag_kind */
    int severity; /* 1..3 */
    size_t start; /* evidence span: byte offset into the text ... */
    size_t len;   /* ... and its length in bytes; a whole UTF-8 sequence */
} nlp_flag;

/* At most one flag per kind is reported (the most severe hit of that kind,
 * the earliest on a tie), so NLP_FLAG_KINDS entries always suffice. */
#define NLP_FLAGS_MAX NLP_FLAG_KINDS

/* Largest text examined; a longer one is examined on its first
 * NLP_FLAGS_MAX_TEXT bytes (the same bound as the sentiment scorer's). */
#define NLP_FLAGS_MAX_TEXT (64 * 1024)

/* Detects the red flags in TEXT (UTF-8, LEN bytes, need not be NUL-terminated;
 * invalid bytes are treated as separators, never a crash). Writes up to MAX
 * flags to OUT in kind order and returns how many were found (at most MAX).
 * Returns 0 when the compiled-in rules do not load (see nlp_flags_init). */
size_t nlp_flags_detect(const char *text, size_t len, nlp_flag *out, size_t max);

/* "harassment", "threat", "self_harm", "resign", "burnout"; NULL when KIND is unknown. */
const char *nlp_flag_kind_name(int kind);

/* The kind named NAME (as above), or 0. */
int nlp_flag_kind_parse(const char *name);

/* Loads and checks the compiled-in rules now instead of on first use. Returns
 * 0, or HARK_EINVAL and writes a message naming the file and line to ERR. */
int nlp_flags_init(char *err, size_t errlen);

/* Checks rule text as if it were the compiled-in file NAME ("common.tsv",
 * "threat.tsv", ...), loaded with the other compiled-in files, without
 * installing anything: for tests and for whoever edits data/flags. NAME NULL
 * checks the compiled-in files alone. Returns 0, HARK_EINVAL with a message
 * naming the file and line in ERR, or HARK_ENOMEM (it allocates one scratch
 * table of about 1.6 MB, freed before it returns). */
int nlp_flags_check(const char *name, const char *text, size_t len, char *err, size_t errlen);

#endif
