/* The login throttle (auth.h): a fixed-size, set-associative table of
 * failure counts per account and per client address, keyed by a keyed
 * BLAKE2b hash so it holds no personal data. It decides how long a login
 * attempt must wait; it never sees a password and never reads a clock.
 *
 * An entry counts failures in NBUCKETS buckets of BUCKET_MS: the current one
 * and the twelve before it, so a failure counts for 60 to 65 minutes and any
 * 60-minute span holds at most max_failures of them. An entry that holds no
 * failure and no attempt in flight is freed at once, so a table in a quiet
 * hour is empty. */
#include <arpa/inet.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "web/auth.h"

#define WAYS           8                 /* entries a key may occupy */
#define BUCKET_MS      (5 * 60 * 1000LL) /* one bucket of failures */
#define NBUCKETS       13                /* the current bucket and the 12 before it */
#define PENDING_TTL_MS (60 * 1000LL)     /* an attempt in flight this long is forgotten */
#define INFLIGHT_WAIT  1000              /* retry_after when only attempts in flight block */
#define ID_BYTES       16

_Static_assert((NBUCKETS - 1) * BUCKET_MS == AUTH_THROTTLE_WINDOW_MS, "buckets cover the window");

enum { SIDE_ACCOUNT, SIDE_ADDR };

const auth_throttle_policy auth_throttle_account_default = {5, 1000, 30000, 100};
const auth_throttle_policy auth_throttle_addr_default = {20, 1000, 30000, 1000};

typedef struct entry {
    unsigned char id[ID_BYTES]; /* keyed hash of the side and the key */
    int64_t touched_ms;         /* latest use: the least recent is evicted */
    int64_t last_ms;            /* latest failure or attempt: delays count from here */
    int64_t pending_ms;         /* latest attempt let through */
    int64_t bucket;             /* number (time / BUCKET_MS) of the newest bucket */
    uint16_t count[NBUCKETS];   /* failures per bucket, a ring indexed by bucket number */
    uint16_t pending;           /* attempts let through and not yet resolved */
    uint8_t used;
} entry;

struct auth_throttle {
    entry *e; /* sets * WAYS entries */
    size_t sets, used;
    uint64_t evictions;
    unsigned char key[crypto_generichash_KEYBYTES];
    auth_throttle_policy pol[2];
};

static int64_t floor_div(int64_t a, int64_t b) {
    int64_t q = a / b;
    return (a % b != 0 && a < 0) ? q - 1 : q;
}

static size_t ring(int64_t bucket) {
    int64_t r = bucket % NBUCKETS;
    return (size_t)(r < 0 ? r + NBUCKETS : r);
}

auth_throttle *auth_throttle_new(size_t capacity, const auth_throttle_policy *account,
                                 const auth_throttle_policy *addr) {
    if (!account) account = &auth_throttle_account_default;
    if (!addr) addr = &auth_throttle_addr_default;
    if (account->max_failures == 0 || addr->max_failures == 0) return NULL;
    size_t sets = capacity / WAYS + (capacity % WAYS != 0);
    if (sets == 0) sets = 1;
    auth_throttle *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->e = calloc(sets * WAYS, sizeof *t->e);
    if (!t->e) {
        free(t);
        return NULL;
    }
    t->sets = sets;
    t->pol[SIDE_ACCOUNT] = *account;
    t->pol[SIDE_ADDR] = *addr;
    randombytes_buf(t->key, sizeof t->key);
    return t;
}

void auth_throttle_free(auth_throttle *t) {
    if (!t) return;
    sodium_memzero(t->key, sizeof t->key);
    free(t->e);
    free(t);
}

size_t auth_throttle_used(const auth_throttle *t) {
    return t->used;
}

uint64_t auth_throttle_evictions(const auth_throttle *t) {
    return t->evictions;
}

/* Feeds S to the hash with ASCII letters lowercased (e-mails differ in case
 * only when typed differently), in chunks so no copy of S is needed. */
