/* `hark serve` (and `hark chat`): wires net, store and the modules on one
 * libuv loop, serves until SIGTERM or SIGINT, then shuts down gracefully:
 * stop accepting, finish in-flight work, close WebSockets with 1001, let the
 * store commit and acknowledge what it holds, exit 0. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "chat/chat.h"
#include "cli/cli.h"
#include "core/embed.h"
#include "core/err.h"
#include "core/log.h"
#include "net/net.h"
#include "nlp/flags.h"
#include "web/web.h"

typedef struct server_app {
    uv_loop_t *loop;
    net_server *net;
    store *st;
    chat_module *chat;
    web_module *web;
    store *outreach_st; /* outreach's own connection, used from its thread */
    outreach *outreach;
    uv_signal_t sigterm, sigint;
    uint32_t grace_ms;
    int shutting_down;
} server_app;

static void healthz(http_req *req, void *ud) {
    (void)ud;
    http_respond(req, 200, "text/plain; charset=utf-8", "ok\n", 3);
}

static void readyz(http_req *req, void *ud) {
    (void)ud;
    /* Migrations ran before the server started; database checks arrive with obs. */
    http_respond(req, 200, "text/plain; charset=utf-8", "ready\n", 6);
}

static void home(http_req *req, void *ud) {
    const struct embed_file *f = embed_find(hark_assets, "/index.html");
    (void)ud;
    if (!f) {
        http_respond_error(req, 404, "not_found", "no such page");
        return;
    }
    http_respond(req, 200, "text/html; charset=utf-8", f->data, f->len);
}

static void on_net_closed(void *arg) {
    server_app *app = arg;
    if (app->chat) chat_stop(app->chat);
    if (app->web) web_stop(app->web);
    store_stop(app->st);
    uv_close((uv_handle_t *)&app->sigterm, NULL);
    uv_close((uv_handle_t *)&app->sigint, NULL);
    log_info("shutdown complete");
}

static void on_signal(uv_signal_t *h, int signum) {
    server_app *app = h->data;
    if (app->shutting_down) return;
    app->shutting_down = 1;
    log_info("signal %d: shutting down", signum);
    net_shutdown(app->net, app->grace_ms, on_net_closed, app);
}

static void raise_fd_limit(void) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

