/* auth: the pure core of HR dashboard authentication. Password hashing,
 * session tokens and their timeouts, login throttling, CSRF tokens and the
 * Origin check, the session cookie, the security response headers and API
 * tokens for integrations. It holds no database and no HTTP server code: the
 * store keeps the rows, the routes call these functions, and every function
 * that depends on time takes NOW_MS (Unix milliseconds) instead of reading a
 * clock, so tests drive it with a fake one.
 *
 * Files: auth.c (passwords, session tokens and timeouts, CSRF, API tokens),
 * auth_http.c (cookie, Origin, Authorization, security headers),
 * auth_throttle.c (the login throttle table).
 *
 * How a request uses it (the wiring, in web/):
 *   every response     add auth_security_headers(https).
 *   Authorization: Bearer hark_...  -> auth_bearer_token, auth_apitoken_hash,
 *                      look the hash up in api_tokens, auth_apitoken_verify,
 *                      auth_scopes_allow. No cookie and no CSRF token is
 *                      consulted on this path (a bearer token is never sent
 *                      by a browser on its own, so it cannot be forged by
 *                      another site).
 *   otherwise          auth_cookie_get(Cookie, auth_cookie_name(https)),
 *                      auth_session_hash, look the hash up in sessions,
 *                      auth_session_check (delete the row when expired,
 *                      UPDATE last_seen_at when it says refresh), and for
 *                      a method that is not auth_method_is_safe:
 *                      auth_origin_ok and auth_csrf_check on X-CSRF-Token.
 *   POST /api/v1/session  auth_origin_ok, auth_throttle_check (429 with
 *                      Retry-After), auth_password_verify on a worker thread
 *                      (NULL hash for an unknown tenant or e-mail, so the
 *                      answer takes as long), auth_throttle_fail or _success,
 *                      then auth_session_new: always a new token at login,
 *                      and the row of any session the request carried is
 *                      deleted. The answer sets auth_cookie_build and carries
 *                      {"csrf_token": auth_csrf_token(...)}.
 *   DELETE /api/v1/session  delete the row by its hash, auth_cookie_clear.
 *   account disabled, password or role changed: delete every sessions row of
 *                      that user. Sessions live only in their rows, so
 *                      deleting a row ends the session on its next request.
 *
 * libsodium must be initialised first (main.c calls sodium_init).
 *
 * Errors follow core/err.h. A wrong credential of any kind (password, session
 * token, CSRF token, API token) is HARK_EBADTOKEN. */
#ifndef HARK_AUTH_H
#define HARK_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "core/token.h" /* TOKEN_KEY_BYTES: the instance's secret key */

/* ---- passwords ---- */

/* argon2id with these costs: the OWASP minimum (19 MiB, t = 2, p = 1), the
 * same as cli_provision_tenant uses. Raising them makes auth_password_verify
 * report needs_rehash for every older hash, which the login then replaces. */
#define AUTH_PWHASH_OPSLIMIT 2
#define AUTH_PWHASH_MEMLIMIT (19u * 1024 * 1024)
#define AUTH_PWHASH_MAX      128  /* crypto_pwhash_STRBYTES: a stored hash with its NUL */
#define AUTH_PASSWORD_MAX    1024 /* longest password accepted, in bytes */

/* Hashes PW (LEN bytes, any bytes) into OUT, a NUL-terminated
 * "$argon2id$v=19$m=19456,t=2,p=1$..." string owned by the caller. Takes tens
 * of milliseconds and 19 MiB: call it from a worker thread, never the loop.
 * Thread-safe. Returns 0, HARK_EINVAL (empty password), HARK_ETOOBIG (longer
 * than AUTH_PASSWORD_MAX) or HARK_ENOMEM. */
int auth_password_hash(const char *pw, size_t len, char out[AUTH_PWHASH_MAX]);

/* Checks PW against STORED (a hash from auth_password_hash, or any argon2i /
 * argon2id string libsodium accepts) in constant time. With STORED NULL (no
 * such tenant or user) it spends the same time on a fixed dummy hash and
 * fails, so the answer does not tell which e-mails exist. On success
 * *NEEDS_REHASH (if not NULL) is 1 when STORED was made with other costs or
 * another algorithm: the caller then stores auth_password_hash(PW) instead.
 * Same thread rules as auth_password_hash. Returns 0, HARK_EBADTOKEN (wrong
 * password, or STORED NULL) or HARK_EINVAL (STORED is not a password hash). */
