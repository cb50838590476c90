/* email: the one check of an email address that Hark stores or writes to.
 * The employee import refuses what it rejects, and outreach skips what it
 * rejects, so the two can never disagree: an address the import let in is
 * one outreach will write to. It catches real mistakes (a missing '@', a
 * space, a domain without a dot) and what cannot be put in a mail header
 * unquoted; it is not RFC 5321 in full and does no DNS look-up. */
#ifndef HARK_EMAIL_H
#define HARK_EMAIL_H

#include <stddef.h>

/* The longest address in bytes (RFC 5321's 256-byte path less its angle
 * brackets). */
#define EMAIL_MAX 254

/* Why the LEN bytes at S are not an acceptable address, or NULL when they
 * are. The reason is a static English phrase that completes "the address
 * ..." ("has no '@'", "contains a space"); it never quotes the address,
 * which is personal data. Acceptable means: 1 to EMAIL_MAX bytes of valid
 * UTF-8 without control characters (C0, DEL, C1), no space and none of
 * < > ( ) , ; " \, exactly one '@' with text before it, and after it a domain
 * that holds a dot, neither starts nor ends with one and has no two in a
 * row. S need not be NUL-terminated; it may be NULL when LEN is 0. */
const char *email_problem(const char *s, size_t len);

#endif
