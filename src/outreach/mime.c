/* The MIME message around rendered templates (mail_build in mail.h): RFC 5322
 * headers folded at 76 characters, RFC 2047 encoded-words for non-ASCII names
 * and subjects, quoted-printable bodies (RFC 2045) and multipart/alternative
 * (RFC 2046) with a text and an HTML part. Pure and bounded: it appends to
 * the caller's buf and reads no clock and no random source. Templates are
 * mail.c's job and sending is transport.c's. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/err.h"
#include "core/utf8.h"
#include "outreach/mail.h"
#include "outreach/mail_int.h"

/* RFC 2047 §2 limits a header line holding encoded-words to 76 characters;
 * every header line is kept to that, under RFC 5322's 78. */
#define HDR_LINE_MAX 76
#define EW_MAX       75 /* characters of one encoded-word (RFC 2047 §2) */
#define EW_OVERHEAD  12 /* "=?UTF-8?Q?" and "?=" */
/* An address or a message id cannot be folded: up to HDR_LINE_MAX - 3 bytes
 * (with its angle brackets and a fold's leading space) it fits a line; a
 * longer one, legal up to RFC 5321's 254, gets a line of its own. */
#define ADDR_MAX 254

/* The multipart boundary. Quoted-printable output holds '=' only before two
 * upper-case hex digits or before a line break (a soft break), so "=_" never
 * occurs in an encoded part, and neither can a delimiter line
 * "--=_hark_alternative_1": the boundary needs no randomness and no scan of
 * the bodies. '=' makes the parameter need quotes (RFC 2045 tspecials). */
static const char boundary[] = "=_hark_alternative_1";

static const char hex[] = "0123456789ABCDEF";

/* Header output: the column of the current line for folding, and the first
 * failure, after which writes do nothing (checked once at the end). */
typedef struct hdr {
    buf *out;
    size_t col;
    int rc;
} hdr;

static void put(hdr *h, const char *p, size_t n) {
    if (!h->rc) h->rc = buf_append(h->out, p, n);
}

static void put_s(hdr *h, const char *s) {
    put(h, s, strlen(s));
}

static void field_begin(hdr *h, const char *name) {
    put_s(h, name);
    put(h, ":", 1);
    h->col = strlen(name) + 1;
}

static void field_end(hdr *h) {
    put(h, "\r\n", 2);
    h->col = 0;
}

/* Adds a token after a space, or at the start of a continuation line
 * (folding white space) when the current line has no room for it. Tokens
 * are at most HDR_LINE_MAX - 1 characters but for a long address. */
static void token(hdr *h, const char *p, size_t n) {
    if (h->col + 1 + n > HDR_LINE_MAX) {
        put(h, "\r\n ", 3);
        h->col = 1;
    } else {
        put(h, " ", 1);
        h->col++;
    }
    put(h, p, n);
    h->col += n;
}

/* RFC 2047 §5 (3): the characters a "Q" encoded-word may carry as they are
 * in a phrase, the strictest of its three uses; we use it everywhere. */
static int q_literal(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '!' || c == '*' ||
           c == '+' || c == '-' || c == '/';
}

static size_t q_cost(unsigned char c) {
    return c == ' ' || q_literal(c) ? 1 : 3; /* ' ' is written '_' */
}

/* Bytes of whole characters at S that fit in one encoded-word of at most MAX
 * characters; 0 when not even the first does. */
static size_t ew_fit(const unsigned char *s, size_t len, int q, size_t max) {
    if (max <= EW_OVERHEAD) return 0;
    size_t room = max - EW_OVERHEAD, qlen = 0, i = 0;
    while (i < len) {
        uint32_t cp;
        size_t n = utf8_decode(s + i, len - i, &cp);
        if (n == 0) n = 1; /* not reached: mail_build validated the text */
        size_t cost = 0;
        if (q)
            for (size_t k = 0; k < n; k++) cost += q_cost(s[i + k]);
        if (q ? qlen + cost > room : (i + n + 2) / 3 * 4 > room) break;
        qlen += cost;
        i += n;
    }
    return i;
}