int auth_password_verify(const char *stored, const char *pw, size_t len, int *needs_rehash);

/* ---- session tokens ---- */

#define AUTH_HASH_BYTES           32 /* SHA-256: what the store keeps for a token */
#define AUTH_SESSION_RANDOM_BYTES 16 /* 128 bits */
#define AUTH_SESSION_TOKEN_LEN    22 /* the 16 bytes in unpadded base64url */
#define AUTH_SESSION_TOKEN_MAX    (AUTH_SESSION_TOKEN_LEN + 1)

#define AUTH_IDLE_TIMEOUT_MS     (30 * 60 * 1000LL)      /* 30 min without a request */
#define AUTH_ABSOLUTE_TIMEOUT_MS (12 * 60 * 60 * 1000LL) /* 12 h after login, whatever happens */
#define AUTH_REFRESH_INTERVAL_MS (60 * 1000LL)           /* last_seen_at written at most once a minute */

/* Makes a new session token (128 random bits) into TOKEN, the cookie value,
 * and its SHA-256 into HASH, the only form the store may keep: a leaked
 * sessions table then yields no usable session. */
void auth_session_new(char token[AUTH_SESSION_TOKEN_MAX], unsigned char hash[AUTH_HASH_BYTES]);

/* Checks that TOKEN (LEN bytes, from a cookie) has the shape of a session
 * token and writes its hash, the key to look the session up by. Returns 0 or
 * HARK_EBADTOKEN (wrong length or alphabet: no lookup needed). */
int auth_session_hash(const char *token, size_t len, unsigned char hash[AUTH_HASH_BYTES]);

/* The life of a session row, judged by auth_session_check at each request. */
typedef enum auth_session_state {
    AUTH_SESSION_VALID = 0,        /* in use; the request proceeds */
    AUTH_SESSION_EXPIRED_IDLE,     /* no request for AUTH_IDLE_TIMEOUT_MS: the caller deletes the row */
    AUTH_SESSION_EXPIRED_ABSOLUTE, /* AUTH_ABSOLUTE_TIMEOUT_MS since login: the caller deletes the row */
} auth_session_state;

/* Judges a session created at CREATED_AT and last recorded as used at
 * LAST_SEEN_AT (both Unix ms, from its row) at NOW_MS. Expired exactly at the
 * boundary: now - last_seen_at >= 30 min is idle, now - created_at >= 12 h is
 * absolute (absolute wins when both hold). Times ahead of NOW_MS (another
 * node's clock) count as NOW_MS. When the session is valid, *REFRESH (if not
 * NULL) is 1 when last_seen_at is AUTH_REFRESH_INTERVAL_MS old or more, so
 * the caller writes last_seen_at = NOW_MS at most once a minute; otherwise 0.
 * Because of that slack a session idles out between 29 and 30 minutes after
 * its last request. */
auth_session_state auth_session_check(int64_t created_at, int64_t last_seen_at, int64_t now_ms, int *refresh);

/* The moment (Unix ms) a session with these times expires if unused: the
 * earlier of last_seen_at + idle and created_at + absolute. For the JSON
 * answer and for the store's sweep of dead rows. */
int64_t auth_session_deadline(int64_t created_at, int64_t last_seen_at);

/* ---- CSRF (synchronizer token) ---- */

#define AUTH_CSRF_LEN 43 /* HMAC-SHA-256 in unpadded base64url */
#define AUTH_CSRF_MAX (AUTH_CSRF_LEN + 1)

/* Derives the CSRF token of the session whose cookie value is SESSION (LEN
 * bytes): HMAC-SHA-256 under the instance KEY of a labelled copy of the
 * session token, so it needs no storage, changes with every login and is
 * useless without the cookie. The page receives it in a JSON answer (login,
 * GET /api/v1/session) and sends it back in X-CSRF-Token. */
