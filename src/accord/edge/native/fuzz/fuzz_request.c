/*
 * A libFuzzer target for the native click edge's request handling: the bytes a client sends
 * go through the same code the server runs on a connection's input (process_input: request
 * heads, pipelining, the 400/405/431 refusals, queries, deep links, redirects, the spooled
 * event), without a socket. Besides the sanitizers' findings it fails when a response's
 * header block holds a byte a header cannot carry (a control character, DEL, or a line
 * break that is not the end of a header line), or when a spooled event is not one line.
 *
 * Build (clang with libFuzzer; on Debian: apt-get install clang-14 libclang-rt-14-dev):
 *
 *   clang-14 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
 *       -pthread -o /tmp/fuzz-request src/accord/edge/native/fuzz/fuzz_request.c
 *
 * Run, keeping what it finds in a scratch corpus and starting from the seeds here:
 *
 *   mkdir -p /tmp/fuzz-corpus
 *   /tmp/fuzz-request -max_total_time=3600 -print_final_stats=1 -timeout=10 \
 *       -artifact_prefix=/tmp/fuzz- /tmp/fuzz-corpus src/accord/edge/native/fuzz/corpus
 *
 * (-max_total_time=3600 is an hour; add -jobs=N -workers=N to use N cores.) A crash is
 * written to /tmp/fuzz-crash-*; replay it with `/tmp/fuzz-request /tmp/fuzz-crash-...`.
 * tests/tracking/test_edge_fuzz.py builds this and runs it for 20 seconds.
 */
#define ACCORD_FUZZ 1
#include "../accord_edge.c"

static const char LINKS[] =
    "accord-links\t1\n"
    "plain\tlnk_1\tprg_1\tprt_1\thttps://brand.example/\taccord_click\t\t"
    "blog.brand.example,.shop.example\t30\t\n"
    "query\tlnk_2\tprg_1\tprt_1\thttps://brand.example/spring?ref=news&accord_click=old&x=a+b"
    "\taccord_click\thttps://brand.example/\t.shop.example\t30\t\n"
    "frag\tlnk_3\tprg_1\tprt_2\thttps://www.shop.example/item/7#reviews\tcid\t"
    "https://www.shop.example:8443/\t\t0\t\n"
    "gone\tlnk_4\tprg_2\tprt_3\thttps://brand.example/x\taccord_click\t\t\t30\t1\n";

static worker_t worker;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    char path[] = "/tmp/accord-fuzz-links-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0 || write(fd, LINKS, sizeof LINKS - 1) != (ssize_t)(sizeof LINKS - 1)) abort();
    close(fd);
    char error[512];
    worker.links = table_load(path, error, sizeof error);
    unlink(path);
    if (!worker.links) abort();
    static char *proxies[] = {"127.0.0.1"};
    config.trusted = proxies;
    config.ntrusted = 1;
    dup_slots = calloc(DUP_SLOTS, sizeof(dup_slot_t));
    if (!dup_slots) abort();
    worker.segment_fd = -1;
    worker.entropy.at = sizeof worker.entropy.pool;
    worker.epfd = -1;
    return 0;
}

/* Every byte of a response head is visible ASCII, space or tab, and lines end with CRLF. */
static void check_heads(const char *p, size_t n) {
    size_t at = 0;
    while (at < n) {
        const char *end = memmem(p + at, n - at, "\r\n\r\n", 4);
        if (!end) abort(); /* a response without the end of its head */
        for (const char *x = p + at; x < end; x++) {
            unsigned char c = (unsigned char)*x;
            if (c == '\r' && x[1] == '\n') {
                x++;
                continue;
            }
            if ((c < 0x20 && c != '\t') || c >= 0x7f) abort();
        }
        size_t head = (size_t)(end - (p + at)) + 4;
        const char *length = memmem(p + at, head, "content-length: ", 16);
        if (!length) abort();
        size_t body = strtoul(length + 16, NULL, 10);
        at += head;
        /* A HEAD answer carries the length of a GET's body but not the body; a body starts
         * with '{' or "GIF89a", never as the next answer does. */
        if (at == n || (n - at >= 9 && memcmp(p + at, "HTTP/1.1 ", 9) == 0)) continue;
        if (body > n - at) abort();
        at += body;
    }
}

/* The spool holds whole JSON lines with no raw control character. */
static void check_spool(const buf_t *s) {
    if (s->len && s->p[s->len - 1] != '\n') abort();
    for (size_t i = 0; i < s->len; i++) {
        unsigned char c = (unsigned char)s->p[i];
        if (c < 0x20 && c != '\n') abort();
        if (c == '\n' && i + 1 < s->len && s->p[i + 1] != '{') abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    /* The input arrives in two reads, as a slow client's would, split where a hash of its
     * bytes says (so the seeds stay plain requests and each mutation moves the split). */
    size_t split = (size_t)(fnv((const char *)data, size, FNV_START) % (size + 1));
    conn_t *c = calloc(1, sizeof *c);
    if (!c) abort();
    c->fd = -1;
    memcpy(c->peer, "127.0.0.1", 10);
    c->peer_len = 9;
    int64_t now = 1000;
    const uint8_t *parts[2] = {data, data + split};
    size_t lengths[2] = {split, size - split};
    for (int k = 0; k < 2; k++) {
        size_t off = 0;
        while (off < lengths[k] && !c->close_after) {
            size_t room = sizeof c->in - c->inlen;
            size_t take = lengths[k] - off < room ? lengths[k] - off : room;
            memcpy(c->in + c->inlen, parts[k] + off, take);
            c->inlen += take;
            off += take;
            /* answer, then "send" what was answered, until the input stops moving */
            for (;;) {
                size_t before = c->inlen;
                process_input(&worker, c, now);
                check_heads(c->out.p, c->out.len);
                check_spool(&worker.spool);
                worker.spool.len = 0;
                c->out.len = c->sent = 0;
                c->dirty = 0;
                worker.dirty = NULL;
                if (c->inlen == before || !c->inlen || c->close_after) break;
            }
            if (!take) break;
        }
    }
    lru_remove(&worker, c);
    conn_free(c);
    return 0;
}
