/* Red flags of an answer in store terms (chat.h): runs the nlp detector and
 * turns its hits into store_flag rows and the message's flags_json. Used by
 * the chat session for every answer and by `hark demo` for its answers. */
#include <stdio.h>

#include "chat/chat.h"
#include "nlp/flags.h"

size_t chat_flags(const char *text, size_t len, store_flag *out, char *json, size_t jsoncap) {
    nlp_flag hits[NLP_FLAGS_MAX];
    size_t n = nlp_flags_detect(text, len, hits, NLP_FLAGS_MAX);
    if (n > STORE_FLAGS_MAX) n = STORE_FLAGS_MAX;
    size_t used = 0;
    if (jsoncap) json[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        store_flag *f = &out[i];
        snprintf(f->kind, sizeof f->kind, "%s", nlp_flag_kind_name(hits[i].kind));
        f->severity = hits[i].severity;
        f->start = (int64_t)hits[i].start;
        f->len = (int64_t)hits[i].len;
        /* Kind names are fixed identifiers: nothing to escape. */
        int w = snprintf(json + used, used < jsoncap ? jsoncap - used : 0,
                         "%s{\"kind\":\"%s\",\"severity\":%d,\"start\":%lld,\"len\":%lld}%s", i ? "," : "[", f->kind,
                         f->severity, (long long)f->start, (long long)f->len, i + 1 == n ? "]" : "");
        if (w > 0) used += (size_t)w;
    }
    if (used >= jsoncap && jsoncap) json[0] = '\0'; /* too small: no JSON rather than a cut one */
    return n;
}
