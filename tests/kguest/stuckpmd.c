/* SPDX-License-Identifier: MIT */
/*
 * stuckpmd: what a ptswitch Linux guest does with a fault under a PMD that
 * stays unhooked (guestagent/linux-patches, the progress patch).
 *
 * Runs as root in a guest whose kernel has the lab-only knob
 * /sys/hypervisor/ptswitch/lab_unhook (lab/kernel-series): writing a user
 * address clears _PAGE_PRESENT in the writer's PMD for it, exactly as Xen
 * leaves a PMD while it batches the L1 below, except that no flush of
 * Xen's will set it again.  A child process fills 2 MiB (one L1), has its
 * PMD unhooked, then, depending on the mode:
 *
 *   user     reads the range in user mode.  Expected: SIGSEGV
 *            (SEGV_MAPERR) at that address, after the seconds the kernel
 *            lets a retry with nothing to do go on (5).  A kernel without
 *            the patch retries the fault for ever: the child is killed
 *            after the time-out.
 *   uaccess  write()s a page of the range to a pipe, so the kernel reads
 *            it (copy_from_user).  Expected: EFAULT, after the same
 *            seconds, and the child goes on.  Do not run this on a
 *            kernel without the patch: its fault loop is in kernel mode
 *            and cannot be interrupted.
 *
 * Prints one line "stuckpmd: mode=M result=R faults=N seconds=S" where R
 * is segv, efault, loop (still faulting at the time-out), or what else
 * happened, and N the child's minor faults (/proc/PID/stat) when it was
 * stopped or gone.  Exits 0 if the line could be printed, 2 on a setup
 * error.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define KNOB "/sys/hypervisor/ptswitch/lab_unhook"
#define L1_SPAN (2ul << 20) /* the memory one L1 page maps */
#define PAGE 4096ul

/* Child exit statuses. */
#define CHILD_SEGV 10	     /* SIGSEGV, SEGV_MAPERR, at the unhooked address */
#define CHILD_SIGNAL_ODD 11  /* SIGBUS, or SIGSEGV of other code/address */
#define CHILD_EFAULT 12	     /* write() from the range failed with EFAULT */
#define CHILD_READ_OK 13     /* the access succeeded: PMD not unhooked? */
#define CHILD_WRITE_ODD 14   /* write() returned something else */
#define CHILD_KNOB_FAILED 15 /* the knob refused or is missing */

static volatile uint64_t *target;

static void on_signal(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	_exit(sig == SIGSEGV && si->si_code == SEGV_MAPERR &&
		      si->si_addr == (void *)target
		  ? CHILD_SEGV
		  : CHILD_SIGNAL_ODD);
}

static int unhook(const void *addr)
{
	char line[32];
	int fd, len, ok;

	fd = open(KNOB, O_WRONLY);
	if (fd < 0)
		return -1;
	len = snprintf(line, sizeof(line), "%#lx\n", (unsigned long)addr);
	ok = write(fd, line, (size_t)len) == len;
	close(fd);
	return ok ? 0 : -1;
}

static int child(int user_mode)
{
	struct sigaction sa;
	int pfd[2];
	ssize_t n;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO;
	if (sigaction(SIGBUS, &sa, NULL) || sigaction(SIGSEGV, &sa, NULL) ||
	    pipe(pfd))
		return CHILD_KNOB_FAILED;
	if (unhook((const void *)target))
		return CHILD_KNOB_FAILED;
	if (user_mode) {
		(void)*target; /* faults, in user mode */
		return CHILD_READ_OK;
	}
	n = write(pfd[1], (const void *)target, PAGE); /* kernel reads */
	if (n < 0 && errno == EFAULT)
		return CHILD_EFAULT;
	return CHILD_WRITE_ODD;
}

/* Field 10 of /proc/PID/stat: minor faults; -1 if unreadable. */
static long minor_faults(pid_t pid)
{
	char path[64], buf[1024], *p;
	long flt = -1;
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fgets(buf, sizeof(buf), f)) {
		p = strrchr(buf, ')'); /* after the command name */
		for (i = 3; p && i <= 10; i++)
			p = strchr(p + 1, ' ');
		if (p)
			flt = strtol(p + 1, NULL, 10);
	}
	fclose(f);
	return flt;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *verdict(int status)
{
	if (WIFSIGNALED(status))
		return WTERMSIG(status) == SIGSEGV ? "segv-unhandled"
						   : "killed";
	switch (WEXITSTATUS(status)) {
	case CHILD_SEGV:
		return "segv";
	case CHILD_SIGNAL_ODD:
		return "sigbus-or-wrong-segv";
	case CHILD_EFAULT:
		return "efault";
	case CHILD_READ_OK:
		return "read-succeeded";
	case CHILD_WRITE_ODD:
		return "write-not-efault";
	case CHILD_KNOB_FAILED:
		return "knob-failed";
	}
	return "unknown-exit";
}

int main(int argc, char **argv)
{
	const char *mode = "user", *result;
	double timeout = 20, t0, waited;
	int opt, status = 0, user_mode;
	long faults = -1;
	uint8_t *map;
	pid_t pid;

	while ((opt = getopt(argc, argv, "m:t:")) != -1) {
		switch (opt) {
		case 'm':
			mode = optarg;
			break;
		case 't':
			timeout = strtod(optarg, NULL);
			break;
		default:
			fprintf(stderr, "usage: stuckpmd [-m user|uaccess] "
					"[-t SECONDS]\n");
			return 2;
		}
	}
	user_mode = !strcmp(mode, "user");
	if (!user_mode && strcmp(mode, "uaccess")) {
		fprintf(stderr, "stuckpmd: unknown mode %s\n", mode);
		return 2;
	}

	/* 4 MiB, so that one whole 2 MiB-aligned L1 span lies inside. */
	map = mmap(NULL, 2 * L1_SPAN, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED) {
		perror("stuckpmd: mmap");
		return 2;
	}
	target = (volatile uint64_t *)(((uintptr_t)map + L1_SPAN - 1) &
				       ~(L1_SPAN - 1));
	memset((void *)target, 0x5a, L1_SPAN); /* every PTE of the L1 */

	t0 = now();
	pid = fork();
	if (pid < 0) {
		perror("stuckpmd: fork");
		return 2;
	}
	if (pid == 0)
		_exit(child(user_mode));

	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid)
			break;
		if (w < 0) {
			perror("stuckpmd: waitpid");
			return 2;
		}
		if (now() - t0 >= timeout) {
			faults = minor_faults(pid);
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			break;
		}
		usleep(10000);
	}
	waited = now() - t0;
	result = faults >= 0 ? "loop" : verdict(status);
	printf("stuckpmd: mode=%s result=%s faults=%ld seconds=%.2f\n", mode,
	       result, faults, waited);
	return 0;
}
