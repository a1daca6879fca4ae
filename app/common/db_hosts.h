/* db_hosts.h: the database servers a process may use, from db.host.
 *
 * db.host holds one server ("db1") or a list for a MariaDB Galera cluster
 * ("127.0.0.1:13306, 127.0.0.1:13307, db3.example"). Entries without a port use db.port.
 * The client connects to the first that answers, in the listed order, starting from the one
 * that answered last (doc/scale-out.md). Pure: no I/O. */
#ifndef BILLSYNC_COMMON_DB_HOSTS_H
#define BILLSYNC_COMMON_DB_HOSTS_H

#define DB_HOSTS_MAX 8

struct db_host {
    char name[128];
    int port;
};

/* Fills out[0..max) from list; returns how many (at least 1 when list is not empty), or -1
 * when an entry is empty, its port is not 1..65535, or there are more than max. */
int db_hosts_parse(const char *list, int default_port, struct db_host *out, int max);

#endif
