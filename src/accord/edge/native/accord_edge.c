/*
 * accord-edge: Accord's native click edge.
 *
 * Answers GET /c/CODE (a click: 302 to the landing page with a click id) and GET /i/CODE
 * (an impression: a 1x1 GIF) on its own tracking port, with the same rules as the Python
 * edge (accord.edge.click, accord.tracking.model): sub1..sub5, UTM passthrough, safe deep
 * links, the program's click id parameter, link expiry, duplicate flags and trusted proxies.
 *
 * Links come from a snapshot file that Accord rewrites whenever a link or a program changes;
 * each thread re-reads it when its modification time, size or inode changes.
 *
 * Every event is appended to a spool segment (JSON lines) before any response of the same
 * event-loop turn is sent: one write() per turn for all the events of that turn. Once write()
 * returns the kernel holds the data, so killing this process loses no event whose response
 * was sent. Segments are named edge-PID-THREAD-SEQ.part while written (and flock()ed) and
 * renamed to .jsonl when complete; Accord's loader stores them and deletes them.
 *
 * Usage: accord-edge --listen HOST:PORT --links FILE --spool DIR
 *                    [--threads N] [--trusted IP[,IP...]] [--rotate-ms MS]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_REQUEST 16384          /* request line and headers */
#define SUB_ID_MAX 255             /* characters, as accord.tracking.model.SUB_ID_MAX */
#define AGENT_MAX 512
#define REFERRER_MAX 2000
#define FETCH_DEST_MAX 16
#define DESTINATION_MAX 2000
#define IP_MAX 64
#define IDLE_SECONDS 60
#define SEGMENT_MAX_BYTES (8u << 20)
#define DUP_SLOTS (1u << 20)
#define DUP_PROBE 16
#define MAX_XFF 64
#define NETLOC_MAX 255             /* as accord.tracking.model.NETLOC_MAX */
#define OUT_MAX (1u << 20)         /* responses a client leaves unread before it is dropped */
#define BACKLOG_MAX (64u << 10)    /* unsent responses above which requests wait */

/* ---------------------------------------------------------------- growable buffers */

typedef struct {
    char *p;
    size_t len, cap;
} buf_t;

static void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("accord-edge: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static void reserve(buf_t *b, size_t extra) {
    if (b->len + extra <= b->cap) return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra) cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) die("out of memory");
    b->p = p;
    b->cap = cap;
}

static void put(buf_t *b, const char *s, size_t n) {
    if (!n) return;
    reserve(b, n);
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

static void puts_(buf_t *b, const char *s) { put(b, s, strlen(s)); }

static void putc_(buf_t *b, char c) {
    reserve(b, 1);
    b->p[b->len++] = c;
}

static const char HEX[] = "0123456789ABCDEF";

static int hexval(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* A slice of some buffer. */
typedef struct {
    const char *p;
    size_t n;
} str_t;

static int str_eq(str_t a, const char *b) { return a.n == strlen(b) && memcmp(a.p, b, a.n) == 0; }

static int str_ieq(const char *a, size_t n, const char *b) {
    if (n != strlen(b)) return 0;
    for (size_t i = 0; i < n; i++) {
        int x = a[i];
        if (x >= 'A' && x <= 'Z') x += 32;
        if (x != b[i]) return 0;
    }
    return 1;
}

static const char *find(const char *s, size_t n, char c) { return n ? memchr(s, c, n) : NULL; }

static int contains(str_t s, const char *needle) {
    size_t m = strlen(needle);
    return m <= s.n && memmem(s.p, s.n, needle, m) != NULL;
}

/* ---------------------------------------------------------------- UTF-8 */

/* Decode `n` bytes as UTF-8 into `out`, replacing each maximal invalid subpart with U+FFFD,
 * as Python's bytes.decode("utf-8", "replace") does. */
static void utf8_sanitize(buf_t *out, const unsigned char *s, size_t n) {
    static const char REPLACEMENT[] = "\xEF\xBF\xBD";
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        if (c < 0x80) {
            putc_(out, (char)c);
            i++;
            continue;
        }
        size_t need;
        unsigned lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF) need = 1;
        else if (c == 0xE0) need = 2, lo = 0xA0;
        else if (c >= 0xE1 && c <= 0xEC) need = 2;
        else if (c == 0xED) need = 2, hi = 0x9F;
        else if (c >= 0xEE && c <= 0xEF) need = 2;
        else if (c == 0xF0) need = 3, lo = 0x90;
        else if (c >= 0xF1 && c <= 0xF3) need = 3;
        else if (c == 0xF4) need = 3, hi = 0x8F;
        else {
            put(out, REPLACEMENT, 3);
            i++;
            continue;
        }
        size_t j = 1;
        for (; j <= need; j++) {
            if (i + j >= n) break;
            unsigned d = s[i + j];
            unsigned l = j == 1 ? lo : 0x80, h = j == 1 ? hi : 0xBF;
            if (d < l || d > h) break;
        }
        if (j > need) {
            put(out, (const char *)s + i, need + 1);
            i += need + 1;
        } else {
            put(out, REPLACEMENT, 3);
            i += j;
        }
    }
}

/* Latin-1 bytes (how Accord reads header values) as UTF-8. */
static void latin1_to_utf8(buf_t *out, const unsigned char *s, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (s[i] < 0x80) {
            putc_(out, (char)s[i]);
        } else {
            putc_(out, (char)(0xC0 | (s[i] >> 6)));
            putc_(out, (char)(0x80 | (s[i] & 0x3F)));
        }
    }
}

/* The byte length of the first `chars` characters of valid UTF-8. */
static size_t utf8_prefix(const char *s, size_t n, size_t chars) {
    size_t i = 0, count = 0;
    while (i < n && count < chars) {
        unsigned char c = (unsigned char)s[i];
        i += c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
        count++;
    }
    return i < n ? i : n;
}

/* Query decoding as Python's parse_qsl: '+' is a space, %XX escapes are UTF-8 bytes (invalid
 * ones replaced), and a raw byte above 0x7F is a Latin-1 character. */
static void qs_decode(buf_t *out, const char *s, size_t n) {
    unsigned char pending[MAX_REQUEST];
    size_t np = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (np == sizeof pending) {
            utf8_sanitize(out, pending, np);
            np = 0;
        }
        if (c == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            pending[np++] = (unsigned char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
            continue;
        }
        if (c < 0x80) {
            pending[np++] = c == '+' ? ' ' : c;
            continue;
        }
        utf8_sanitize(out, pending, np);
        np = 0;
        latin1_to_utf8(out, &c, 1);
    }
    utf8_sanitize(out, pending, np);
}

/* ---------------------------------------------------------------- JSON */

static void json_str(buf_t *b, const char *s, size_t n) {
    putc_(b, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            putc_(b, '\\');
            putc_(b, (char)c);
        } else if (c < 0x20) {
            char esc[7] = {'\\', 'u', '0', '0', HEX[c >> 4], HEX[c & 15], 0};
            put(b, esc, 6);
        } else {
            putc_(b, (char)c);
        }
    }
    putc_(b, '"');
}

static void json_field(buf_t *b, const char *name, const char *s, size_t n, int null) {
    putc_(b, ',');
    json_str(b, name, strlen(name));
    putc_(b, ':');
    if (null) puts_(b, "null");
    else json_str(b, s, n);
}

/* ---------------------------------------------------------------- ids and time */