static void encoded_word(hdr *h, const unsigned char *s, size_t n, int q) {
    char w[EW_MAX + 1];
    size_t k = 10;
    memcpy(w, q ? "=?UTF-8?Q?" : "=?UTF-8?B?", k);
    if (q) {
        for (size_t i = 0; i < n; i++) {
            if (s[i] == ' ') {
                w[k++] = '_';
            } else if (q_literal(s[i])) {
                w[k++] = (char)s[i];
            } else {
                w[k++] = '=';
                w[k++] = hex[s[i] >> 4];
                w[k++] = hex[s[i] & 15];
            }
        }
    } else {
        static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        for (size_t i = 0; i < n; i += 3) {
            uint32_t v = (uint32_t)s[i] << 16;
            if (i + 1 < n) v |= (uint32_t)s[i + 1] << 8;
            if (i + 2 < n) v |= s[i + 2];
            w[k++] = b64[v >> 18 & 63];
            w[k++] = b64[v >> 12 & 63];
            w[k++] = i + 1 < n ? b64[v >> 6 & 63] : '=';
            w[k++] = i + 2 < n ? b64[v & 63] : '=';
        }
    }
    w[k++] = '?';
    w[k++] = '=';
    token(h, w, k);
}

/* Writes TEXT as a run of encoded-words, each as long as the line allows (at
 * most EW_MAX), split only between UTF-8 characters. Decoders drop the white
 * space between adjacent encoded-words, so the split adds nothing to the
 * text. Q is chosen when it is no longer than B (mostly Latin text). */
static void encoded_words(hdr *h, const char *text, size_t len) {
    const unsigned char *s = (const unsigned char *)text;
    size_t qlen = 0;
    for (size_t i = 0; i < len; i++) qlen += q_cost(s[i]);
    int q = qlen <= (len + 2) / 3 * 4;
    size_t i = 0;
    while (i < len && !h->rc) {
        size_t here = h->col + 1 < HDR_LINE_MAX ? HDR_LINE_MAX - h->col - 1 : 0;
        size_t n = ew_fit(s + i, len - i, q, here < EW_MAX ? here : EW_MAX);
        if (n == 0) n = ew_fit(s + i, len - i, q, EW_MAX); /* token() starts a new line */
        if (n == 0) {
            h->rc = HARK_EINVAL; /* not reached: a UTF-8 character costs at most 12 */
            return;
        }
        encoded_word(h, s + i, n, q);
        i += n;
    }
}

static int is_atext(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

/* Writes the space-separated words of the printable ASCII S as tokens, so a
 * fold can fall between any two. QUOTE: as one quoted-string, '"' and '\'
 * escaped; RFC 5322 allows folding white space inside it. */
static void ascii_words(hdr *h, const char *s, int quote) {
    char w[HDR_LINE_MAX];
    size_t i = 0, len = strlen(s);
    while (i < len && s[i] == ' ') i++;
    int first = 1;
    while (i < len && !h->rc) {
        size_t k = 0;
        if (quote && first) w[k++] = '"';
        for (; i < len && s[i] != ' '; i++) {
            if (quote && (s[i] == '"' || s[i] == '\\')) w[k++] = '\\';
            w[k++] = s[i];
        }
        while (i < len && s[i] == ' ') i++;
        if (quote && i == len) w[k++] = '"';
        token(h, w, k);
        first = 0;
    }
}

/* How an ASCII name or subject can be written as words: 0 when it cannot
 * (non-ASCII, a word too long for a line, or "=?" that a reader would take
 * for an encoded-word), 1 as plain words, 2 as a quoted-string (a name
 * holding RFC 5322 specials). */
static int ascii_form(const char *s, int phrase) {
    size_t word = 0, longest = 0;
    int specials = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p < 0x20 || *p > 0x7E) return 0;
        if (*p == '=' && p[1] == '?') return 0;
        if (*p == ' ') {
            word = 0;
            continue;
        }
        if (!is_atext(*p)) specials = 1;
        word += *p == '"' || *p == '\\' ? 2 : 1;
        if (word > longest) longest = word;
    }
    int form = phrase && specials ? 2 : 1;
    return longest + (form == 2 ? 2 : 0) <= HDR_LINE_MAX - 1 ? form : 0;
}

