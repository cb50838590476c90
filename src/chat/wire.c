/* Frame builders for chat protocol v1 (chat_int.h): each server -> client
 * message is written straight into a reusable buffer, with no JSON tree. */
#include <inttypes.h>

#include "chat/chat_int.h"
#include "core/jsonw.h"

int wire_welcome(buf *b, int64_t conv_id, int64_t last_seq, int64_t awaiting_seq) {
    buf_reset(b);
    if (awaiting_seq > 0)
        return buf_printf(
            b, "{\"t\":\"welcome\",\"conversation\":\"%" PRId64 "\",\"last_seq\":%" PRId64 ",\"awaiting\":%" PRId64 "}",
            conv_id, last_seq, awaiting_seq);
    return buf_printf(b,
                      "{\"t\":\"welcome\",\"conversation\":\"%" PRId64 "\",\"last_seq\":%" PRId64 ",\"awaiting\":null}",
                      conv_id, last_seq);
}

int wire_bot(buf *b, int64_t seq, const char *text, const char *input_json) {
    int rc;
    buf_reset(b);
    if ((rc = buf_printf(b, "{\"t\":\"bot\",\"seq\":%" PRId64 ",\"text\":", seq))) return rc;
    if ((rc = jsonw_cstr(b, text ? text : ""))) return rc;
    if ((rc = buf_printf(b, ",\"input\":%s}", input_json ? input_json : "null"))) return rc;
    return 0;
}

int wire_you(buf *b, int64_t seq, const char *id, const char *text) {
    int rc;
    buf_reset(b);
    if ((rc = buf_printf(b, "{\"t\":\"you\",\"seq\":%" PRId64 ",\"id\":", seq))) return rc;
    if ((rc = jsonw_cstr(b, id))) return rc;
    if ((rc = buf_append(b, ",\"text\":", 8))) return rc;
    if ((rc = jsonw_cstr(b, text ? text : ""))) return rc;
    return buf_append(b, "}", 1);
}

int wire_ack(buf *b, const char *id, int64_t seq) {
    int rc;
    buf_reset(b);
    if ((rc = buf_append(b, "{\"t\":\"ack\",\"id\":", 16))) return rc;
    if ((rc = jsonw_cstr(b, id))) return rc;
    return buf_printf(b, ",\"seq\":%" PRId64 "}", seq);
}

int wire_error(buf *b, const char *code, const char *message, int64_t retry_after_ms) {
    int rc;
    buf_reset(b);
    if ((rc = buf_printf(b, "{\"t\":\"error\",\"code\":\"%s\",\"message\":", code))) return rc;
    if ((rc = jsonw_cstr(b, message))) return rc;
    if (retry_after_ms > 0) return buf_printf(b, ",\"retry_after_ms\":%" PRId64 "}", retry_after_ms);
    return buf_append(b, "}", 1);
}
