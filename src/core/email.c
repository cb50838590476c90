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

const char *email_problem(const char *s, size_t len) {
    if (len == 0) return "is empty";
    if (len > EMAIL_MAX) return "is longer than 254 bytes";
    const char *why = utf8_text_problem(s, len);
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
