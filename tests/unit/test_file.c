/* Unit tests: src/lib/file.c
 * SPDX-License-Identifier: ISC */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/file.h"

static void
test_write_all(void **state)
{
	char path[] = "/tmp/petrel-file-XXXXXX", back[100000];
	static char data[100000];
	int fd;

	(void)state;
	memset(data, 'x', sizeof(data));
	data[0] = 'a';
	data[sizeof(data) - 1] = 'z';
	assert_true((fd = mkstemp(path)) >= 0);
	assert_int_equal(file_write_all(fd, data, sizeof(data)), 0);
	assert_int_equal(file_write_all(fd, data, 0), 0);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(read(fd, back, sizeof(back)), (ssize_t)sizeof(back));
	assert_memory_equal(back, data, sizeof(data));
	close(fd);
	/* A descriptor that cannot be written reports the error. */
	fd = open(path, O_RDONLY);
	assert_int_equal(file_write_all(fd, data, 10), -1);
	assert_int_equal(errno, EBADF);
	close(fd);
	unlink(path);
}

static void
test_sync_dir(void **state)
{
	char path[] = "/tmp/petrel-file-XXXXXX";
	int fd;

	(void)state;
	assert_int_equal(file_sync_dir("/tmp"), 0);
	assert_int_equal(file_sync_dir("/nonexistent/petrel"), -1);
	assert_int_equal(errno, ENOENT);
	assert_true((fd = mkstemp(path)) >= 0);
	close(fd);
	assert_int_equal(file_sync_dir(path), -1);
	assert_int_equal(errno, ENOTDIR);
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_all),
		cmocka_unit_test(test_sync_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
