/* The email address check (email.h). One function with no state, shared by
 * the employee import (web/import.c) and outreach (planner and compose). The
 * order of the checks decides which reason a bad address gets; the import
 * shows it to the user, so keep the order when adding a check. */
#include <stdint.h>
#include <string.h>

#include "core/email.h"
#include "core/utf8.h"

/* Characters that end or split an address in a mail header, or need quoting
 * there. */
static const char forbidden[] = "<>(),;\"\\";

/* Why the LEN bytes at S are not text fit for an address (invalid UTF-8 or
 * a control character), or NULL. */
static const char *text_problem(const char *s, size_t len) {
    size_t i = 0;
    while (i < len) {
        unsigned char ch = (unsigned char)s[i];
        if (ch < 0x80) {
            if (ch < 0x20 || ch == 0x7f) return "contains a control character";
            i++;
            continue;
        }
        uint32_t cp;
        size_t n = utf8_decode((const unsigned char *)s + i, len - i, &cp);
        if (!n) return "is not valid UTF-8";
        if (cp <= 0x9f) return "contains a control character";
        i += n;
    }
    return NULL;
}

const char *email_problem(const char *s, size_t len) {
    if (len == 0) return "is empty";
    if (len > EMAIL_MAX) return "is longer than 254 bytes";
    const char *why = text_problem(s, len);
    if (why) return why;
    const char *at = memchr(s, '@', len);
    if (!at) return "has no '@'";
    const char *domain = at + 1;
    size_t dlen = len - (size_t)(domain - s);
    if (memchr(domain, '@', dlen)) return "has more than one '@'";
    if (memchr(s, ' ', len)) return "contains a space";
    if (at == s) return "has nothing before the '@'";
    if (!dlen) return "has no domain after the '@'";
    if (!memchr(domain, '.', dlen)) return "has no dot in its domain";
    if (domain[0] == '.' || domain[dlen - 1] == '.') return "has a domain that starts or ends with a dot";
    for (size_t i = 0; i + 1 < dlen; i++)
        if (domain[i] == '.' && domain[i + 1] == '.') return "has two dots in a row in its domain";
    for (size_t i = 0; i < len; i++)
        if (memchr(forbidden, s[i], sizeof forbidden - 1)) return "contains one of < > ( ) , ; \" \\";
    return NULL;
}