void auth_csrf_token(const unsigned char key[TOKEN_KEY_BYTES], const char *session, size_t len,
                     char out[AUTH_CSRF_MAX]);

/* Checks HEADER (the X-CSRF-Token value; NULL when absent) against the token
 * of SESSION with a constant-time comparison. Returns 0 or HARK_EBADTOKEN. */
int auth_csrf_check(const unsigned char key[TOKEN_KEY_BYTES], const char *session, size_t len, const char *header);

/* 1 for GET, HEAD and OPTIONS (which must change nothing and need no CSRF
 * token), 0 for every other method, including unknown ones. */
int auth_method_is_safe(const char *method);

/* Whether the Origin header ORIGIN may send a state-changing request to this
 * server, reached as HOST (the Host header; may be NULL). Allowed: an ORIGIN
 * "http(s)://HOST" (same origin; default ports :80 / :443 ignored, case
 * ignored), or one equal to an entry of ALLOWED_ORIGINS (the allowed_origins
 * setting, comma-separated; NULL or "" for none; "*" is ignored here: a
 * wildcard is never right for requests that carry the session cookie). A
 * missing ORIGIN (NULL: non-browser clients) is allowed: the CSRF token still
 * guards every cookie request. "null", an empty string, anything with a path,
 * query or credentials is refused. Returns 1 (allowed) or 0. */
int auth_origin_ok(const char *origin, const char *host, const char *allowed_origins);

/* ---- the session cookie ---- */

/* Over HTTPS the cookie is "__Host-hark_session": browsers accept that name
 * only with Secure, Path=/ and no Domain, so no other host, not even a
 * sibling subdomain, can set or shadow it. Browsers refuse a Secure cookie,
 * and so any __Host- cookie, from a plain-HTTP page (some make an exception
 * for localhost, Safari does not), so over plain HTTP (evaluation on
 * 127.0.0.1 only: anywhere else the token would cross the network in clear)
 * the server uses "hark_session" without Secure. HTTPS is decided once from the
 * configuration (public_url starting with https://, TLS ending at nginx), not
 * per request from a header a client could send. */
#define AUTH_COOKIE_NAME_HTTPS "__Host-hark_session"
#define AUTH_COOKIE_NAME_PLAIN "hark_session"
#define AUTH_COOKIE_HEADER_MAX 8192 /* a longer Cookie header is refused */
#define AUTH_SET_COOKIE_MAX    160  /* room for any auth_cookie_build / _clear line */

/* The cookie name for this server (a static string). */
const char *auth_cookie_name(int https);

/* Finds cookie NAME in HEADER (the Cookie request header; NULL when absent)
 * and copies its value, without surrounding double quotes, into OUT (CAP
 * bytes, NUL-terminated). Tolerates spaces and tabs around ';' and '=',
 * empty pairs and pairs without '='; names match exactly (case matters).
 * The same name twice with the same value is accepted; with different values
 * the header is ambiguous (someone planted a second cookie) and refused.
 * Returns 0, HARK_ENOTFOUND, HARK_EINVAL (ambiguous, or a value with
 * characters RFC 6265 forbids), HARK_ETOOBIG (HEADER longer than
 * AUTH_COOKIE_HEADER_MAX or the value does not fit in CAP). */
int auth_cookie_get(const char *header, const char *name, char *out, size_t cap);

/* Writes the Set-Cookie value giving TOKEN to the browser into OUT (CAP >=
 * AUTH_SET_COOKIE_MAX): HttpOnly, SameSite=Lax, Path=/, Max-Age of the
 * absolute timeout, and Secure with the __Host- name when HTTPS. Returns 0 or
 * HARK_EINVAL (TOKEN not a session token, or CAP too small). */
int auth_cookie_build(char *out, size_t cap, int https, const char *token);

/* Writes the Set-Cookie value that deletes the cookie (logout, expired or
 * unknown session). Returns 0 or HARK_EINVAL (CAP too small). */
int auth_cookie_clear(char *out, size_t cap, int https);

/* ---- security headers ---- */

typedef struct auth_header {
    const char *name, *value;
} auth_header;