static void text_value(hdr *h, const char *s, int phrase) {
    int form = ascii_form(s, phrase);
    if (form)
        ascii_words(h, s, form == 2);
    else
        encoded_words(h, s, strlen(s));
}

static int has_nonblank(const char *s) {
    return s[strspn(s, " ")] != '\0';
}

static void mailbox(hdr *h, const char *field, const char *name, const char *addr) {
    field_begin(h, field);
    if (has_nonblank(name)) {
        text_value(h, name, 1);
        char a[ADDR_MAX + 3];
        int n = snprintf(a, sizeof a, "<%s>", addr);
        token(h, a, (size_t)n);
    } else {
        token(h, addr, strlen(addr));
    }
    field_end(h);
}

/* A name or a subject: valid UTF-8 without control characters. */
static int text_ok(const char *s) {
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++, n++)
        if (*p < 0x20 || *p == 0x7F) return 0;
    return utf8_valid((const unsigned char *)s, n);
}

/* An addr-spec or msg-id without its angle brackets: printable ASCII with no
 * white space and nothing that ends or splits a header token, one '@' with
 * text on both sides, at most ADDR_MAX bytes. */
static int addr_ok(const char *s) {
    size_t n = strlen(s), at = 0, pos = 0;
    if (n == 0 || n > ADDR_MAX) return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c >= 0x7F || strchr("<>()[],;:\\\"", c)) return 0;
        if (c == '@') {
            at++;
            pos = i;
        }
    }
    return at == 1 && pos > 0 && pos + 1 < n;
}

