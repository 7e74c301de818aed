/* One TLS connection through memory BIOs: the socket code moves ciphertext
 * in and out, OpenSSL never touches a file descriptor, so nothing blocks
 * the loop. rbio holds ciphertext from the peer, wbio ciphertext for it.
 *
 * Memory BIOs grow as needed; the caller bounds rbio by reading from the
 * socket only while it has room (see net_tcp.c), and wbio is drained after
 * every operation. */
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdlib.h>

#include "emu/arena.h"
#include "net_int.h"

struct net_tls_conn {
    SSL *ssl;
    BIO *rbio, *wbio;
};

net_tls_conn *net__tls_accept(emu_tls *t)
{
    SSL_CTX *ctx = net__tls_ctx(t);
    if (!ctx)
        return NULL; /* the lazy TLS set-up failed (logged once) */
    net_tls_conn *tc = emu_xcalloc(1, sizeof *tc);
    tc->ssl = SSL_new(ctx);
    tc->rbio = BIO_new(BIO_s_mem());
    tc->wbio = BIO_new(BIO_s_mem());
    if (!tc->ssl || !tc->rbio || !tc->wbio) {
        /* Out of memory inside OpenSSL: like emu_xmalloc, give up. */
        abort();
    }
    /* An empty memory BIO reports "retry", not EOF. */
    BIO_set_mem_eof_return(tc->rbio, -1);
    SSL_set_bio(tc->ssl, tc->rbio, tc->wbio); /* the SSL owns both BIOs */
    SSL_set_accept_state(tc->ssl);
    return tc;
}

void net__tls_free(net_tls_conn *tc)
{
    if (!tc)
        return;
    SSL_free(tc->ssl);
    free(tc);
}

void net__tls_put(net_tls_conn *tc, const void *data, size_t n)
{
    if (n)
        BIO_write(tc->rbio, data, (int)n);
}

size_t net__tls_buffered(const net_tls_conn *tc)
{
    return BIO_ctrl_pending(tc->rbio);
}

bool net__tls_handshake_done(const net_tls_conn *tc)
{
    return SSL_is_init_finished(tc->ssl);
}

int net__tls_read(net_tls_conn *tc, emu_buf *out, size_t room, const char **why)
{
    char chunk[16384];
    size_t want = room < sizeof chunk ? room : sizeof chunk;
    if (!want)
        return 0;
    ERR_clear_error();
    int n = SSL_read(tc->ssl, chunk, (int)want);
    if (n > 0) {
        /* Cannot fail: the caller checked the room. */
        emu_buf_append(out, chunk, (size_t)n);
        return n;
    }
    switch (SSL_get_error(tc->ssl, n)) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
        return 0;
    case SSL_ERROR_ZERO_RETURN:
        *why = "peer sent close_notify";
        return -2;
    default: {
        unsigned long e = ERR_peek_error();
        *why = e ? ERR_reason_error_string(e) : "protocol error";
        if (!*why)
            *why = "protocol error";
        ERR_clear_error();
        return -1;
    }
    }
}

int net__tls_write(net_tls_conn *tc, const void *p, size_t n)
{
    size_t done = 0;
    ERR_clear_error();
    while (done < n) {
        size_t part = n - done > (1u << 30) ? (1u << 30) : n - done;
        int w = SSL_write(tc->ssl, (const char *)p + done, (int)part);
        if (w <= 0) {
            ERR_clear_error();
            return -1;
        }
        done += (size_t)w;
    }
    return 0;
}

char *net__tls_take_output(net_tls_conn *tc, size_t *len)
{
    size_t n = BIO_ctrl_pending(tc->wbio);
    if (!n)
        return NULL;
    char *p = emu_xmalloc(n);
    int r = BIO_read(tc->wbio, p, (int)n);
    if (r <= 0) {
        free(p);
        return NULL;
    }
    *len = (size_t)r;
    return p;
}

void net__tls_shutdown(net_tls_conn *tc)
{
    if (SSL_is_init_finished(tc->ssl)) {
        SSL_shutdown(tc->ssl);
        ERR_clear_error();
    }
}