static const char CROCKFORD[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

typedef struct {
    unsigned char pool[4096];
    size_t at;
} entropy_t;

static void random_bytes(entropy_t *e, unsigned char *out, size_t n) {
    if (e->at + n > sizeof e->pool) {
        size_t got = 0;
        while (got < sizeof e->pool) {
            ssize_t r = getrandom(e->pool + got, sizeof e->pool - got, 0);
            if (r < 0 && errno != EINTR) die("getrandom: %s", strerror(errno));
            if (r > 0) got += (size_t)r;
        }
        e->at = 0;
    }
    memcpy(out, e->pool + e->at, n);
    e->at += n;
}

/* "clk_" or "imp_" and a ULID: 48 bits of milliseconds, 80 random bits, 26 base32 digits. */
static void new_event_id(entropy_t *e, const char *prefix, int64_t now_us, char out[31]) {
    unsigned char r[10];
    random_bytes(e, r, sizeof r);
    unsigned __int128 v = (unsigned __int128)(uint64_t)(now_us / 1000) << 80;
    for (int i = 0; i < 10; i++) v |= (unsigned __int128)r[i] << (8 * (9 - i));
    memcpy(out, prefix, 4);
    for (int i = 0; i < 26; i++) out[4 + i] = CROCKFORD[(unsigned)(v >> (5 * (25 - i))) & 31];
    out[30] = 0;
}

static int64_t now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ISO 8601 in UTC with microseconds, as Python's datetime.isoformat(). */
static void iso_time(int64_t us, char out[64]) {
    time_t secs = (time_t)(us / 1000000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    snprintf(out, 64, "%04d-%02d-%02dT%02d:%02d:%02d.%06d+00:00", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)((uint64_t)us % 1000000));
}

/* ---------------------------------------------------------------- the link table */

typedef struct {
    str_t code, link_id, program_id, partner_id, destination, param, landing;
    str_t *domains; /* permitted domains, then the landing and destination hosts */
    size_t ndomains;
    str_t origin; /* scheme://netloc of the landing page, for relative deep links */
    int64_t duplicate_us;
    int64_t expires_us; /* 0: never */
} link_t;

typedef struct {
    char *data;
    link_t *links;
    size_t nlinks;
    uint32_t *slots; /* index + 1, 0 empty */
    size_t mask;
    str_t *domain_pool;
} table_t;

static uint64_t fnv(const char *s, size_t n, uint64_t h) {
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    return h;
}
#define FNV_START 14695981039346656037ull

typedef struct {
    str_t scheme, netloc, path, query, fragment;
    int ok;
} split_t;

static const char SCHEME_CHARS[] =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.";

/* urllib.parse.urlsplit for URLs without whitespace or control characters. The scheme is
 * returned as written (compare it case-insensitively). ok = 0 where Python raises. */
static split_t url_split(const char *u, size_t n) {
    split_t s = {{u, 0}, {u, 0}, {u, 0}, {u, 0}, {u, 0}, 1};
    const char *colon = find(u, n, ':');
    if (colon && colon > u && ((u[0] | 32) >= 'a' && (u[0] | 32) <= 'z')) {
        size_t i = 0, len = (size_t)(colon - u);
        while (i < len && strchr(SCHEME_CHARS, u[i]) && u[i]) i++;
        if (i == len) {
            s.scheme = (str_t){u, len};
            u += len + 1;
            n -= len + 1;
        }
    }
    if (n >= 2 && u[0] == '/' && u[1] == '/') {
        size_t end = 2;
        while (end < n && u[end] != '/' && u[end] != '?' && u[end] != '#') end++;
        s.netloc = (str_t){u + 2, end - 2};
        if (find(s.netloc.p, s.netloc.n, '[') || find(s.netloc.p, s.netloc.n, ']')) s.ok = 0;
        for (size_t i = 0; i < s.netloc.n; i++)
            if ((unsigned char)s.netloc.p[i] >= 0x80) s.ok = 0;
        u += end;
        n -= end;
    }
    const char *hash = find(u, n, '#');
    if (hash) {
        s.fragment = (str_t){hash + 1, (size_t)(u + n - hash - 1)};
        n = (size_t)(hash - u);
    }
    const char *q = find(u, n, '?');
    if (q) {
        s.query = (str_t){q + 1, (size_t)(u + n - q - 1)};
        n = (size_t)(q - u);
    }
    s.path = (str_t){u, n};
    return s;
}

/* The host of a netloc without '@' or brackets: before the port, lower case, into `out`. */
static str_t netloc_host(str_t netloc, char *out, size_t cap) {
    const char *at = NULL;
    for (size_t i = 0; i < netloc.n; i++)
        if (netloc.p[i] == '@') at = netloc.p + i;
    const char *h = at ? at + 1 : netloc.p;
    size_t n = (size_t)(netloc.p + netloc.n - h);
    const char *colon = find(h, n, ':');
    if (colon) n = (size_t)(colon - h);
    if (n > cap) n = cap;
    for (size_t i = 0; i < n; i++) out[i] = (char)((h[i] >= 'A' && h[i] <= 'Z') ? h[i] + 32 : h[i]);
    return (str_t){out, n};
}

static int host_permitted(str_t host, const str_t *rules, size_t nrules) {
    while (host.n && host.p[host.n - 1] == '.') host.n--;
    for (size_t r = 0; r < nrules; r++) {
        str_t rule = rules[r];
        while (rule.n && rule.p[rule.n - 1] == '.') rule.n--;
        if (rule.n && rule.p[0] == '.') {
            str_t base = {rule.p + 1, rule.n - 1};
            if (host.n == base.n && strncasecmp(host.p, base.p, base.n) == 0) return 1;
            if (host.n >= base.n + 1 && host.p[host.n - base.n - 1] == '.' &&
                strncasecmp(host.p + host.n - base.n, base.p, base.n) == 0)
                return 1;
        } else if (rule.n && host.n == rule.n && strncasecmp(host.p, rule.p, rule.n) == 0) {
            return 1;
        }
    }
    return 0;
}

static void table_free(table_t *t) {
    if (!t) return;
    free(t->data);
    free(t->links);
    free(t->slots);
    free(t->domain_pool);
    free(t);
}

static size_t split_fields(char *line, char **fields, size_t max) {
    size_t n = 0;
    fields[n++] = line;
    for (char *p = line; *p; p++) {
        if (*p == '\t') {
            *p = 0;
            if (n == max) return max + 1;
            fields[n++] = p + 1;
        }
    }
    return n;
}

/* Read a snapshot: a header line "accord-links\t1" then one line per active link:
 * code, link id, program id, partner id, destination, click id parameter, landing page,
 * permitted domains (comma separated), duplicate window in seconds, expiry in epoch
 * microseconds (empty: never), separated by tabs. */
static table_t *table_load(const char *path, char *error, size_t error_cap) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(error, error_cap, "%s: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    table_t *t = fstat(fd, &st) == 0 ? calloc(1, sizeof *t) : NULL;
    if (t) t->data = malloc((size_t)st.st_size + 1);
    if (!t || !t->data) {
        snprintf(error, error_cap, "%s: cannot read (%s)", path, strerror(errno));
        close(fd);
        if (t) free(t);
        return NULL;
    }
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t r = read(fd, t->data + got, (size_t)st.st_size - got);
        if (r <= 0) break;
        got += (size_t)r;
    }
    close(fd);
    t->data[got] = 0;
    const char *header = "accord-links\t1\n";
    if (got < strlen(header) || memcmp(t->data, header, strlen(header)) != 0) {
        snprintf(error, error_cap, "%s: not an Accord link snapshot", path);
        table_free(t);
        return NULL;
    }
    size_t lines = 0, commas = 0;
    for (size_t i = 0; i < got; i++) lines += t->data[i] == '\n', commas += t->data[i] == ',';
    t->links = calloc(lines + 1, sizeof(link_t));
    t->domain_pool = calloc(lines * 3 + commas + 1, sizeof(str_t));
    if (!t->links || !t->domain_pool) die("out of memory");
    size_t pool = 0;
    char *line = t->data + strlen(header);
    while (*line) {
        char *end = strchr(line, '\n');
        if (!end) break; /* a torn last line: the writer replaces the file atomically */
        *end = 0;
        char *f[11];
        if (split_fields(line, f, 10) == 10) {
            link_t *l = &t->links[t->nlinks];
            l->code = (str_t){f[0], strlen(f[0])};
            l->link_id = (str_t){f[1], strlen(f[1])};
            l->program_id = (str_t){f[2], strlen(f[2])};
            l->partner_id = (str_t){f[3], strlen(f[3])};
            l->destination = (str_t){f[4], strlen(f[4])};
            l->param = (str_t){f[5], strlen(f[5])};
            l->landing = (str_t){f[6], strlen(f[6])};
            long long window = atoll(f[8]);
            l->duplicate_us = (window < 0 ? 0 : window > 31536000 ? 31536000 : window) * 1000000;
            l->expires_us = *f[9] ? atoll(f[9]) : 0;
            l->domains = &t->domain_pool[pool];
            for (char *d = f[7]; *d;) {
                char *comma = strchr(d, ',');
                if (comma) *comma = 0;
                if (*d) t->domain_pool[pool++] = (str_t){d, strlen(d)};
                if (!comma) break;
                d = comma + 1;
            }
            str_t landing = l->landing.n ? l->landing : l->destination;
            split_t ls = url_split(landing.p, landing.n);
            l->origin = (str_t){landing.p, (size_t)(ls.netloc.p + ls.netloc.n - landing.p)};
            if (!ls.netloc.n) l->origin.n = 0;
            /* hosts of the landing page and destination, as the link's own sites */
            str_t sites[2] = {landing, l->destination};
            int nsites = l->landing.n ? 2 : 1;
            for (int k = 0; k < nsites; k++) {
                split_t s = url_split(sites[k].p, sites[k].n);
                const char *at = NULL;
                for (size_t i = 0; i < s.netloc.n; i++)
                    if (s.netloc.p[i] == '@') at = s.netloc.p + i;
                const char *h = at ? at + 1 : s.netloc.p;
                size_t hn = (size_t)(s.netloc.p + s.netloc.n - h);
                const char *colon = find(h, hn, ':');
                if (colon) hn = (size_t)(colon - h);
                if (hn) t->domain_pool[pool++] = (str_t){h, hn};
            }
            l->ndomains = (size_t)(&t->domain_pool[pool] - l->domains);
            t->nlinks++;
        }
        line = end + 1;
    }
    size_t size = 16;
    while (size < t->nlinks * 2) size *= 2;
    t->slots = calloc(size, sizeof(uint32_t));
    if (!t->slots) die("out of memory");
    t->mask = size - 1;
    for (size_t i = 0; i < t->nlinks; i++) {
        size_t h = fnv(t->links[i].code.p, t->links[i].code.n, FNV_START) & t->mask;
        while (t->slots[h]) h = (h + 1) & t->mask;
        t->slots[h] = (uint32_t)(i + 1);
    }
    return t;
}