/* The headers every response carries, as a static table ended by a {NULL,
 * NULL} entry: Content-Security-Policy (no inline script or style, no
 * framing), X-Content-Type-Options, Referrer-Policy (no-referrer: chat links
 * carry tokens), X-Frame-Options, Cross-Origin-Opener-Policy, and with HTTPS
 * Strict-Transport-Security. */
const auth_header *auth_security_headers(int https);

/* ---- API tokens ---- */

/* "hark_" and 32 characters of [A-Za-z0-9] (190 random bits). Shown once at
 * creation; the store keeps its SHA-256 and the display prefix, "hark_" and
 * the first 4 random characters (24 of the 190 bits: not a secret). */
#define AUTH_APITOKEN_LEN        37
#define AUTH_APITOKEN_MAX        (AUTH_APITOKEN_LEN + 1)
#define AUTH_APITOKEN_PREFIX_LEN 9
#define AUTH_APITOKEN_PREFIX_MAX (AUTH_APITOKEN_PREFIX_LEN + 1)

/* Makes a new API token into TOKEN (to show once), its display PREFIX and its
 * HASH (to store). */
void auth_apitoken_new(char token[AUTH_APITOKEN_MAX], char prefix[AUTH_APITOKEN_PREFIX_MAX],
                       unsigned char hash[AUTH_HASH_BYTES]);

/* Checks the shape of TOKEN (LEN bytes) and writes its hash, the key to look
 * it up by. Returns 0 or HARK_EBADTOKEN. */
int auth_apitoken_hash(const char *token, size_t len, unsigned char hash[AUTH_HASH_BYTES]);

/* Checks TOKEN against the hash STORED in the row found by its hash, in
 * constant time (a second guard after an index lookup, which is not). Returns
 * 0 or HARK_EBADTOKEN. */
int auth_apitoken_verify(const char *token, size_t len, const unsigned char stored[AUTH_HASH_BYTES]);

/* Finds the token in an Authorization header value ("Bearer TOKEN", scheme
 * case-insensitive, spaces around). *TOKEN points into HEADER, *LEN is its
 * length. Returns 0, HARK_ENOTFOUND (NULL, or another scheme) or HARK_EINVAL
 * (Bearer without a token, or with spaces inside it). */
int auth_bearer_token(const char *header, const char **token, size_t *len);

/* Scopes an API token may hold, as bits. A bit's value is stored in the
 * database: never renumber one, only add. No scope implies another: a route
 * names all it needs. Tokens never get user, token, flow, settings or webhook
 * administration: those stay with signed-in owners and admins.
 *   read:dashboard     aggregates: overview, heatmap, outreach status
 *   read:comments      free-text answers: comments, responses export
 *   read:employees     the employee list and records
 *   write:employees    change, delete and import employees
 *   read:escalations   red flags and their state
 *   write:escalations  assign and resolve escalations
 *   read:audit         the audit log */
enum {
    AUTH_SCOPE_READ_DASHBOARD = 1u << 0,
    AUTH_SCOPE_READ_COMMENTS = 1u << 1,
    AUTH_SCOPE_READ_EMPLOYEES = 1u << 2,
    AUTH_SCOPE_WRITE_EMPLOYEES = 1u << 3,
    AUTH_SCOPE_READ_ESCALATIONS = 1u << 4,
    AUTH_SCOPE_WRITE_ESCALATIONS = 1u << 5,
    AUTH_SCOPE_READ_AUDIT = 1u << 6,
};
#define AUTH_SCOPE_ALL       0x7Fu
#define AUTH_SCOPES_TEXT_MAX 160 /* every scope, comma-separated, with its NUL */

/* Parses "read:dashboard,write:employees" (spaces around names allowed,
 * repeats harmless) into *OUT. Returns 0 or HARK_EINVAL (an unknown or empty
 * name, or no scope at all), with the reason in ERR (ERRLEN bytes, may be
 * NULL). */
int auth_scopes_parse(const char *text, uint32_t *out, char *err, size_t errlen);

/* Writes SCOPES as the canonical comma-separated text (bits in the order
 * above) into OUT. Returns 0, HARK_EINVAL (an unknown bit) or HARK_ETOOBIG. */
int auth_scopes_format(uint32_t scopes, char *out, size_t cap);

