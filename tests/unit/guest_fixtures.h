/* SPDX-License-Identifier: MIT */
/*
 * Locate tests/fixtures/guest from a unit test binary: $PTSWITCH_FIXTURES,
 * else the first ancestor of the binary's directory (build/.../tests/) or
 * of the working directory that holds tests/fixtures/guest.
 */
#ifndef PTSWITCH_TEST_GUEST_FIXTURES_H
#define PTSWITCH_TEST_GUEST_FIXTURES_H

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int fixture_dir_in(char *dir, char *out, size_t size)
{
	struct stat st;
	char *slash;
	int i;

	for (i = 0; i < 6 && dir[0]; i++) {
		snprintf(out, size, "%s/tests/fixtures/guest", dir);
		if (!stat(out, &st) && S_ISDIR(st.st_mode))
			return 0;
		slash = strrchr(dir, '/');
		if (!slash)
			break;
		*slash = '\0';
	}
	return -1;
}

/* Path of fixture name in out; fails the test run when not found. */
static const char *guest_fixture(const char *name)
{
	static char base[PATH_MAX];
	static char out[PATH_MAX + 64];
	char dir[PATH_MAX];
	const char *env = getenv("PTSWITCH_FIXTURES");
	ssize_t n;

	if (!base[0]) {
		if (env) {
			snprintf(base, sizeof(base), "%s/guest", env);
		} else {
			n = readlink("/proc/self/exe", dir, sizeof(dir) - 1);
			dir[n > 0 ? n : 0] = '\0';
			if ((n <= 0 ||
			     fixture_dir_in(dir, base, sizeof(base))) &&
			    (!getcwd(dir, sizeof(dir)) ||
			     fixture_dir_in(dir, base, sizeof(base)))) {
				fprintf(stderr,
					"tests/fixtures/guest not found;"
					" set PTSWITCH_FIXTURES\n");
				exit(1);
			}
		}
	}
	snprintf(out, sizeof(out), "%s/%s", base, name);
	return out;
}

#endif /* PTSWITCH_TEST_GUEST_FIXTURES_H */
