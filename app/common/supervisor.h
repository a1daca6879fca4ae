/* supervisor.h: a master that keeps N child processes running: respawns any that die (with
 * a back-off against crash loops), SIGHUP starts a new generation before retiring the old
 * one, SIGTERM/SIGINT stop the children (SIGKILL after a grace period) and return. */
#ifndef BILLSYNC_COMMON_SUPERVISOR_H
#define BILLSYNC_COMMON_SUPERVISOR_H

/* Runs in each child with signals unblocked; must not return (call _exit). */
typedef void (*child_fn)(void *ctx);

/* Blocks until SIGTERM/SIGINT; returns 0 once every child has exited. */
int supervise(int nchildren, child_fn fn, void *ctx, int grace_seconds);

/* For children: install fn for sig without SA_RESTART, so blocking calls return EINTR. */
void supervisor_on_signal(int sig, void (*fn)(int));

#endif
