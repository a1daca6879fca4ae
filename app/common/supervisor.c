/* supervisor.c: a master that keeps N child processes running (see supervisor.h). */
#include "common/supervisor.h"

#include "common/log.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_KIDS 512

struct kid {
    pid_t pid;
    int gen;
};

static struct kid kids[MAX_KIDS];
static volatile sig_atomic_t got_hup, got_term, got_chld;

static void on_master_signal(int sig)
{
    if (sig == SIGHUP)
        got_hup = 1;
    else if (sig == SIGCHLD)
        got_chld = 1;
    else
        got_term = 1;
}

void supervisor_on_signal(int sig, void (*fn)(int))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fn;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;              /* no SA_RESTART: a blocked accept()/poll() must return */
    sigaction(sig, &sa, NULL);
}

static void spawn(child_fn fn, void *ctx, int gen)
{
    int slot = -1;
    for (int i = 0; i < MAX_KIDS && slot < 0; i++)
        if (!kids[i].pid)
            slot = i;
    if (slot < 0)
        return;
    pid_t pid = fork();
    if (pid < 0) {
        log_error("fork: %s", strerror(errno));
        return;
    }
    if (pid == 0) {
        signal(SIGHUP, SIG_DFL);
        signal(SIGCHLD, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        signal(SIGPIPE, SIG_IGN);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        srandom((unsigned)getpid() ^ (unsigned)time(NULL));
        fn(ctx);
        _exit(0);
    }
    kids[slot].pid = pid;
    kids[slot].gen = gen;
}

static int count(int gen)
{
    int n = 0;
    for (int i = 0; i < MAX_KIDS; i++)
        n += kids[i].pid && (gen < 0 || kids[i].gen == gen);
    return n;
}

static void signal_older(int sig, int gen)
{
    for (int i = 0; i < MAX_KIDS; i++)
        if (kids[i].pid && kids[i].gen < gen)
            kill(kids[i].pid, sig);
}

static void reap(void)
{
    int st;
    pid_t pid;
    while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
        for (int i = 0; i < MAX_KIDS; i++)
            if (kids[i].pid == pid) {
                if (WIFSIGNALED(st) && WTERMSIG(st) != SIGTERM)
                    log_warn("child %d died by signal %d", (int)pid, WTERMSIG(st));
                else if (WIFEXITED(st) && WEXITSTATUS(st) != 0)
                    log_warn("child %d exited with status %d", (int)pid, WEXITSTATUS(st));
                kids[i].pid = 0;
            }
}

int supervise(int nchildren, child_fn fn, void *ctx, int grace_seconds)
{
    supervisor_on_signal(SIGHUP, on_master_signal);
    supervisor_on_signal(SIGTERM, on_master_signal);
    supervisor_on_signal(SIGINT, on_master_signal);
    supervisor_on_signal(SIGCHLD, on_master_signal);
    signal(SIGPIPE, SIG_IGN);
    /* Signals stay blocked except inside sigsuspend, so none slips in between the checks
     * and the wait. */
    sigset_t block, orig;
    sigemptyset(&block);
    sigaddset(&block, SIGCHLD);
    sigaddset(&block, SIGHUP);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigprocmask(SIG_BLOCK, &block, &orig);

    int gen = 0, quick = 0;
    struct timespec last = {0, 0};
    for (;;) {
        reap();
        if (got_term)
            break;
        if (got_hup) {
            got_hup = 0;
            gen++;
            log_info("SIGHUP: starting generation %d, retiring the old children", gen);
            for (int i = 0; i < nchildren; i++)
                spawn(fn, ctx, gen);
            signal_older(SIGTERM, gen);
        }
        int missing = nchildren - count(gen);
        if (missing > 0) {
            struct timespec now;
            clock_gettime(CLOCK_MONOTONIC, &now);
            quick = (now.tv_sec - last.tv_sec < 2) ? quick + 1 : 0;
            if (quick > 5)        /* children keep dying at once: do not spin */
                sleep(1);
            last = now;
            for (int i = 0; i < missing; i++)
                spawn(fn, ctx, gen);
        }
        if (!got_chld && !got_hup && !got_term)
            sigsuspend(&orig);
        got_chld = 0;
    }
    log_info("stopping %d children", count(-1));
    signal_older(SIGTERM, gen + 1);
    for (int tick = 0; count(-1) > 0; tick++) {
        if (tick == grace_seconds * 10) {
            log_warn("%d children still running after %d s: killing them", count(-1), grace_seconds);
            signal_older(SIGKILL, gen + 1);
        }
        usleep(100000);
        reap();
    }
    return 0;
}