static void update_lower(crypto_generichash_state *st, const char *s) {
    unsigned char chunk[64];
    size_t n = 0;
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        chunk[n++] = (ch >= 'A' && ch <= 'Z') ? (unsigned char)(ch + 32) : ch;
        if (n == sizeof chunk) {
            crypto_generichash_update(st, chunk, n);
            n = 0;
        }
    }
    crypto_generichash_update(st, chunk, n);
}

/* The entry id of KEY on SIDE. Addresses count by network where one client
 * holds many: an IPv6 address by its /64, an IPv4-mapped one as IPv4. */
static void key_id(const auth_throttle *t, int side, const char *key, unsigned char id[ID_BYTES]) {
    crypto_generichash_state st;
    unsigned char tag = (unsigned char)side, a[16];
    crypto_generichash_init(&st, t->key, sizeof t->key, ID_BYTES);
    crypto_generichash_update(&st, &tag, 1);
    if (side == SIDE_ADDR && inet_pton(AF_INET6, key, a) == 1) {
        static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (memcmp(a, mapped, sizeof mapped) == 0) {
            crypto_generichash_update(&st, (const unsigned char *)"4", 1);
            crypto_generichash_update(&st, a + 12, 4);
        } else {
            crypto_generichash_update(&st, (const unsigned char *)"6", 1);
            crypto_generichash_update(&st, a, 8);
        }
    } else if (side == SIDE_ADDR && inet_pton(AF_INET, key, a) == 1) {
        crypto_generichash_update(&st, (const unsigned char *)"4", 1);
        crypto_generichash_update(&st, a, 4);
    } else {
        crypto_generichash_update(&st, (const unsigned char *)"t", 1);
        update_lower(&st, key);
    }
    crypto_generichash_final(&st, id, ID_BYTES);
}

/* Ages E to NOW: clears the buckets that left the window and forgets an
 * attempt in flight for too long. A clock that went back changes nothing. */
static void advance(entry *e, int64_t now) {
    int64_t b = floor_div(now, BUCKET_MS);
    if (b > e->bucket) {
        if (b - e->bucket >= NBUCKETS)
            memset(e->count, 0, sizeof e->count);
        else
            for (int64_t i = e->bucket + 1; i <= b; i++) e->count[ring(i)] = 0;
        e->bucket = b;
    }
    if (e->pending && now - e->pending_ms >= PENDING_TTL_MS) e->pending = 0;
}

static uint32_t failures(const entry *e) {
    uint32_t n = 0;
    for (int i = 0; i < NBUCKETS; i++) n += e->count[i];
    return n;
}

static void release_entry(auth_throttle *t, entry *e) {
    memset(e, 0, sizeof *e);
    t->used--;
}

/* Frees E if, aged to NOW, it holds nothing. Returns 1 if it did. */
static int drop_if_empty(auth_throttle *t, entry *e, int64_t now) {
    advance(e, now);
    if (e->pending || failures(e)) return 0;
    release_entry(t, e);
    return 1;
}

/* The entry for ID, or NULL. With CREATE, a missing entry is made, in a free
 * way of its set or else in place of the one used least recently. */
static entry *find(auth_throttle *t, const unsigned char id[ID_BYTES], int create, int64_t now) {
    uint64_t h;
    memcpy(&h, id, sizeof h);
    entry *set = t->e + (size_t)(h % t->sets) * WAYS, *victim = NULL;
    for (int w = 0; w < WAYS; w++)
        if (set[w].used && memcmp(set[w].id, id, ID_BYTES) == 0) return &set[w];
    if (!create) return NULL;
    for (int w = 0; w < WAYS; w++) {
        if (set[w].used && !drop_if_empty(t, &set[w], now)) {
            if (!victim || (victim->used && set[w].touched_ms < victim->touched_ms)) victim = &set[w];
        } else if (!victim || victim->used) {
            victim = &set[w];
        }
    }
    if (victim->used) {
        release_entry(t, victim);
        t->evictions++;
    }
    memcpy(victim->id, id, ID_BYTES);
    victim->used = 1;
    victim->bucket = floor_div(now, BUCKET_MS);
    victim->touched_ms = now;
    t->used++;
    return victim;
}

