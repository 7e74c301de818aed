/* The server certificate: a local CA and a leaf made on first start and
 * kept in the state dir, or the user's --tls-cert/--tls-key (DESIGN.md §1,
 * rpc-api.md §10.4: the credentials providers only speak HTTPS, so clients
 * must be able to trust acsemu with NODE_EXTRA_CA_CERTS / SSL_CERT_FILE).
 *
 * Keys are EC P-256: generating one takes about a millisecond, so the first
 * start stays fast. Files: ca.pem + ca-key.pem (10 years), cert.pem +
 * key.pem (397 days, remade 30 days before expiry or when the region's
 * names are missing). An flock on state_dir/.lock serialises concurrent
 * starts (parallel test runners share one state dir). All of this is
 * blocking I/O at start-up, before the loop runs. */
#include <errno.h>
#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emu/arena.h"
#include "emu/buf.h"
#include "emu/fs.h"
#include "emu/log.h"
#include "net_int.h"

#define CA_DAYS 3650
#define LEAF_DAYS 397
#define LEAF_RENEW_DAYS 30

/* Regions whose endpoint names every leaf covers, besides --region. */
static const char *const regions[] = {"cn-hangzhou",    "cn-shanghai",
                                      "cn-beijing",     "cn-shenzhen",
                                      "cn-qingdao",     "cn-zhangjiakou",
                                      "cn-huhehaote",   "cn-wulanchabu",
                                      "cn-chengdu",     "cn-guangzhou",
                                      "cn-hongkong",    "ap-southeast-1",
                                      "ap-southeast-3", "ap-southeast-5",
                                      "ap-northeast-1", "ap-south-1",
                                      "us-west-1",      "us-east-1",
                                      "eu-central-1",   "eu-west-1",
                                      "me-east-1",      NULL};

/* Per-region names, as "*." + region + suffix: STS/RAM/other RPC
 * endpoints (sts.cn-hangzhou.aliyuncs.com, sts-vpc...), Tablestore
 * instance endpoints in their public, internal and VPC forms, and
 * MaxCompute (tablestore-protocol.md, maxcompute-external-table.md). */
static const char *const suffixes[] = {".aliyuncs.com",
                                       ".ots.aliyuncs.com",
                                       ".ots-internal.aliyuncs.com",
                                       ".tablestore.aliyuncs.com",
                                       ".vpc.tablestore.aliyuncs.com",
                                       ".maxcompute.aliyun.com",
                                       "-vpc.maxcompute.aliyun-inc.com",
                                       NULL};

struct emu_tls {
    SSL_CTX *ctx; /* NULL until the first TLS connection (lazy, see below) */
    char *ca_file;
    char *dir; /* generated certificates: state dir, for the lazy set-up */
    char *region;
    bool failed; /* the lazy set-up failed once: refuse TLS from then on */
};

static emu_rc ctx_from_state_dir(emu_tls *t, emu_err *err);
static SSL_CTX *new_server_ctx(emu_err *err);

static emu_rc ssl_fail(emu_err *err, const char *what)
{
    char buf[160] = "";
    unsigned long e = ERR_get_error();
    if (e)
        ERR_error_string_n(e, buf, sizeof buf);
    ERR_clear_error();
    return emu_err_set(err, EMU_E_INTERNAL, NULL, "TLS: %s%s%s", what, *buf ? ": " : "", buf);
}

static bool add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
    if (!ext)
        return false;
    bool ok = X509_add_ext(x, ext, -1) == 1;
    X509_EXTENSION_free(ext);
    return ok;
}

/* A certificate for `key`, signed by issuer_key (self-signed when issuer is
 * NULL). `san` is NULL for the CA. */