int cli_serve(const hark_config *cfg, const char *modules, int argc, char **argv) {
    server_app app;
    net_limits lim;
    chat_opts co;
    int port = 0, rc = 1;
    unsigned char used[64] = {0};
    if (argc > 64 || cli_check_unused(modules, argc, argv, used)) return 2;
    /* Load the red-flag rules now: chat must never run with them missing. */
    char err[256];
    if (nlp_flags_init(err, sizeof err)) {
        fprintf(stderr, "hark: red-flag rules: %s\n", err);
        return 1;
    }
    memset(&app, 0, sizeof app);
    memset(&co, 0, sizeof co);
    if (cli_load_key(cfg, co.key)) return 1;
    if ((rc = cli_open_store(cfg, &app.st))) return rc;
    rc = 1;
    raise_fd_limit();
    signal(SIGPIPE, SIG_IGN);

    app.loop = uv_default_loop();
    app.grace_ms = (uint32_t)cfg->shutdown_grace_ms;
    if (store_start(app.st, app.loop)) {
        fprintf(stderr, "hark: cannot start the database threads\n");
        goto out;
    }
    net_limits_default(&lim);
    lim.max_header_bytes = (size_t)cfg->max_header_bytes;
    lim.max_body_bytes = (size_t)cfg->max_body_bytes;
    lim.header_timeout_ms = (uint32_t)cfg->header_timeout_ms;
    lim.ws_max_message = (size_t)cfg->ws_max_message;
    lim.ws_ping_interval_ms = (uint32_t)cfg->ws_ping_interval_ms;
    lim.allowed_origins = cfg->allowed_origins;
    app.net = net_server_new(app.loop, &lim);
    if (!app.net) goto out;
    net_route(app.net, "GET", "/healthz", 0, healthz, &app);
    net_route(app.net, "GET", "/readyz", 0, readyz, &app);
    net_route(app.net, "GET", "/", 0, home, &app);
    net_static_route(app.net, "/static/");

    co.max_text = (size_t)cfg->chat_max_text;
    co.persist = cfg->chat_persist;
    co.hello_timeout_ms = 10000;
    co.support_message = cfg->chat_support_message;
    app.chat = chat_new(app.loop, app.net, app.st, &co);
    if (!app.chat) goto out;
    if (!co.persist) log_warn("chat_persist is false: answers are NOT stored (benchmark mode)");

    /* The HR API (sign-in first) in the all-in-one process. */
    if (!strcmp(modules, "serve")) {
        web_opts wo;
        char web_url[600];
        memset(&wo, 0, sizeof wo);
        memcpy(wo.key, co.key, sizeof wo.key);
        config_public_url(cfg, web_url, sizeof web_url);
        wo.public_url = web_url;
        wo.allowed_origins = cfg->allowed_origins;
        app.web = web_new(app.loop, app.net, app.st, &wo);
        if (!app.web) goto out;
    }

    /* Outreach runs on its own thread with its own database connection, so
     * planning and mail never wait on, or hold up, the chat's loop. */
    if (cfg->outreach && !strcmp(modules, "serve")) {
        outreach_opts oo;
        char mail_url[1100], public_url[600];
        if (cli_outreach_opts(cfg, &oo, mail_url, sizeof mail_url, public_url, sizeof public_url)) goto out;
        if (cli_open_outreach_store(cfg, &app.outreach_st)) goto out;
        app.outreach = outreach_new(app.outreach_st, &oo, err, sizeof err);
        if (!app.outreach) {
            fprintf(stderr, "hark: outreach: %s\n", err);
            rc = 2;
            goto out;
        }
    }

    if (net_listen(app.net, cfg->listen, &port)) {
        fprintf(stderr, "hark: listen: cannot listen on %s\n", cfg->listen);
        rc = 2;
        goto out;
    }
    uv_signal_init(app.loop, &app.sigterm);
    uv_signal_init(app.loop, &app.sigint);
    app.sigterm.data = app.sigint.data = &app;
    uv_signal_start(&app.sigterm, on_signal, SIGTERM);
    uv_signal_start(&app.sigint, on_signal, SIGINT);

    char host[128];
    snprintf(host, sizeof host, "%s", cfg->listen);
    char *colon = strrchr(host, ':');
    if (colon) *colon = '\0';
    if (!host[0] || !strcmp(host, "0.0.0.0")) snprintf(host, sizeof host, "127.0.0.1");
    printf("listening on http://%s:%d\n", host, port);
    fflush(stdout);
    log_info("hark %s serving on port %d", modules, port);
    if (app.outreach && outreach_start(app.outreach)) {
        fprintf(stderr, "hark: cannot start the outreach thread\n");
        goto out;
    }
    uv_run(app.loop, UV_RUN_DEFAULT);
    rc = 0;
out:
    if (rc) {
        /* Started but failed before serving: stop what was started. */
        if (app.web) web_stop(app.web);
        if (app.net) net_server_free(app.net);
        app.net = NULL;
        if (app.st) {
            store_stop(app.st);
            uv_run(app.loop, UV_RUN_NOWAIT);
        }
    }
    if (app.outreach) outreach_free(app.outreach); /* stops its thread after the mail in flight */
    if (app.outreach_st) store_close(app.outreach_st);
    if (app.chat) chat_free(app.chat);
    if (app.web) web_free(app.web);
    if (app.net) net_server_free(app.net);
    if (app.st) store_close(app.st);
    uv_loop_close(app.loop);
    return rc;
}