/* 1 when HAVE holds every bit of NEED. */
int auth_scopes_allow(uint32_t have, uint32_t need);

/* ---- login throttling ---- */

/* A bounded in-memory table of failed logins, one entry per account and one
 * per client address, keyed by a keyed BLAKE2b hash (a random key made at
 * creation), so the table holds no e-mail or address. Not thread-safe: one
 * table per process, used only from the loop thread (the password check runs
 * on a worker thread and its result comes back to the loop, where _fail or
 * _success is called).
 *
 * Per key: the failures of the last hour (counted in 5-minute buckets, so
 * the window slides and an old failure stops counting 60 to 65 minutes
 * later), and the attempts in flight. Once free_failures is reached, each
 * attempt must wait base_delay_ms after the latest failure, doubling with
 * each further failure up to max_delay_ms; once max_failures are counted in
 * the window, nothing is tried until enough of them age out. Attempts in
 * flight count as failures for this, so parallel requests cannot outrun the
 * limit; one left unresolved for a minute is forgotten.
 *
 * A success clears the account's entry only: the address keeps its record,
 * or an attacker holding one good account could clear their address while
 * guessing others. Accounts and addresses have their own limits: an address
 * that tries many accounts is slowed (and a busy office behind one NAT
 * address gets more room than one account), while those accounts keep
 * their own counts. Nothing locks for good: delays are capped and failures
 * age out. A sustained attack on one account does keep its owner waiting
 * for as long as it lasts (at most max_failures an hour get through).
 *
 * The table has a fixed capacity: a key lives in one set of 8 entries chosen
 * by its hash; when the set is full the entry used least recently is evicted
 * (one holding nothing is preferred), so memory never grows. */
typedef struct auth_throttle auth_throttle;

typedef struct auth_throttle_policy {
    uint32_t free_failures; /* failures in the window before delays start */
    uint32_t base_delay_ms; /* the first delay; it doubles per further failure */
    uint32_t max_delay_ms;  /* the cap of the delay */
    uint32_t max_failures;  /* at most this many failures per hour */
} auth_throttle_policy;

/* Accounts: 5 free, then 1 s doubling to 30 s, at most 100 an hour.
 * Addresses: 20 free, then 1 s doubling to 30 s, at most 1000 an hour. */
extern const auth_throttle_policy auth_throttle_account_default, auth_throttle_addr_default;

#define AUTH_THROTTLE_WINDOW_MS (60 * 60 * 1000LL)

/* Creates a table of CAPACITY entries (rounded up to a multiple of 8, at
 * least 8). ACCOUNT and ADDR may be NULL for the defaults. The caller owns
 * the table (auth_throttle_free). Returns NULL on allocation failure or a
 * policy with a zero max_failures. */
auth_throttle *auth_throttle_new(size_t capacity, const auth_throttle_policy *account,
                                 const auth_throttle_policy *addr);
void auth_throttle_free(auth_throttle *t);

/* ACCOUNT is the tenant slug, '/', and the e-mail as typed (ASCII case is
 * ignored); ADDR is the client address in text (an IPv6 address counts by
 * its /64, an IPv4-mapped one as IPv4). Either may be NULL or "" to leave
 * that side out.
 *
 * auth_throttle_check: 0 when the attempt may go ahead (and it is then
 * counted as in flight), else the milliseconds to wait before asking again
 * (for Retry-After; the attempt must not be made). After a 0, call exactly
 * one of _fail (wrong credentials, unknown account included), _success, or
 * _release (no verdict, e.g. a database error) with the same keys. */
int64_t auth_throttle_check(auth_throttle *t, const char *account, const char *addr, int64_t now_ms);
void auth_throttle_fail(auth_throttle *t, const char *account, const char *addr, int64_t now_ms);
void auth_throttle_success(auth_throttle *t, const char *account, const char *addr, int64_t now_ms);
void auth_throttle_release(auth_throttle *t, const char *account, const char *addr, int64_t now_ms);

/* Entries in use and entries evicted since creation (for metrics and tests). */
size_t auth_throttle_used(const auth_throttle *t);
uint64_t auth_throttle_evictions(const auth_throttle *t);

#endif