static X509 *make_cert(EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key, const char *cn,
                       const char *san, int days)
{
    X509 *x = X509_new();
    BIGNUM *serial = BN_new();
    bool ok = x && serial && X509_set_version(x, 2) == 1 &&
              BN_rand(serial, 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) == 1 &&
              BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(x)) &&
              X509_gmtime_adj(X509_getm_notBefore(x), -3600) &&
              X509_time_adj_ex(X509_getm_notAfter(x), days, 0, NULL) &&
              X509_set_pubkey(x, key) == 1;
    BN_free(serial);
    if (!ok) {
        X509_free(x);
        return NULL;
    }
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"acsemu", -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);

    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
    if (!san) {
        ok = add_ext(x, &ctx, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") &&
             add_ext(x, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign") &&
             add_ext(x, &ctx, NID_subject_key_identifier, "hash");
    } else {
        ok = add_ext(x, &ctx, NID_basic_constraints, "critical,CA:FALSE") &&
             add_ext(x, &ctx, NID_key_usage, "critical,digitalSignature,keyEncipherment") &&
             add_ext(x, &ctx, NID_ext_key_usage, "serverAuth") &&
             add_ext(x, &ctx, NID_subject_key_identifier, "hash") &&
             add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always") &&
             add_ext(x, &ctx, NID_subject_alt_name, san);
    }
    if (!ok || !X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256())) {
        X509_free(x);
        return NULL;
    }
    return x;
}

static char *leaf_san(const char *region)
{
    emu_buf b;
    emu_buf_init(&b, 64 * 1024);
    emu_buf_puts(&b, "DNS:localhost,IP:127.0.0.1,IP:::1,DNS:*.aliyuncs.com,DNS:*.aliyun.com,"
                     "DNS:*.odps.aliyun.com,DNS:*.maxcompute.aliyun.com");
    bool listed = !region;
    for (const char *const *r = regions; *r; r++) {
        listed = listed || strcmp(*r, region) == 0;
        for (const char *const *p = suffixes; *p; p++)
            emu_buf_printf(&b, ",DNS:*.%s%s", *r, *p);
    }
    for (const char *const *p = suffixes; !listed && *p; p++)
        emu_buf_printf(&b, ",DNS:*.%s%s", region, *p);
    size_t n;
    return emu_buf_take(&b, &n);
}

/* Writes PEM through a temporary file and rename, so a reader never sees a
 * half-written file; private keys are created 0600. */
static bool write_pem(const char *dir, const char *name, X509 *cert, EVP_PKEY *key)
{
    char path[4096], tmp[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, key ? 0600 : 0644);
    if (fd < 0)
        return false;
    FILE *f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        unlink(tmp);
        return false;
    }
    bool ok = key ? PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) == 1
                  : PEM_write_X509(f, cert) == 1;
    ok = fflush(f) == 0 && ok;
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
        return false;
    }
    return true;
}

static X509 *read_cert(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    return x;
}

static EVP_PKEY *read_key(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    EVP_PKEY *k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    return k;
}

/* Valid for at least `days` more days and a key pair with `key`. */
static bool cert_usable(X509 *x, EVP_PKEY *key, int days)
{
    if (!x || !key || X509_check_private_key(x, key) != 1)
        return false;
    time_t later = time(NULL) + (time_t)days * 86400;
    return X509_cmp_time(X509_get0_notAfter(x), &later) > 0 &&
           X509_cmp_current_time(X509_get0_notBefore(x)) < 0;
}

static bool leaf_covers(X509 *leaf, const char *region)
{
    char host[128];
    snprintf(host, sizeof host, "sts.%s.aliyuncs.com", region ? region : "cn-hangzhou");
    return X509_check_host(leaf, "localhost", 0, 0, NULL) == 1 &&
           X509_check_host(leaf, host, 0, 0, NULL) == 1;
}

static int mkdir_p(const char *path)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