static const link_t *table_find(const table_t *t, const char *code, size_t n) {
    if (!t || !n) return NULL;
    size_t h = fnv(code, n, FNV_START) & t->mask;
    while (t->slots[h]) {
        const link_t *l = &t->links[t->slots[h] - 1];
        if (l->code.n == n && memcmp(l->code.p, code, n) == 0) return l;
        h = (h + 1) & t->mask;
    }
    return NULL;
}

/* ---------------------------------------------------------------- duplicate clicks */

/* (ip, link, user agent) -> last click time. Shared by all threads; a slot keeps a 64-bit
 * hash of the key. When a key's probe run is full, its oldest entry is replaced. */
typedef struct {
    uint64_t key;
    int64_t at;
} dup_slot_t;

static dup_slot_t *dup_slots;
static pthread_mutex_t dup_lock = PTHREAD_MUTEX_INITIALIZER;

static int seen_recently(const link_t *l, str_t ip, int has_ip, str_t agent, int has_agent,
                         int64_t at) {
    uint64_t k = fnv(has_ip ? ip.p : "", has_ip ? ip.n : 0, FNV_START);
    k = fnv(has_ip ? "\1" : "\2", 1, k);
    k = fnv(l->link_id.p, l->link_id.n, k);
    k = fnv(has_agent ? "\1" : "\2", 1, k);
    k = fnv(has_agent ? agent.p : "", has_agent ? agent.n : 0, k);
    if (!k) k = 1;
    size_t start = (size_t)(k % DUP_SLOTS), victim = start;
    int64_t last = -1;
    pthread_mutex_lock(&dup_lock);
    for (size_t i = 0; i < DUP_PROBE; i++) {
        dup_slot_t *s = &dup_slots[(start + i) % DUP_SLOTS];
        if (s->key == k) {
            last = s->at;
            victim = (start + i) % DUP_SLOTS;
            break;
        }
        if (s->key == 0) {
            victim = (start + i) % DUP_SLOTS;
            break;
        }
        if (s->at < dup_slots[victim].at) victim = (start + i) % DUP_SLOTS;
    }
    dup_slots[victim].key = k;
    dup_slots[victim].at = at;
    pthread_mutex_unlock(&dup_lock);
    return last >= 0 && at - last < l->duplicate_us;
}

/* ---------------------------------------------------------------- configuration */

static struct {
    const char *host, *port, *links_path, *spool_dir;
    int threads;
    int rotate_ms;
    char **trusted;
    size_t ntrusted;
} config = {"127.0.0.1", "8001", NULL, NULL, 2, 200, NULL, 0};

static volatile sig_atomic_t stopping = 0;

static int trusted(const char *ip, size_t n) {
    for (size_t i = 0; i < config.ntrusted; i++)
        if (strlen(config.trusted[i]) == n && memcmp(config.trusted[i], ip, n) == 0) return 1;
    return 0;
}

/* ---------------------------------------------------------------- connections */

typedef struct conn {
    int fd;
    size_t inlen;
    buf_t out;
    size_t sent;
    size_t mark; /* out.len before this turn's responses */
    int close_after;
    int dirty; /* has responses to send this turn */
    int writing; /* waiting for EPOLLOUT */
    int lingering; /* answered and shut for writing: reading until the client closes */
    int resume;    /* on the worker's list of connections with requests held back */
    uint32_t watching; /* the epoll events asked for */
    struct conn *next_resume;
    int64_t active_ms;
    struct conn *prev, *next; /* least recently active first */
    struct conn *next_dirty;
    char peer[IP_MAX];
    size_t peer_len;
    char in[MAX_REQUEST];
} conn_t;

typedef struct {
    int id;
    int listen_fd;
    int epfd;
    table_t *links;
    struct timespec links_mtime;
    ino_t links_ino;
    off_t links_size;
    int64_t links_checked_ms;
    buf_t spool;       /* this turn's events */
    int segment_fd;    /* -1: none open */
    char segment_path[4096];
    size_t segment_bytes;
    int64_t segment_opened_ms;
    unsigned sequence;
    entropy_t entropy;
    conn_t *oldest, *newest;
    conn_t *dirty;
    conn_t *resume;
    int64_t accept_paused_until; /* out of descriptors: not watching the listening socket */
    int64_t warned_ms;
    buf_t scratch; /* per request: decoded query, deep link, redirect */
    unsigned long long events;
} worker_t;

static void lru_remove(worker_t *w, conn_t *c) {
    if (c->prev) c->prev->next = c->next;
    else w->oldest = c->next;
    if (c->next) c->next->prev = c->prev;
    else w->newest = c->prev;
    c->prev = c->next = NULL;
}

static void lru_touch(worker_t *w, conn_t *c, int64_t now) {
    c->active_ms = now;
    if (w->newest == c) return;
    if (c->prev || c->next || w->oldest == c) lru_remove(w, c);
    c->prev = w->newest;
    if (w->newest) w->newest->next = c;
    w->newest = c;
    if (!w->oldest) w->oldest = c;
}

/* Out of descriptors, accept() fails while connections wait, and the listening socket stays
 * readable. One spare descriptor, shared by the threads (they share one descriptor table,
 * so a slot one of them frees can be taken by another), is given up to accept and close one
 * waiting connection; when that fails too, this thread stops watching its listening socket
 * for ACCEPT_PAUSE_MS instead of retrying at full speed. */
#define ACCEPT_PAUSE_MS 100
static int spare_fd = -1;
static pthread_mutex_t spare_lock = PTHREAD_MUTEX_INITIALIZER;

static void spare_restore(void) {
    pthread_mutex_lock(&spare_lock);
    if (spare_fd < 0)
        __atomic_store_n(&spare_fd, open("/dev/null", O_RDONLY | O_CLOEXEC), __ATOMIC_RELAXED);
    pthread_mutex_unlock(&spare_lock);
}

static void conn_free(conn_t *c) {
    free(c->out.p);
    free(c);
}

