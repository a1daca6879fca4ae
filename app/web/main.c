/* main.c: billsync-web: the FastCGI pool. The master opens the socket once and supervises
 * web.children processes (common/supervisor.c); each child holds its own database
 * connection and loops on FCGX_Accept_r. */
#include "common/config.h"
#include "common/log.h"
#include "common/program.h"
#include "common/supervisor.h"
#include "db/conn_shared.h"
#include "db/db.h"
#include "net/http.h"
#include "web/app.h"

#include <errno.h>
#include <fcgiapp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct web_ctx {
    int listen_fd;
    const struct config *cfg;
};

static void on_child_term(int sig)
{
    (void)sig;
    FCGX_ShutdownPending();       /* finish the request in flight, then leave the loop */
}

static void child_main(void *vctx)
{
    const struct web_ctx *ctx = vctx;
    supervisor_on_signal(SIGTERM, on_child_term);
    supervisor_on_signal(SIGINT, on_child_term);
    /* The handle connects on first use and after any loss, so a child serves error pages
     * and /healthz 503 while the database is down, and recovers by itself. */
    db_t *db = db_lazy(ctx->cfg);
    if (!db)
        _exit(1);
    FCGX_Request req;
    FCGX_InitRequest(&req, ctx->listen_fd, 0);
    /* Each web statement is bounded by the server (web.statement_ms): a report too large
     * ends with an answer, not a read timeout. */
    db_statement_limit(db, ctx->cfg->web_statement_ms);
    while (FCGX_Accept_r(&req) >= 0) {
        db_clear_error(db);
        web_handle(&req, ctx->cfg, db);
        /* A failed stream (resp_abort, or nginx gone because its client is) is not ended:
         * the socket is closed without FCGI_END_REQUEST. nginx, with fastcgi_keep_conn on
         * (conf/nginx-site.conf), then calls it "upstream prematurely closed connection"
         * and closes the client's connection without the final chunk. */
        if (req.out && FCGX_GetError(req.out))
            FCGX_Free(&req, 1);
        FCGX_Finish_r(&req);
    }
    db_close(db);
    _exit(0);
}

static const char usage[] =
    "usage: billsync-web [--config FILE]\n"
    "Runs the FastCGI pool for the billsync web UI on web.socket (a path, or host:port)\n"
    "with web.children processes. Signals: HUP recycles the children, TERM or INT drains\n"
    "them and exits.\n"
    "Environment: BILLSYNC_CONFIG, and BILLSYNC_SECTION_KEY for any setting.\n";

int main(int argc, char **argv)
{
    static struct config cfg;
    program_start(argc, argv, "billsync-web", usage, &cfg, 0);
    conn_shared_configure(cfg.budget_share_percent, cfg.threshold_check_seconds);
    http_allow_insecure(cfg.net_allow_insecure_http);
    FCGX_Init();
    int fd;
    if (!strchr(cfg.web_socket, '/') && strchr(cfg.web_socket, ':')) {
        /* host:port: a web host behind a remote nginx (several hosts in one upstream,
         * doc/scale-out.md); libfcgi then serves only the addresses in FCGI_WEB_SERVER_ADDRS
         * when it is set. */
        fd = FCGX_OpenSocket(cfg.web_socket, 256);
    } else {
        /* Bind a temporary name and rename it over the live path: a new master can replace
         * a running one with no moment without a socket. */
        char tmp[sizeof cfg.web_socket + 32];
        snprintf(tmp, sizeof tmp, "%s.%d", cfg.web_socket, (int)getpid());
        mode_t old = umask(0117);
        fd = FCGX_OpenSocket(tmp, 256);
        umask(old);
        if (fd >= 0 && rename(tmp, cfg.web_socket) < 0)
            fd = -1;
    }
    if (fd < 0) {
        fprintf(stderr, "billsync-web: cannot listen on %s: %s\n", cfg.web_socket, strerror(errno));
        return 1;
    }
    log_info("listening on %s with %d children", cfg.web_socket, cfg.web_children);
    struct web_ctx ctx = {fd, &cfg};
    supervise(cfg.web_children, child_main, &ctx, 5);
    log_info("stopped");
    return 0;
}