/* Loads or makes the CA and the leaf in `dir`. */
static emu_rc generated(const char *dir, const char *region, X509 **leaf_out, EVP_PKEY **key_out,
                        emu_err *err)
{
    X509 *ca = NULL, *leaf = NULL;
    EVP_PKEY *ca_key = NULL, *key = NULL;
    char *san = NULL;
    emu_rc rc = EMU_OK;
    char lock[4096];

    if (mkdir_p(dir) != 0)
        return emu_err_set(err, EMU_E_INTERNAL, NULL, "TLS: cannot create state dir %s: %s", dir,
                           strerror(errno));
    snprintf(lock, sizeof lock, "%s/.lock", dir);
    int lfd = open(lock, O_RDWR | O_CREAT, 0600);
    if (lfd < 0 || flock(lfd, LOCK_EX) != 0) {
        rc = emu_err_set(err, EMU_E_INTERNAL, NULL, "TLS: cannot lock %s: %s", lock,
                         strerror(errno));
        goto out;
    }
    ca = read_cert(dir, "ca.pem");
    ca_key = read_key(dir, "ca-key.pem");
    bool new_ca = false;
    if (!cert_usable(ca, ca_key, LEAF_DAYS)) {
        X509_free(ca);
        EVP_PKEY_free(ca_key);
        char cn[128], hn[64] = "localhost";
        gethostname(hn, sizeof hn - 1);
        snprintf(cn, sizeof cn, "acsemu local CA (%.60s)", hn);
        ca_key = EVP_EC_gen("P-256");
        ca = ca_key ? make_cert(ca_key, NULL, NULL, cn, NULL, CA_DAYS) : NULL;
        if (!ca || !write_pem(dir, "ca-key.pem", NULL, ca_key) ||
            !write_pem(dir, "ca.pem", ca, NULL)) {
            rc = ca ? emu_err_set(err, EMU_E_INTERNAL, NULL, "TLS: cannot write the CA to %s: %s",
                                  dir, strerror(errno))
                    : ssl_fail(err, "cannot make the CA");
            goto out;
        }
        new_ca = true;
        emu_log(EMU_LOG_INFO, "TLS: made a local CA in %s/ca.pem", dir);
    }
    leaf = read_cert(dir, "cert.pem");
    key = read_key(dir, "key.pem");
    EVP_PKEY *ca_pub = X509_get0_pubkey(ca);
    if (new_ca || !cert_usable(leaf, key, LEAF_RENEW_DAYS) || X509_verify(leaf, ca_pub) != 1 ||
        !leaf_covers(leaf, region)) {
        X509_free(leaf);
        EVP_PKEY_free(key);
        san = leaf_san(region);
        key = EVP_EC_gen("P-256");
        leaf = key ? make_cert(key, ca, ca_key, "localhost", san, LEAF_DAYS) : NULL;
        if (!leaf || !write_pem(dir, "key.pem", NULL, key) ||
            !write_pem(dir, "cert.pem", leaf, NULL)) {
            rc = leaf ? emu_err_set(err, EMU_E_INTERNAL, NULL,
                                    "TLS: cannot write the certificate to %s: %s", dir,
                                    strerror(errno))
                      : ssl_fail(err, "cannot make the server certificate");
            goto out;
        }
    }
    *leaf_out = leaf;
    *key_out = key;
    leaf = NULL;
    key = NULL;
out:
    if (lfd >= 0)
        close(lfd); /* releases the flock */
    X509_free(ca);
    EVP_PKEY_free(ca_key);
    X509_free(leaf);
    EVP_PKEY_free(key);
    free(san);
    return rc;
}

/* HTTP/1.1 is all acsemu speaks: pick it when offered, else no ALPN. */
static int alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                       const unsigned char *in, unsigned int inlen, void *arg)
{
    static const unsigned char h11[] = "\x08http/1.1";
    unsigned char *sel;
    (void)ssl;
    (void)arg;
    if (SSL_select_next_proto(&sel, outlen, h11, sizeof h11 - 1, in, inlen) ==
        OPENSSL_NPN_NEGOTIATED) {
        *out = sel;
        return SSL_TLSEXT_ERR_OK;
    }
    return SSL_TLSEXT_ERR_NOACK;
}

static const char *default_state_dir(char *buf, size_t n)
{
    const char *xdg = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    if (xdg && *xdg)
        snprintf(buf, n, "%s/acsemu", xdg);
    else if (home && *home)
        snprintf(buf, n, "%s/.cache/acsemu", home);
    else
        return NULL;
    return buf;
}

static SSL_CTX *new_server_ctx(emu_err *err)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) {
        ssl_fail(err, "SSL_CTX_new");
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_alpn_select_cb(ctx, alpn_select, NULL);
    return ctx;
}