static void conn_close(worker_t *w, conn_t *c) {
    lru_remove(w, c);
    epoll_ctl(w->epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    c->fd = -1; /* still on the dirty list until the turn ends, then freed */
    if (__atomic_load_n(&spare_fd, __ATOMIC_RELAXED) < 0) spare_restore(); /* given up */
}

/* ---------------------------------------------------------------- responses */

static const char PIXEL[] =
    "GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff\x21\xf9\x04\x01\x00\x00\x00"
    "\x00\x2c\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02\x44\x01\x00\x3b";

static void respond(conn_t *c, int status, const char *reason, const char *type,
                    const char *body, size_t body_len, const char *extra, int head) {
    char line[256];
    int n = snprintf(line, sizeof line, "HTTP/1.1 %d %s\r\n", status, reason);
    put(&c->out, line, (size_t)n);
    if (type) {
        puts_(&c->out, "content-type: ");
        puts_(&c->out, type);
        puts_(&c->out, "\r\n");
    }
    if (extra) puts_(&c->out, extra);
    n = snprintf(line, sizeof line, "content-length: %zu\r\n", body_len);
    put(&c->out, line, (size_t)n);
    if (c->close_after) puts_(&c->out, "connection: close\r\n");
    puts_(&c->out, "\r\n");
    if (!head) put(&c->out, body, body_len);
}

static void respond_json(conn_t *c, int status, const char *reason, const char *code,
                         const char *message, const char *extra, int head) {
    char body[512];
    int n = snprintf(body, sizeof body, "{\"error\":{\"code\":\"%s\",\"message\":\"%s\"}}", code,
                     message);
    respond(c, status, reason, "application/json", body, (size_t)n, extra, head);
}

static void redirect(conn_t *c, const char *location, size_t n) {
    put(&c->out, "HTTP/1.1 302 Found\r\nlocation: ", 30);
    put(&c->out, location, n);
    puts_(&c->out, "\r\ncache-control: no-store\r\ncontent-length: 0\r\n");
    if (c->close_after) puts_(&c->out, "connection: close\r\n");
    puts_(&c->out, "\r\n");
}

/* ---------------------------------------------------------------- the tracking rules */

typedef struct {
    size_t k, kn, v, vn; /* offsets into the scratch buffer */
} pair_t;

typedef struct {
    pair_t *items;
    size_t n, cap;
} pairs_t;

#define K(buf, pair) ((str_t){(buf)->p + (pair).k, (pair).kn})
#define V(buf, pair) ((str_t){(buf)->p + (pair).v, (pair).vn})

/* parse_qsl(query, keep_blank_values=True): decoded pairs appended to `scratch`. */
static void parse_query(buf_t *scratch, pairs_t *out, const char *q, size_t n) {
    out->n = 0;
    size_t i = 0;
    while (i <= n) {
        size_t end = i;
        while (end < n && q[end] != '&') end++;
        if (end > i) {
            const char *field = q + i;
            size_t flen = end - i;
            const char *eq = find(field, flen, '=');
            size_t kl = eq ? (size_t)(eq - field) : flen;
            pair_t p;
            p.k = scratch->len;
            qs_decode(scratch, field, kl);
            p.kn = scratch->len - p.k;
            p.v = scratch->len;
            if (eq) qs_decode(scratch, eq + 1, flen - kl - 1);
            p.vn = scratch->len - p.v;
            if (out->n == out->cap) {
                out->cap = out->cap ? out->cap * 2 : 16;
                out->items = realloc(out->items, out->cap * sizeof(pair_t));
                if (!out->items) die("out of memory");
            }
            out->items[out->n++] = p;
        }
        i = end + 1;
    }
}

static int reserved_key(str_t k) {
    return str_eq(k, "sub1") || str_eq(k, "sub2") || str_eq(k, "sub3") || str_eq(k, "sub4") ||
           str_eq(k, "sub5") || str_eq(k, "url");
}

static void quote(buf_t *out, str_t s, const char *safe, int plus) {
    for (size_t i = 0; i < s.n; i++) {
        unsigned char c = (unsigned char)s.p[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '_' || c == '.' || c == '-' || c == '~' || (c && c < 0x80 && strchr(safe, c))) {
            putc_(out, (char)c);
        } else if (plus && c == ' ') {
            putc_(out, '+');
        } else {
            char e[3] = {'%', HEX[c >> 4], HEX[c & 15]};
            put(out, e, 3);
        }
    }
}

/* A deep link's host and port, as accord.tracking.model.HOST_PATTERN and PORT_PATTERN:
 * letters, digits, '.', '-' and '_', then optionally ':' and a port from 1 to 65535. */
static int netloc_safe(str_t netloc) {
    size_t i = 0;
    for (; i < netloc.n && netloc.p[i] != ':'; i++) {
        char ch = netloc.p[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '.' || ch == '-' || ch == '_'))
            return 0;
    }
    if (i == 0) return 0;
    if (i == netloc.n) return 1;
    size_t digits = netloc.n - i - 1;
    if (digits < 1 || digits > 5) return 0;
    long port = 0;
    for (size_t j = i + 1; j < netloc.n; j++) {
        if (netloc.p[j] < '0' || netloc.p[j] > '9') return 0;
        port = port * 10 + (netloc.p[j] - '0');
    }
    return port >= 1 && port <= 65535;
}

static const char PATH_SAFE[] = "/%:@!$&'()*+,;=-._~";
static const char QUERY_SAFE[] = "/%:@!$&'()*+,;=-._~?";

/* accord.tracking.model.deep_link: the requested page when safe, else the destination. The
 * result is written to `out` (a copy of the destination when the request is refused). */
static str_t deep_link(buf_t *out, const link_t *l, str_t req, int requested) {
    size_t start = out->len;
    if (!requested || req.n == 0) return l->destination;
    for (size_t i = 0; i < req.n; i++) {
        unsigned char c = (unsigned char)req.p[i];
        if (c < 33 || c == 0x7f || c == '\\') return l->destination; /* controls, space, DEL, backslash */
    }
    buf_t candidate = {0};
    if (req.p[0] == '/' && !(req.n > 1 && req.p[1] == '/')) {
        put(&candidate, l->origin.p, l->origin.n);
    }
    put(&candidate, req.p, req.n);
    split_t s = url_split(candidate.p, candidate.len);
    str_t result = l->destination;
    char hostbuf[256];
    if (!s.ok || !(str_ieq(s.scheme.p, s.scheme.n, "http") || str_ieq(s.scheme.p, s.scheme.n, "https")))
        goto done;
    if (!s.netloc.n || find(s.netloc.p, s.netloc.n, '@') || find(s.netloc.p, s.netloc.n, '%'))
        goto done;
    if (s.netloc.n > NETLOC_MAX || !netloc_safe(s.netloc)) goto done;
    str_t host = netloc_host(s.netloc, hostbuf, sizeof hostbuf);
    if (!host.n) goto done;
    if (!host_permitted(host, l->domains, l->ndomains)) goto done;
    for (size_t i = 0; i < s.scheme.n; i++) {
        char ch = s.scheme.p[i];
        putc_(out, (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch));
    }
    puts_(out, "://");
    for (size_t i = 0; i < s.netloc.n; i++) {
        char ch = s.netloc.p[i];
        putc_(out, (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch));
    }
    if (s.path.n && s.path.p[0] != '/') putc_(out, '/');
    quote(out, s.path, PATH_SAFE, 0);
    if (s.query.n) {
        putc_(out, '?');
        quote(out, s.query, QUERY_SAFE, 0);
    }
    if (s.fragment.n) {
        putc_(out, '#');
        quote(out, s.fragment, QUERY_SAFE, 0);
    }
    result = (str_t){NULL, out->len - start}; /* the caller rebases onto out->p */
done:
    free(candidate.p);
    return result;
}

/* accord.tracking.model.redirect_url. `extra`: the passed-through pairs of the click. */
static void redirect_url(buf_t *out, buf_t *scratch, str_t dest, str_t param, const char *click_id,
                         const pairs_t *query, int nextra) {
    static __thread buf_t needle;
    needle.len = 0;
    put(&needle, param.p, param.n);
    put(&needle, "=", 2); /* with the terminating NUL */
    if (!nextra && !contains(dest, needle.p)) {
        if (!click_id) {
            put(out, dest.p, dest.n);
            return;
        }
        const char *hash = find(dest.p, dest.n, '#');
        size_t base_n = hash ? (size_t)(hash - dest.p) : dest.n;
        put(out, dest.p, base_n);
        if (!(base_n && (dest.p[base_n - 1] == '?' || dest.p[base_n - 1] == '&')))
            putc_(out, find(dest.p, base_n, '?') ? '&' : '?');
        put(out, param.p, param.n);
        putc_(out, '=');
        puts_(out, click_id);
        if (hash) put(out, hash, dest.n - base_n);
        return;
    }
    split_t s = url_split(dest.p, dest.n);
    if (s.scheme.n) { /* urlsplit gives the scheme in lower case */
        for (size_t i = 0; i < s.scheme.n; i++) {
            char ch = s.scheme.p[i];
            putc_(out, (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch));
        }
        putc_(out, ':');
    }
    if (s.netloc.n || str_ieq(s.scheme.p, s.scheme.n, "http") || str_ieq(s.scheme.p, s.scheme.n, "https")) {
        puts_(out, "//");
        for (size_t i = 0; i < s.netloc.n; i++) putc_(out, s.netloc.p[i]);
        if (s.path.n && s.path.p[0] != '/') putc_(out, '/');
    }
    put(out, s.path.p, s.path.n);
    /* the destination's own pairs, minus those the click overrides, then the click's */
    pairs_t own = {0};
    size_t mark = scratch->len;
    parse_query(scratch, &own, s.query.p, s.query.n);
    size_t written = 0;
    for (size_t i = 0; i < own.n; i++) {
        str_t k = K(scratch, own.items[i]);
        int overridden = k.n == param.n && memcmp(k.p, param.p, k.n) == 0;
        for (size_t j = 0; j < query->n && !overridden; j++) {
            str_t qk = K(scratch, query->items[j]);
            if (!reserved_key(qk) && qk.n == k.n && memcmp(qk.p, k.p, k.n) == 0) overridden = 1;
        }
        if (overridden) continue;
        putc_(out, written++ ? '&' : '?');
        quote(out, k, "", 1);
        putc_(out, '=');
        quote(out, V(scratch, own.items[i]), "", 1);
    }
    for (size_t j = 0; j < query->n; j++) {
        str_t k = K(scratch, query->items[j]);
        if (reserved_key(k) || (k.n == param.n && memcmp(k.p, param.p, k.n) == 0)) continue;
        putc_(out, written++ ? '&' : '?');
        quote(out, k, "", 1);
        putc_(out, '=');
        quote(out, V(scratch, query->items[j]), "", 1);
    }
    if (click_id) {
        putc_(out, written++ ? '&' : '?');
        quote(out, param, "", 1);
        putc_(out, '=');
        puts_(out, click_id);
    }
    free(own.items);
    scratch->len = mark;
    if (s.fragment.n) {
        putc_(out, '#');
        put(out, s.fragment.p, s.fragment.n);
    }
}

