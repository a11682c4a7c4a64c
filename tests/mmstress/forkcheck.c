/* SPDX-License-Identifier: MIT */
/*
 * Forks: a checked one at the end of every round (the child checks every
 * region it inherited and writes its own copy of a page of each; the
 * parent then checks that its pages did not change), and quick ones while
 * the workers run, whose copy and exit walk the page tables being changed.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mmstress.h"

#define CHILD_GEN_OFFSET 0x40000000u /* a generation the parent never uses */

static void child(struct region *const *regions, size_t n)
{
	size_t k, bad = 0;

	for (k = 0; k < n; k++)
		bad += region_verify(regions[k], 0, regions[k]->pages,
				     "in the fork child");
	for (k = 0; k < n; k++) {
		struct region *r = regions[k];
		size_t i = r->pages / 2;

		region_write(r, i, r->gen[i] + CHILD_GEN_OFFSET);
		bad += region_verify(r, i, 1, "written by the fork child");
	}
	_exit(bad > 250 ? 250 : (int)bad);
}

uint64_t fork_verify(struct region *const *regions, size_t n)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		feature_fail(F_FORK, "fork: %s", errname(errno));
		return 1;
	}
	if (pid == 0)
		child(regions, n);
	if (waitpid(pid, &status, 0) != pid) {
		feature_fail(F_FORK, "waitpid: %s", errname(errno));
		return 1;
	}
	feature_count(F_FORK, 1);
	if (WIFEXITED(status))
		return (uint64_t)WEXITSTATUS(status);
	fprintf(stderr, "mmstress: BAD fork child ended with status 0x%x\n",
		status);
	return 1;
}

bool fork_quick(void)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return false;
	if (pid == 0)
		_exit(0);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return false;
	feature_count(F_FORK, 1);
	return true;
}