emu_tls *emu_tls_new(const emu_tls_config *cfg, emu_err *err)
{
    char dirbuf[4096];
    emu_tls *t = emu_xcalloc(1, sizeof *t);

    if (cfg->cert_file || cfg->key_file) {
        /* A certificate the user named must work: load it now. */
        if (!cfg->cert_file || !cfg->key_file) {
            emu_err_set(err, EMU_E_INVALID, NULL, "--tls-cert and --tls-key go together");
            goto fail;
        }
        if (!(t->ctx = new_server_ctx(err)))
            goto fail;
        if (SSL_CTX_use_certificate_chain_file(t->ctx, cfg->cert_file) != 1) {
            ssl_fail(err, "cannot use --tls-cert");
            emu_err_prefix(err, "%s: ", cfg->cert_file);
            goto fail;
        }
        if (SSL_CTX_use_PrivateKey_file(t->ctx, cfg->key_file, SSL_FILETYPE_PEM) != 1 ||
            SSL_CTX_check_private_key(t->ctx) != 1) {
            ssl_fail(err, "cannot use --tls-key with --tls-cert");
            emu_err_prefix(err, "%s: ", cfg->key_file);
            goto fail;
        }
        return t;
    }
    const char *dir = cfg->state_dir ? cfg->state_dir : default_state_dir(dirbuf, sizeof dirbuf);
    if (!dir) {
        emu_err_set(err, EMU_E_INVALID, NULL,
                    "TLS: no state dir (set --state-dir, XDG_CACHE_HOME or HOME)");
        goto fail;
    }
    t->dir = emu_xstrdup(dir);
    /* It holds the CA's private key: a directory others can write lets
     * them swap in a CA of their own. */
    emu_fs_warn_unsafe_dir("--state-dir", dir);
    t->region = cfg->region ? emu_xstrdup(cfg->region) : NULL;
    size_t n = strlen(dir) + sizeof "/ca.pem";
    t->ca_file = emu_xmalloc(n);
    snprintf(t->ca_file, n, "%s/ca.pem", dir);

    /* A start-up that finds the certificates already made defers loading
     * them (EC keys, X.509 parsing, SSL_CTX: ~20M instructions and ~4 MB of
     * libcrypto pages) to the first TLS connection, which most runs never
     * see; expiry and region coverage are checked then. The first run ever
     * makes them now, so the CA file the ready line names exists. */
    static const char *const files[] = {"ca.pem", "ca-key.pem", "cert.pem", "key.pem"};
    bool all = true;
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char f[4200];
        snprintf(f, sizeof f, "%s/%s", dir, files[i]);
        all = all && access(f, R_OK) == 0;
    }
    if (all)
        return t;
    if (ctx_from_state_dir(t, err) != EMU_OK)
        goto fail;
    return t;
fail:
    emu_tls_free(t);
    return NULL;
}

const char *emu_tls_ca_file(const emu_tls *t)
{
    return t ? t->ca_file : NULL;
}

void emu_tls_free(emu_tls *t)
{
    if (!t)
        return;
    SSL_CTX_free(t->ctx);
    free(t->ca_file);
    free(t->dir);
    free(t->region);
    free(t);
}

/* The deferred half of emu_tls_new: load (or renew) the generated
 * certificates into a fresh SSL_CTX. Runs once, on the loop, at the first
 * TLS connection; it only reads small files (or, when the leaf must be
 * renewed, signs a new one: a few ms, once). */
static emu_rc ctx_from_state_dir(emu_tls *t, emu_err *err)
{
    X509 *leaf = NULL;
    EVP_PKEY *key = NULL;
    SSL_CTX *ctx = new_server_ctx(err);
    emu_rc rc = EMU_OK;

    if (!ctx)
        return EMU_E_INTERNAL;
    if ((rc = generated(t->dir, t->region, &leaf, &key, err)) != EMU_OK)
        goto out;
    if (SSL_CTX_use_certificate(ctx, leaf) != 1 || SSL_CTX_use_PrivateKey(ctx, key) != 1) {
        rc = ssl_fail(err, "cannot use the generated certificate");
        goto out;
    }
    t->ctx = ctx;
    ctx = NULL;
out:
    X509_free(leaf);
    EVP_PKEY_free(key);
    SSL_CTX_free(ctx);
    return rc;
}

SSL_CTX *net__tls_ctx(emu_tls *t)
{
    if (!t->ctx && !t->failed && t->dir) {
        emu_err err = {0};
        if (ctx_from_state_dir(t, &err) != EMU_OK) {
            t->failed = true;
            emu_log(EMU_LOG_ERROR, "ERR TLS %s (HTTPS connections are refused)", err.msg);
        }
    }
    return t->ctx;
}