/* ---------------------------------------------------------------- requests */

typedef struct {
    str_t method, path, query, agent, referrer, fetch_dest;
    int has_agent, has_referrer, has_fetch_dest;
    str_t xff[MAX_XFF];
    size_t nxff;
    int keep_alive;
    int has_body;
} request_t;

/* RFC 9110 token characters: a method or a header field name is made of nothing else. */
static int tchar(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

static int is_token(const char *p, size_t n) {
    if (!n) return 0;
    for (size_t i = 0; i < n; i++)
        if (!tchar((unsigned char)p[i])) return 0;
    return 1;
}

/* The end of the line starting at `p` (before its LF, and before a CR right ahead of it),
 * or `end`; `*next` is where the next line starts. RFC 9112 section 2.2: a lone LF ends a
 * line as CRLF does; a lone CR does not (it is refused where it stands). */
static const char *line_end(const char *p, const char *end, const char **next) {
    const char *lf = find(p, (size_t)(end - p), '\n');
    if (!lf) {
        *next = end;
        return end;
    }
    *next = lf + 1;
    return lf > p && lf[-1] == '\r' ? lf - 1 : lf;
}

/* Parse one request head of `n` bytes (the blank line excluded). 0 = malformed. */
static int parse_request(const char *p, size_t n, request_t *r) {
    memset(r, 0, sizeof *r);
    const char *end = p + n;
    const char *line;
    const char *eol = line_end(p, end, &line);
    const char *sp1 = find(p, (size_t)(eol - p), ' ');
    if (!sp1) return 0;
    const char *target = sp1 + 1;
    const char *sp2 = find(target, (size_t)(eol - target), ' ');
    if (!sp2) return 0;
    str_t version = {sp2 + 1, (size_t)(eol - sp2 - 1)};
    if (str_eq(version, "HTTP/1.1")) r->keep_alive = 1;
    else if (str_eq(version, "HTTP/1.0")) r->keep_alive = 0;
    else return 0;
    r->method = (str_t){p, (size_t)(sp1 - p)};
    if (!is_token(r->method.p, r->method.n)) return 0;
    str_t t = {target, (size_t)(sp2 - target)};
    if (!t.n || t.p[0] != '/') return 0;
    for (size_t i = 0; i < t.n; i++)
        if ((unsigned char)t.p[i] <= ' ' || t.p[i] == 0x7f) return 0;
    /* A fragment is no part of a request target (RFC 9112 section 3.2). granian, under the
     * Python edge, drops one a client sends anyway; so does this edge, so both agree. */
    const char *hash = find(t.p, t.n, '#');
    if (hash) t.n = (size_t)(hash - t.p);
    const char *q = find(t.p, t.n, '?');
    r->path = (str_t){t.p, q ? (size_t)(q - t.p) : t.n};
    r->query = q ? (str_t){q + 1, (size_t)(t.p + t.n - q - 1)} : (str_t){q, 0};
    while (line < end) {
        const char *next;
        const char *le = line_end(line, end, &next);
        const char *colon = find(line, (size_t)(le - line), ':');
        if (!colon) return 0;
        size_t nn = (size_t)(colon - line);
        /* no whitespace before the colon, nor a folded line (RFC 9112 sections 5.1, 5.2) */
        if (!is_token(line, nn)) return 0;
        const char *v = colon + 1;
        while (v < le && (*v == ' ' || *v == '\t')) v++;
        const char *ve = le;
        while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t')) ve--;
        for (const char *x = v; x < ve; x++)
            if (((unsigned char)*x < 0x20 && *x != '\t') || *x == 0x7f) return 0;
        str_t value = {v, (size_t)(ve - v)};
        if (str_ieq(line, nn, "user-agent")) r->agent = value, r->has_agent = 1;
        else if (str_ieq(line, nn, "referer")) r->referrer = value, r->has_referrer = 1;
        /* how the browser fetched the link: an image or a frame is no visit (fraud rules) */
        else if (str_ieq(line, nn, "sec-fetch-dest"))
            r->fetch_dest = value, r->has_fetch_dest = 1;
        else if (str_ieq(line, nn, "x-forwarded-for")) {
            if (r->nxff < MAX_XFF) r->xff[r->nxff++] = value;
        } else if (str_ieq(line, nn, "connection")) {
            for (size_t i = 0; i + 5 <= value.n; i++) {
                if (strncasecmp(value.p + i, "close", 5) == 0) r->keep_alive = 0;
            }
        } else if (str_ieq(line, nn, "content-length")) {
            if (!(value.n == 1 && value.p[0] == '0')) r->has_body = 1;
        } else if (str_ieq(line, nn, "transfer-encoding")) {
            r->has_body = 1;
        }
        line = next;
    }
    return 1;
}

/* Where the head starting at `p` ends: its length without the blank line, and in `*used`
 * its length with it; -1 while incomplete. Lines end with CRLF or a lone LF. */
static long head_length(const char *p, size_t n, size_t *used) {
    const char *end = p + n;
    const char *at = p;
    for (;;) {
        const char *lf = find(at, (size_t)(end - at), '\n');
        if (!lf) return -1;
        const char *after = lf + 1;
        long length = (long)(lf > p && lf[-1] == '\r' ? lf - 1 - p : lf - p);
        if (after < end && *after == '\n') {
            *used = (size_t)(after + 1 - p);
            return length;
        }
        if (after < end && *after == '\r') {
            if (after + 1 >= end) return -1;
            if (after[1] == '\n') {
                *used = (size_t)(after + 2 - p);
                return length;
            }
        }
        at = after;
    }
}

/* Whitespace as Python's str.strip() sees it in a Latin-1 header value. */
static int xff_space(char ch) {
    unsigned char c = (unsigned char)ch;
    return c == ' ' || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F) || c == 0x85 ||
           c == 0xA0;
}

/* The shopper's address: the peer, or behind a trusted proxy the last untrusted hop. */
static str_t client_ip(conn_t *c, const request_t *r) {
    str_t peer = {c->peer, c->peer_len};
    if (!trusted(c->peer, c->peer_len)) return peer;
    for (size_t h = 0; h < r->nxff; h++) {
        str_t v = r->xff[h];
        size_t end = v.n;
        while (end > 0) {
            size_t start = end;
            while (start > 0 && v.p[start - 1] != ',') start--;
            size_t a = start, b = end;
            while (a < b && xff_space(v.p[a])) a++;
            while (b > a && xff_space(v.p[b - 1])) b--;
            if (b > a && !trusted(v.p + a, b - a)) {
                size_t len = b - a > IP_MAX ? IP_MAX : b - a;
                return (str_t){v.p + a, len};
            }
            end = start ? start - 1 : 0;
        }
    }
    return peer;
}

static void path_decode(buf_t *out, str_t path) {
    for (size_t i = 0; i < path.n; i++) {
        if (path.p[i] == '%' && i + 2 < path.n + 0 && hexval(path.p[i + 1]) >= 0 &&
            hexval(path.p[i + 2]) >= 0) {
            putc_(out, (char)(hexval(path.p[i + 1]) * 16 + hexval(path.p[i + 2])));
            i += 2;
        } else {
            putc_(out, path.p[i]);
        }
    }
}