/* "Date: Sat, 05 Dec 2026 10:00:00 +0000" CRLF (RFC 5322 §3.3) into OUT. */
static int format_date(int64_t t, char *out, size_t cap) {
    static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t tt = (time_t)t;
    struct tm tm;
    if ((int64_t)tt != t || !gmtime_r(&tt, &tm)) return HARK_EINVAL;
    if (tm.tm_year < 0 || tm.tm_year > 9999 - 1900) return HARK_EINVAL;
    snprintf(out, cap, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n", days[tm.tm_wday], tm.tm_mday,
             months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return HARK_OK;
}

static size_t qp_unit(const unsigned char *s, size_t len, size_t i, size_t col, int last, char u[3]) {
    unsigned char c = s[i];
    int lit = c == ' ' || c == '\t' ? !last : c >= 33 && c <= 126 && c != '=';
    if (col == 0 && (c == '.' || (c == 'F' && len - i >= 5 && memcmp(s + i, "From ", 5) == 0))) lit = 0;
    if (lit) {
        u[0] = (char)c;
        return 1;
    }
    u[0] = '=';
    u[1] = hex[c >> 4];
    u[2] = hex[c & 15];
    return 3;
}

/* mail_qp_encode; SOFT_END: end text that does not end with a line break
 * with a soft break, so that the output always does. */
static int qp_encode(const char *text, size_t len, int soft_end, buf *out) {
    const unsigned char *s = (const unsigned char *)text;
    char line[MAIL_QP_LINE_MAX + 2]; /* the line, and CRLF */
    size_t col = 0, start = out->len, i = 0;
    int rc = HARK_OK;
    while (i < len && !rc) {
        unsigned char c = s[i];
        if (c == '\r' || c == '\n') {
            memcpy(line + col, "\r\n", 2);
            rc = buf_append(out, line, col + 2);
            col = 0;
            i += c == '\r' && i + 1 < len && s[i + 1] == '\n' ? 2 : 1;
            continue;
        }
        /* The last character of a line may use the column a soft break
         * would take; a blank there must be encoded, or transports may drop
         * it. */
        int last = i + 1 == len || s[i + 1] == '\r' || s[i + 1] == '\n';
        char u[3];
        size_t n = qp_unit(s, len, i, col, last, u);
        if (col + n > (last && !(soft_end && i + 1 == len) ? MAIL_QP_LINE_MAX : MAIL_QP_LINE_MAX - 1)) {
            memcpy(line + col, "=\r\n", 3);
            rc = buf_append(out, line, col + 3);
            col = 0;
            n = qp_unit(s, len, i, col, last, u);
        }
        memcpy(line + col, u, n);
        col += n;
        i++;
    }
    if (!rc && col) {
        if (soft_end) {
            memcpy(line + col, "=\r\n", 3);
            col += 3;
        }
        rc = buf_append(out, line, col);
    }
    if (rc) {
        out->len = start;
        if (out->data) out->data[start] = '\0';
    }
    return rc;
}

int mail_qp_encode(const char *text, size_t len, buf *out) {
    return qp_encode(text, len, 0, out);
}

static void qp_body(hdr *h, const char *text, int soft_end) {
    if (!h->rc) h->rc = qp_encode(text, strlen(text), soft_end, h->out);
}

static void part_headers(hdr *h, const char *type) {
    put_s(h, "Content-Type: ");
    put_s(h, type);
    put_s(h, "; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n");
}

int mail_build(const mail_msg *m, buf *out) {
    if (!m || !out || !m->from_addr || !m->to_addr || !m->subject || !m->text || !m->message_id) return HARK_EINVAL;
    const char *from_name = m->from_name ? m->from_name : "";
    const char *to_name = m->to_name ? m->to_name : "";
    char date[64];
    if (!addr_ok(m->from_addr) || !addr_ok(m->to_addr) || !addr_ok(m->message_id)) return HARK_EINVAL;
    if (!text_ok(from_name) || !text_ok(to_name) || !text_ok(m->subject) || !has_nonblank(m->subject))
        return HARK_EINVAL;
    if (!utf8_valid((const unsigned char *)m->text, strlen(m->text))) return HARK_EINVAL;
    if (m->html && !utf8_valid((const unsigned char *)m->html, strlen(m->html))) return HARK_EINVAL;
    if (format_date(m->date, date, sizeof date)) return HARK_EINVAL;

    size_t start = out->len;
    hdr h = {out, 0, HARK_OK};
    put_s(&h, date);
    mailbox(&h, "From", from_name, m->from_addr);
    mailbox(&h, "To", to_name, m->to_addr);
    field_begin(&h, "Subject");
    text_value(&h, m->subject, 0);
    field_end(&h);
    field_begin(&h, "Message-ID");
    char id[ADDR_MAX + 3];
    int n = snprintf(id, sizeof id, "<%s>", m->message_id);
    token(&h, id, (size_t)n);
    field_end(&h);
    put_s(&h, "MIME-Version: 1.0\r\nAuto-Submitted: auto-generated\r\n");
    if (m->html) {
        put_s(&h, "Content-Type: multipart/alternative;\r\n boundary=\"");
        put_s(&h, boundary);
        put_s(&h, "\"\r\n\r\nThis is a multi-part message in MIME format.\r\n--");
        put_s(&h, boundary);
        put_s(&h, "\r\n");
        part_headers(&h, "text/plain");
        put_s(&h, "\r\n");
        qp_body(&h, m->text, 0);
        put_s(&h, "\r\n--");
        put_s(&h, boundary);
        put_s(&h, "\r\n");
        part_headers(&h, "text/html");
        put_s(&h, "\r\n");
        qp_body(&h, m->html, 0);
        put_s(&h, "\r\n--");
        put_s(&h, boundary);
        put_s(&h, "--\r\n");
    } else {
        part_headers(&h, "text/plain");
        put_s(&h, "\r\n");
        /* End the message with a line break without adding one to the text:
         * a soft break decodes to nothing. */
        qp_body(&h, m->text, 1);
    }
    if (h.rc) {
        out->len = start;
        if (out->data) out->data[start] = '\0';
    }
    return h.rc;
}
