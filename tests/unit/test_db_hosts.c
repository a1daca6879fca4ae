/* test_db_hosts.c: db.host's list of cluster nodes (db/db_hosts.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "common/db_hosts.h"

static void test_one_host_takes_the_default_port(void **state)
{
    (void)state;
    struct db_host h[DB_HOSTS_MAX];
    assert_int_equal(db_hosts_parse("db1.example", 3306, h, DB_HOSTS_MAX), 1);
    assert_string_equal(h[0].name, "db1.example");
    assert_int_equal(h[0].port, 3306);
}

static void test_a_list_keeps_its_order_and_ports(void **state)
{
    (void)state;
    struct db_host h[DB_HOSTS_MAX];
    assert_int_equal(db_hosts_parse(" 127.0.0.1:13306, 127.0.0.1:13307 ,db3,[::1]:3310", 3306, h,
                                    DB_HOSTS_MAX), 4);
    assert_string_equal(h[0].name, "127.0.0.1");
    assert_int_equal(h[0].port, 13306);
    assert_string_equal(h[1].name, "127.0.0.1");
    assert_int_equal(h[1].port, 13307);
    assert_string_equal(h[2].name, "db3");
    assert_int_equal(h[2].port, 3306);
    assert_string_equal(h[3].name, "::1");
    assert_int_equal(h[3].port, 3310);
}

static void test_bad_lists_are_refused(void **state)
{
    (void)state;
    struct db_host h[2];
    static const char *const bad[] = {"", " ", "a,,b", "a,", "a:", "a:0", "a:65536", "a:12x",
                                      "[::1", "[]:3306", "[::1]x", "a,b,c"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(db_hosts_parse(bad[i], 3306, h, 2), -1);
    assert_int_equal(db_hosts_parse(NULL, 3306, h, 2), -1);
    char longname[200];
    memset(longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = 0;
    assert_int_equal(db_hosts_parse(longname, 3306, h, 2), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_host_takes_the_default_port),
        cmocka_unit_test(test_a_list_keeps_its_order_and_ports),
        cmocka_unit_test(test_bad_lists_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