static void record_common(worker_t *w, const link_t *l, const char *kind, const char *id,
                          const char *at, str_t ip) {
    buf_t *s = &w->spool;
    puts_(s, "{\"k\":\"");
    puts_(s, kind);
    puts_(s, "\",\"r\":{\"id\":\"");
    puts_(s, id);
    putc_(s, '"');
    json_field(s, "link_id", l->link_id.p, l->link_id.n, 0);
    json_field(s, "program_id", l->program_id.p, l->program_id.n, 0);
    json_field(s, "partner_id", l->partner_id.p, l->partner_id.n, 0);
    json_field(s, "at", at, strlen(at), 0);
    if (!ip.n) {
        json_field(s, "ip", "", 0, 1);
    } else {
        static __thread buf_t latin;
        latin.len = 0;
        latin1_to_utf8(&latin, (const unsigned char *)ip.p, ip.n);
        json_field(s, "ip", latin.p, latin.len, 0);
    }
}

static void header_field(buf_t *s, buf_t *tmp, const char *name, str_t v, int has, size_t max) {
    if (!has || !v.n) {
        json_field(s, name, "", 0, 1);
        return;
    }
    tmp->len = 0;
    latin1_to_utf8(tmp, (const unsigned char *)v.p, v.n < max ? v.n : max);
    json_field(s, name, tmp->p, tmp->len, 0);
}

/* A sub id as accord.tracking.model.sub_ids keeps it: the first value under that name,
 * without NUL (PostgreSQL text holds none), cut to SUB_ID_MAX characters; null if absent. */
static void sub_id_field(buf_t *out, buf_t *tmp, const buf_t *sc, const pairs_t *query,
                         const char *name) {
    for (size_t i = 0; i < query->n; i++) {
        if (!str_eq(K(sc, query->items[i]), name)) continue;
        str_t v = V(sc, query->items[i]);
        tmp->len = 0;
        for (size_t j = 0; j < v.n; j++)
            if (v.p[j]) putc_(tmp, v.p[j]);
        json_field(out, name, tmp->p, utf8_prefix(tmp->p, tmp->len, SUB_ID_MAX), 0);
        return;
    }
    json_field(out, name, "", 0, 1);
}

static void handle(worker_t *w, conn_t *c, const request_t *r) {
    buf_t *sc = &w->scratch;
    sc->len = 0;
    int head = str_eq(r->method, "HEAD");
    if (r->has_body) c->close_after = 1; /* the body is never read */
    path_decode(sc, r->path);
    str_t path = {sc->p, sc->len};
    if (str_eq(path, "/health")) {
        char body[128];
        int n = snprintf(body, sizeof body, "{\"status\":\"ok\",\"links\":%zu}",
                         w->links ? w->links->nlinks : 0);
        respond(c, 200, "OK", "application/json", body, (size_t)n, NULL, head);
        return;
    }
    int click = path.n >= 3 && memcmp(path.p, "/c/", 3) == 0;
    int impression = path.n >= 3 && memcmp(path.p, "/i/", 3) == 0;
    if (!click && !impression) {
        respond_json(c, 404, "Not Found", "not_found",
                     "this port serves tracking links only: /c/CODE and /i/CODE", NULL, head);
        return;
    }
    if (!head && !str_eq(r->method, "GET")) {
        respond_json(c, 405, "Method Not Allowed", "method_not_allowed", "use GET",
                     "allow: GET, HEAD\r\n", 0);
        return;
    }
    const char *code = path.p + 3;
    size_t code_n = path.n - 3;
    while (code_n && code[0] == '/') code++, code_n--;
    while (code_n && code[code_n - 1] == '/') code_n--;
    const link_t *l = table_find(w->links, code, code_n);
    if (!l) {
        respond_json(c, 404, "Not Found", "not_found", "unknown or inactive tracking link", NULL,
                     head);
        return;
    }
    int64_t now = now_us();
    static __thread pairs_t pairs;
    pairs_t *query = &pairs;
    parse_query(sc, query, r->query.p, r->query.n);
    char at[64], id[31];
    static __thread buf_t tmp, loc;
    loc.len = 0;
    str_t ip = client_ip(c, r);
    if (impression) {
        if (!head) {
            iso_time(now, at);
            new_event_id(&w->entropy, "imp_", now, id);
            record_common(w, l, "impression", id, at, ip);
            header_field(&w->spool, &tmp, "user_agent", r->agent, r->has_agent, AGENT_MAX);
            sub_id_field(&w->spool, &tmp, sc, query, "sub1");
            puts_(&w->spool, "}}\n");
            w->events++;
        }
        respond(c, 200, "OK", "image/gif", PIXEL, sizeof PIXEL - 1, "cache-control: no-store\r\n",
                head);
        return;
    }
    if (l->expires_us && now >= l->expires_us) { /* the program's page, no click id */
        str_t landing = l->landing.n ? l->landing : l->destination;
        pairs_t none = {0};
        redirect_url(&loc, sc, landing, l->param, NULL, &none, 0);
        redirect(c, loc.p, loc.len);
        return;
    }
    str_t requested = {NULL, 0};
    int has_url = 0;
    for (size_t i = 0; i < query->n; i++) {
        if (str_eq(K(sc, query->items[i]), "url")) {
            requested = V(sc, query->items[i]);
            has_url = 1;
        }
    }
    size_t dest_at = sc->len;
    str_t destination = deep_link(sc, l, requested, has_url);
    if (!destination.p) destination.p = sc->p + dest_at;
    if (head) {
        redirect(c, destination.p, destination.n);
        return;
    }
    int nextra = 0;
    for (size_t i = 0; i < query->n; i++) nextra += !reserved_key(K(sc, query->items[i]));
    /* the scratch buffer may move while the redirect is built: keep the destination apart */
    static __thread buf_t dest_copy;
    dest_copy.len = 0;
    put(&dest_copy, destination.p, destination.n);
    destination = (str_t){dest_copy.p, dest_copy.len};
    iso_time(now, at);
    new_event_id(&w->entropy, "clk_", now, id);
    int duplicate = seen_recently(l, ip, ip.n > 0, r->agent, r->has_agent, now);
    redirect_url(&loc, sc, destination, l->param, id, query, nextra);
    /* the event, before its response can be sent */
    buf_t *s = &w->spool;
    record_common(w, l, "click", id, at, ip);
    header_field(s, &tmp, "user_agent", r->agent, r->has_agent, AGENT_MAX);
    header_field(s, &tmp, "referrer", r->referrer, r->has_referrer, REFERRER_MAX);
    header_field(s, &tmp, "fetch_dest", r->fetch_dest, r->has_fetch_dest, FETCH_DEST_MAX);
    json_field(s, "destination_url", destination.p,
               destination.n < DESTINATION_MAX ? destination.n : DESTINATION_MAX, 0);
    static const char *SUBS[] = {"sub1", "sub2", "sub3", "sub4", "sub5"};
    for (int k = 0; k < 5; k++) sub_id_field(s, &tmp, sc, query, SUBS[k]);
    puts_(s, duplicate ? ",\"duplicate\":true}}\n" : ",\"duplicate\":false}}\n");
    w->events++;
    redirect(c, loc.p, loc.len);
}

/* ---------------------------------------------------------------- the spool */

static void segment_close(worker_t *w) {
    if (w->segment_fd < 0) return;
    char done[4096];
    size_t n = strlen(w->segment_path);
    snprintf(done, sizeof done, "%.*s.jsonl", (int)(n - 5), w->segment_path);
    if (rename(w->segment_path, done) != 0)
        fprintf(stderr, "accord-edge: rename %s: %s\n", w->segment_path, strerror(errno));
    close(w->segment_fd); /* releases the lock */
    w->segment_fd = -1;
    w->segment_bytes = 0;
}

/* A new segment is created and locked under a name the loader never reads, and only then
 * named .part: the loader never sees an unlocked segment of a live edge. */
