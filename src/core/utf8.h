/* UTF-8 validation and decoding, strict as RFC 3629 demands: overlong forms,
 * UTF-16 surrogates (U+D800..U+DFFF) and code points above U+10FFFF are
 * rejected. Shared by nlp (answer text) and net (WebSocket text frames). It
 * does no normalisation and no case folding. */
#ifndef HARK_UTF8_H
#define HARK_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Returns 1 when the LEN bytes at S are well-formed UTF-8, else 0. An empty
 * string is valid; NUL bytes are valid (U+0000). S may be NULL when LEN is 0. */
int utf8_valid(const unsigned char *s, size_t len);

/* Decodes the code point at S (LEN bytes available) into *CP. Returns the
 * number of bytes it takes (1..4), or 0 when S does not start with a complete,
 * well-formed sequence (or LEN is 0); *CP is untouched then. */
size_t utf8_decode(const unsigned char *s, size_t len, uint32_t *cp);

/* Why the LEN bytes at S are not one line of plain text: "is not valid UTF-8"
 * or "contains a control character" (C0 such as a line break or a tab, DEL,
 * or C1); NULL when they are fine. For values that go into headers, CSV
 * cells and addresses. */
const char *utf8_text_problem(const char *s, size_t len);

#endif