static entry *lookup(auth_throttle *t, int side, const char *key, int create, int64_t now) {
    unsigned char id[ID_BYTES];
    if (!key || !*key) return NULL;
    key_id(t, side, key, id);
    return find(t, id, create, now);
}

/* How long an attempt on E must wait at NOW under P (0: it may go). */
static int64_t wait_for(entry *e, const auth_throttle_policy *p, int64_t now) {
    advance(e, now);
    uint32_t fails = failures(e), n = fails + e->pending;
    if (n >= p->max_failures) {
        if (fails < p->max_failures) return INFLIGHT_WAIT; /* the attempts in flight hold the last places */
        /* Wait until enough of the oldest buckets leave the window. */
        uint32_t need = fails - p->max_failures + 1, gone = 0;
        for (int64_t b = e->bucket - (NBUCKETS - 1); b <= e->bucket; b++) {
            gone += e->count[ring(b)];
            if (gone >= need) return (b + NBUCKETS) * BUCKET_MS - now;
        }
    }
    if (n < p->free_failures) return 0;
    uint32_t steps = n - p->free_failures;
    uint64_t delay = steps >= 32 ? p->max_delay_ms : (uint64_t)p->base_delay_ms << steps;
    if (delay > p->max_delay_ms) delay = p->max_delay_ms;
    int64_t since = now > e->last_ms ? now - e->last_ms : 0;
    return (uint64_t)since >= delay ? 0 : (int64_t)delay - since;
}

int64_t auth_throttle_check(auth_throttle *t, const char *account, const char *addr, int64_t now_ms) {
    const char *keys[2] = {account, addr};
    int64_t wait = 0;
    for (int side = 0; side < 2; side++) {
        entry *e = lookup(t, side, keys[side], 0, now_ms);
        if (!e) continue;
        int64_t w = wait_for(e, &t->pol[side], now_ms);
        if (w > wait) wait = w;
    }
    if (wait) return wait;
    for (int side = 0; side < 2; side++) {
        entry *e = lookup(t, side, keys[side], 1, now_ms);
        if (!e) continue;
        advance(e, now_ms);
        if (e->pending < UINT16_MAX) e->pending++;
        e->pending_ms = now_ms;
        if (now_ms > e->last_ms) e->last_ms = now_ms;
        e->touched_ms = now_ms;
    }
    return 0;
}

void auth_throttle_fail(auth_throttle *t, const char *account, const char *addr, int64_t now_ms) {
    const char *keys[2] = {account, addr};
    for (int side = 0; side < 2; side++) {
        entry *e = lookup(t, side, keys[side], 1, now_ms);
        if (!e) continue;
        advance(e, now_ms);
        uint16_t *c = &e->count[ring(e->bucket)];
        if (*c < UINT16_MAX) (*c)++;
        if (e->pending) e->pending--;
        if (now_ms > e->last_ms) e->last_ms = now_ms;
        e->touched_ms = now_ms;
    }
}

/* Ends an attempt in flight on each side without recording a failure; with
 * CLEAR_ACCOUNT the account's record goes too. */
static void resolve(auth_throttle *t, const char *account, const char *addr, int64_t now_ms, int clear_account) {
    const char *keys[2] = {account, addr};
    for (int side = 0; side < 2; side++) {
        entry *e = lookup(t, side, keys[side], 0, now_ms);
        if (!e) continue;
        if (side == SIDE_ACCOUNT && clear_account) {
            release_entry(t, e);
            continue;
        }
        if (e->pending) e->pending--;
        e->touched_ms = now_ms;
        drop_if_empty(t, e, now_ms);
    }
}

void auth_throttle_success(auth_throttle *t, const char *account, const char *addr, int64_t now_ms) {
    resolve(t, account, addr, now_ms, 1);
}

void auth_throttle_release(auth_throttle *t, const char *account, const char *addr, int64_t now_ms) {
    resolve(t, account, addr, now_ms, 0);
}