static int segment_open(worker_t *w, int64_t now) {
    for (int attempt = 0; attempt < 3; attempt++) {
        w->sequence++;
        char fresh[4096];
        snprintf(fresh, sizeof fresh, "%s/edge-%d-%d-%06u.new", config.spool_dir, (int)getpid(),
                 w->id, w->sequence);
        snprintf(w->segment_path, sizeof w->segment_path, "%s/edge-%d-%d-%06u.part",
                 config.spool_dir, (int)getpid(), w->id, w->sequence);
        int fd = open(fresh, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_EXCL, 0600);
        if (fd < 0) {
            if (errno == EEXIST) continue;
            return -1;
        }
        if (flock(fd, LOCK_EX | LOCK_NB) != 0 || rename(fresh, w->segment_path) != 0) {
            unlink(fresh);
            close(fd);
            continue;
        }
        w->segment_fd = fd;
        w->segment_opened_ms = now;
        w->segment_bytes = 0;
        return 0;
    }
    return -1;
}

/* Write this turn's events. 0 on success. */
static int spool_write(worker_t *w, int64_t now) {
    if (!w->spool.len) return 0;
    if (w->segment_fd < 0 && segment_open(w, now) != 0) {
        fprintf(stderr, "accord-edge: cannot open a spool segment in %s: %s\n", config.spool_dir,
                strerror(errno));
        return -1;
    }
    size_t done = 0;
    while (done < w->spool.len) {
        ssize_t r = write(w->segment_fd, w->spool.p + done, w->spool.len - done);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {
            fprintf(stderr, "accord-edge: writing the spool failed: %s\n", strerror(errno));
            /* these events get a 503, not a click id: take back what was written of them */
            if (ftruncate(w->segment_fd, (off_t)w->segment_bytes) != 0)
                fprintf(stderr, "accord-edge: truncating the spool failed: %s\n", strerror(errno));
            segment_close(w);
            return -1;
        }
        done += (size_t)r;
    }
    w->segment_bytes += w->spool.len;
    w->spool.len = 0;
    return 0;
}

/* ---------------------------------------------------------------- the event loop */

static void reload_links(worker_t *w, int64_t now) {
    if (now - w->links_checked_ms < 250 && w->links) return;
    w->links_checked_ms = now;
    struct stat st;
    if (stat(config.links_path, &st) != 0) return;
    if (w->links && st.st_ino == w->links_ino && st.st_size == w->links_size &&
        st.st_mtim.tv_sec == w->links_mtime.tv_sec && st.st_mtim.tv_nsec == w->links_mtime.tv_nsec)
        return;
    char error[512];
    table_t *t = table_load(config.links_path, error, sizeof error);
    if (!t) {
        fprintf(stderr, "accord-edge: keeping the links loaded before: %s\n", error);
        return;
    }
    table_free(w->links);
    w->links = t;
    w->links_ino = st.st_ino;
    w->links_size = st.st_size;
    w->links_mtime = st.st_mtim;
}

static void conn_release(conn_t *c) {
    if (c->fd < 0 && !c->dirty && !c->resume) conn_free(c);
}

/* What the connection waits for: input while it may take requests (or is draining after its
 * last answer), output while responses wait for room in the socket. A client that stops
 * reading its answers is not read from either. */
static void conn_watch(worker_t *w, conn_t *c) {
    uint32_t want = 0;
    size_t pending = c->out.len - c->sent;
    if (c->lingering || (!c->close_after && pending < BACKLOG_MAX)) want |= EPOLLIN | EPOLLRDHUP;
    if (c->writing) want |= EPOLLOUT;
    if (want != c->watching) {
        struct epoll_event ev = {.events = want, .data.ptr = c};
        epoll_ctl(w->epfd, EPOLL_CTL_MOD, c->fd, &ev);
        c->watching = want;
    }
}

static void watch_listener(worker_t *w, uint32_t events) {
    struct epoll_event ev = {.events = events, .data.ptr = NULL};
    epoll_ctl(w->epfd, EPOLL_CTL_MOD, w->listen_fd, &ev);
}

/* `accepted`: connections this round took before running out. */
static void out_of_descriptors(worker_t *w, int64_t now, int accepted) {
    int refused = 0;
    pthread_mutex_lock(&spare_lock);
    if (spare_fd >= 0) {
        close(spare_fd);
        __atomic_store_n(&spare_fd, -1, __ATOMIC_RELAXED);
        int fd = accept(w->listen_fd, NULL, NULL);
        if (fd >= 0) {
            close(fd);
            refused = 1;
        }
    }
    if (spare_fd < 0)
        __atomic_store_n(&spare_fd, open("/dev/null", O_RDONLY | O_CLOEXEC), __ATOMIC_RELAXED);
    pthread_mutex_unlock(&spare_lock);
    if (!refused && !accepted) { /* nothing moved: wait for descriptors to come back */
        watch_listener(w, 0);
        w->accept_paused_until = now + ACCEPT_PAUSE_MS;
    }
    if (now - w->warned_ms > 10000) {
        w->warned_ms = now;
        fprintf(stderr, "accord-edge: out of file descriptors; refusing connections\n");
    }
}

static void accept_all(worker_t *w, int64_t now) {
    for (int i = 0; i < 256; i++) {
        struct sockaddr_storage addr;
        socklen_t len = sizeof addr;
        int fd = accept4(w->listen_fd, (struct sockaddr *)&addr, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE) out_of_descriptors(w, now, i);
            return;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        conn_t *c = calloc(1, sizeof *c);
        if (!c) {
            close(fd);
            return;
        }
        c->fd = fd;
        if (addr.ss_family == AF_INET)
            inet_ntop(AF_INET, &((struct sockaddr_in *)&addr)->sin_addr, c->peer, sizeof c->peer);
        else if (addr.ss_family == AF_INET6) {
            struct in6_addr *a6 = &((struct sockaddr_in6 *)&addr)->sin6_addr;
            if (IN6_IS_ADDR_V4MAPPED(a6))
                inet_ntop(AF_INET, &a6->s6_addr[12], c->peer, sizeof c->peer);
            else
                inet_ntop(AF_INET6, a6, c->peer, sizeof c->peer);
        }
        c->peer_len = strlen(c->peer);
        c->watching = EPOLLIN | EPOLLRDHUP;
        struct epoll_event ev = {.events = c->watching, .data.ptr = c};
        epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev);
        lru_touch(w, c, now);
    }
}

static void mark_dirty(worker_t *w, conn_t *c) {
    if (c->dirty) return;
    c->dirty = 1;
    c->mark = c->out.len;
    c->next_dirty = w->dirty;
    w->dirty = c;
}

/* Answer the complete requests in the input buffer, in order. */
static void process_input(worker_t *w, conn_t *c, int64_t now) {
    size_t at = 0;
    int waiting_for_more = 0;
    while (at < c->inlen && c->close_after != 1) {
        if (c->out.len - c->sent >= BACKLOG_MAX) break; /* the client is not reading */
        if (c->in[at] == '\r' || c->in[at] == '\n') { /* empty lines before a request */
            at++;
            continue;
        }
        size_t used;
        long length = head_length(c->in + at, c->inlen - at, &used);
        if (length < 0) {
            waiting_for_more = 1;
            break;
        }
        size_t n = (size_t)length;
        request_t r;
        mark_dirty(w, c);
        lru_touch(w, c, now); /* activity is a whole request, not a trickle of bytes */
        if (!parse_request(c->in + at, n, &r)) {
            c->close_after = 1;
            respond_json(c, 400, "Bad Request", "bad_request", "malformed HTTP request", NULL, 0);
        } else {
            if (!r.keep_alive) c->close_after = 1;
            handle(w, c, &r);
        }
        at += used;
    }
    if (at) {
        memmove(c->in, c->in + at, c->inlen - at);
        c->inlen -= at;
    }
    if (waiting_for_more && c->inlen == sizeof c->in && !c->close_after) {
        mark_dirty(w, c);
        c->close_after = 1;
        respond_json(c, 431, "Request Header Fields Too Large", "too_large",
                     "the request line and headers must fit in 16 KiB", NULL, 0);
    }
}

static void on_readable(worker_t *w, conn_t *c, int64_t now) {
    if (c->lingering) { /* discard what the client still sends until it closes */
        char sink[4096];
        ssize_t r;
        while ((r = recv(c->fd, sink, sizeof sink, 0)) > 0) {
        }
        if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
            conn_close(w, c);
            conn_release(c);
        }
        return;
    }
    while (c->inlen < sizeof c->in && !c->close_after) {
        ssize_t r = recv(c->fd, c->in + c->inlen, sizeof c->in - c->inlen, 0);
        if (r > 0) {
            c->inlen += (size_t)r;
            continue;
        }
        if (r < 0 && errno == EINTR) continue;
        if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
            c->close_after = 2; /* the client is gone or done: answer what it sent, then close */
        break;
    }
    process_input(w, c, now);
    if (c->close_after == 2 && !c->dirty && c->sent == c->out.len) {
        conn_close(w, c);
        conn_release(c);
        return;
    }
    conn_watch(w, c);
}

static void send_out(worker_t *w, conn_t *c) {
    while (c->sent < c->out.len) {
        ssize_t r = send(c->fd, c->out.p + c->sent, c->out.len - c->sent, MSG_NOSIGNAL);
        if (r > 0) {
            c->sent += (size_t)r;
            continue;
        }
        if (r < 0 && errno == EINTR) continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (c->out.len - c->sent > OUT_MAX) { /* far behind: drop it */
                conn_close(w, c);
                return;
            }
            c->writing = 1;
            conn_watch(w, c);
            return;
        }
        conn_close(w, c);
        return;
    }
    c->out.len = c->sent = 0;
    c->writing = 0;
    if (c->close_after == 1) {
        /* Closing with unread input would reset the connection and could destroy the
         * response before the client reads it: shut the sending side and drain. */
        shutdown(c->fd, SHUT_WR);
        c->lingering = 1;
        c->close_after = 0;
        c->inlen = 0;
    } else if (c->close_after && !c->inlen) { /* the client is done and fully answered */
        conn_close(w, c);
        return;
    } else if (c->inlen && !c->resume) {
        /* requests held back while the client was behind, including after it half-closed */
        c->resume = 1;
        c->next_resume = w->resume;
        w->resume = c;
    }
    conn_watch(w, c);
}

static void *worker_main(void *arg) {
    worker_t *w = arg;
    struct epoll_event events[256];
    struct epoll_event lev = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->listen_fd, &lev);
    int64_t last_sweep = mono_ms();
    while (!stopping) {
        int n = epoll_wait(w->epfd, events, 256, w->resume ? 0 : 50);
        int64_t now = mono_ms();
        if (w->accept_paused_until && now >= w->accept_paused_until) {
            w->accept_paused_until = 0;
            watch_listener(w, EPOLLIN);
        }
        reload_links(w, now);
        for (int i = 0; i < n; i++) {
            conn_t *c = events[i].data.ptr;
            if (!c) {
                accept_all(w, now);
                continue;
            }
            if (c->fd < 0) continue; /* closed earlier in this turn, freed at its end */
            if (events[i].events & (EPOLLOUT | EPOLLERR)) {
                send_out(w, c);
                if (c->fd < 0) {
                    conn_release(c);
                    continue;
                }
            }
            if (events[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
                on_readable(w, c, now);
        }
        /* connections whose held-back requests may go on now */
        conn_t *resume = w->resume;
        w->resume = NULL;
        while (resume) {
            conn_t *c = resume;
            resume = c->next_resume;
            c->resume = 0;
            c->next_resume = NULL;
            if (c->fd >= 0) {
                process_input(w, c, now);
                if (c->close_after == 2 && !c->dirty && c->sent == c->out.len)
                    conn_close(w, c); /* half-closed and all answered: an unfinished head */
                else
                    conn_watch(w, c);
            }
            conn_release(c);
        }
        /* Events first, then the responses that reveal their click ids. */
        if (spool_write(w, now) != 0) {
            for (conn_t *c = w->dirty; c; c = c->next_dirty) {
                if (c->fd < 0) continue;
                c->out.len = c->mark;
                c->close_after = 1;
                respond_json(c, 503, "Service Unavailable", "unavailable",
                             "clicks cannot be recorded right now; try again", "retry-after: 5\r\n",
                             0);
            }
            w->spool.len = 0;
        }
        conn_t *next;
        for (conn_t *c = w->dirty; c; c = next) {
            next = c->next_dirty;
            c->dirty = 0;
            c->next_dirty = NULL;
            if (c->fd >= 0) send_out(w, c);
            conn_release(c);
        }
        w->dirty = NULL;
        if (w->segment_fd >= 0 &&
            (now - w->segment_opened_ms >= config.rotate_ms || w->segment_bytes >= SEGMENT_MAX_BYTES))
            segment_close(w);
        if (now - last_sweep >= 1000) {
            last_sweep = now;
            while (w->oldest && now - w->oldest->active_ms > IDLE_SECONDS * 1000) {
                conn_t *c = w->oldest;
                conn_close(w, c);
                conn_release(c);
            }
        }
    }
    segment_close(w);
    return NULL;
}

/* ---------------------------------------------------------------- start */

#ifndef ACCORD_FUZZ /* fuzz/fuzz_request.c includes this file and calls process_input() */
static int listen_socket(void) {
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE};
    struct addrinfo *res;
    int rc = getaddrinfo(config.host, config.port, &hints, &res);
    if (rc != 0) die("cannot resolve %s: %s", config.host, gai_strerror(rc));
    int fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    if (bind(fd, res->ai_addr, res->ai_addrlen) != 0)
        die("cannot listen on %s:%s: %s", config.host, config.port, strerror(errno));
    if (listen(fd, 4096) != 0) die("listen: %s", strerror(errno));
    freeaddrinfo(res);
    return fd;
}

static void usage(void) {
    fputs("usage: accord-edge --listen HOST:PORT --links FILE --spool DIR [--threads N]\n"
          "                   [--trusted IP,IP...] [--rotate-ms MS]\n",
          stderr);
    exit(2);
}

int main(int argc, char **argv) {
    /* Stop with the process that started this one: at once when it dies (SIGTERM, handled
     * as any other), and by polling its id below where that signal is not delivered. */
    pid_t parent = getppid();
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) return 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (i + 1 >= argc) usage();
        const char *v = argv[++i];
        if (!strcmp(a, "--listen")) {
            char *copy = strdup(v);
            char *colon = strrchr(copy, ':');
            if (!colon) die("--listen wants HOST:PORT, got %s", v);
            *colon = 0;
            config.host = copy[0] == '[' ? copy + 1 : copy;
            if (copy[0] == '[' && colon[-1] == ']') colon[-1] = 0;
            config.port = colon + 1;
        } else if (!strcmp(a, "--links")) config.links_path = v;
        else if (!strcmp(a, "--spool")) config.spool_dir = v;
        else if (!strcmp(a, "--threads")) config.threads = atoi(v);
        else if (!strcmp(a, "--rotate-ms")) config.rotate_ms = atoi(v);
        else if (!strcmp(a, "--trusted")) {
            char *copy = strdup(v);
            config.trusted = calloc(strlen(v) + 1, sizeof(char *));
            for (char *tok = strtok(copy, ","); tok; tok = strtok(NULL, ","))
                config.trusted[config.ntrusted++] = tok;
        } else usage();
    }
    if (!config.links_path || !config.spool_dir) usage();
    if (config.threads < 1 || config.threads > 64) die("--threads must be 1 to 64");
    if (config.rotate_ms < 1) die("--rotate-ms must be positive");
    char error[512];
    table_t *first = table_load(config.links_path, error, sizeof error);
    if (!first) die("%s", error);
    struct stat st;
    if (stat(config.spool_dir, &st) != 0 || !S_ISDIR(st.st_mode))
        die("the spool %s is not a directory", config.spool_dir);
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    dup_slots = calloc(DUP_SLOTS, sizeof(dup_slot_t));
    if (!dup_slots) die("out of memory");
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    worker_t *workers = calloc((size_t)config.threads, sizeof(worker_t));
    pthread_t *threads = calloc((size_t)config.threads, sizeof(pthread_t));
    for (int i = 0; i < config.threads; i++) {
        workers[i].id = i;
        workers[i].listen_fd = listen_socket();
        workers[i].epfd = epoll_create1(EPOLL_CLOEXEC);
        workers[i].segment_fd = -1;
        workers[i].entropy.at = sizeof workers[i].entropy.pool;
    }
    fprintf(stderr, "accord-edge: serving %zu links on %s:%s with %d threads\n", first->nlinks,
            config.host, config.port, config.threads);
    table_free(first);
    for (int i = 0; i < config.threads; i++)
        pthread_create(&threads[i], NULL, worker_main, &workers[i]);
    /* Until SIGTERM or SIGINT, or until the process that started this one is gone. */
    struct timespec second = {1, 0};
    while (sigtimedwait(&set, NULL, &second) < 0 && getppid() == parent) {
    }
    stopping = 1;
    unsigned long long total = 0;
    for (int i = 0; i < config.threads; i++) {
        pthread_join(threads[i], NULL);
        total += workers[i].events;
    }
    fprintf(stderr, "accord-edge: stopped after %llu events\n", total);
    return 0;
}
#endif /* ACCORD_FUZZ */
