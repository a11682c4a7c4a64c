/* SPDX-License-Identifier: MIT */
/*
 * Logging to journald (structured) or stderr.  The journal is written with
 * its native datagram protocol rather than through libsystemd, so that the
 * guest agent need not map libsystemd and its five compression and crypto
 * libraries (about 0.8 MiB of its 2 MiB RSS budget).
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"

#define JOURNAL_SOCKET "/run/systemd/journal/socket"

static const char *log_ident = "ptswitch";
static bool log_to_journal;
static bool log_is_verbose;
static log_dom_identity_fn log_identity;

bool log_stream_is_journal(const char *env, int fd)
{
	unsigned long long dev, ino;
	struct stat st;
	int end = 0;

	if (!env || sscanf(env, "%llu:%llu%n", &dev, &ino, &end) != 2 ||
	    env[end] != '\0')
		return false;
	return !fstat(fd, &st) && (unsigned long long)st.st_dev == dev &&
	       (unsigned long long)st.st_ino == ino;
}

void log_init(const char *ident, bool verbose)
{
	log_ident = ident;
	log_is_verbose = verbose;
	/*
	 * systemd sets JOURNAL_STREAM to the device and inode of the stream
	 * it connected; a process that inherited the variable with stderr
	 * redirected elsewhere must keep writing there (systemd.exec(5)).
	 */
	log_to_journal =
	    log_stream_is_journal(getenv("JOURNAL_STREAM"), STDERR_FILENO);
}

void log_set_dom_identity(log_dom_identity_fn fn)
{
	log_identity = fn;
}

bool log_verbose(void)
{
	return log_is_verbose;
}

/* A journal entry under construction: "KEY=value\n" fields. */
struct jentry {
	char buf[2048];
	size_t len;
	bool full;
};

/*
 * Values may hold newlines, so every field uses the protocol's binary
 * form: KEY, newline, little-endian 64-bit size, value, newline.
 */
static void jfield(struct jentry *e, const char *key, const char *val)
{
	size_t klen = strlen(key), vlen = strlen(val);
	uint64_t le = vlen;
	unsigned char size[8];
	int i;

	if (e->full || klen + vlen + 10 > sizeof(e->buf) - e->len) {
		e->full = true;
		return;
	}
	for (i = 0; i < 8; i++, le >>= 8)
		size[i] = (unsigned char)(le & 0xff);
	memcpy(e->buf + e->len, key, klen);
	e->len += klen;
	e->buf[e->len++] = '\n';
	memcpy(e->buf + e->len, size, 8);
	e->len += 8;
	memcpy(e->buf + e->len, val, vlen);
	e->len += vlen;
	e->buf[e->len++] = '\n';
}

static bool journal_send(const struct jentry *e)
{
	static int fd = -1;
	struct sockaddr_un sa = {.sun_family = AF_UNIX,
				 .sun_path = JOURNAL_SOCKET};

	if (e->full)
		return false;
	if (fd < 0)
		fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	return sendto(fd, e->buf, e->len, MSG_NOSIGNAL,
		      (const struct sockaddr *)&sa,
		      sizeof(sa)) == (ssize_t)e->len;
}

static void jcommon(struct jentry *e, int prio, const char *msg)
{
	char p[4];

	snprintf(p, sizeof(p), "%d", prio & 7);
	jfield(e, "MESSAGE", msg);
	jfield(e, "PRIORITY", p);
	jfield(e, "SYSLOG_IDENTIFIER", log_ident);
}

static void log_vstderr(int prio, const char *prefix, const char *fmt,
			va_list ap)
{
	static const char *const level[] = {
	    "emerg",   "alert",	 "crit", "error",
	    "warning", "notice", "info", "debug",
	};

	fprintf(stderr, "%s: %s: %s", log_ident, level[prio & 7], prefix);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void log_msg(int prio, const char *fmt, ...)
{
	va_list ap;
	char msg[1024];

	if (prio == LOG_DEBUG && !log_is_verbose)
		return;
	va_start(ap, fmt);
	if (log_to_journal) {
		struct jentry e = {.len = 0};

		vsnprintf(msg, sizeof(msg), fmt, ap);
		jcommon(&e, prio, msg);
		if (!journal_send(&e))
			fprintf(stderr, "%s\n", msg);
	} else {
		log_vstderr(prio, "", fmt, ap);
	}
	va_end(ap);
}

size_t log_format_dom_journal(char *buf, size_t size, int prio,
			      unsigned int domid, const char *mode,
			      const char *reason, const char *msg)
{
	struct jentry e = {.len = 0};
	const char *name = NULL, *uuid = NULL;
	char full[1100], id[12];

	snprintf(full, sizeof(full), "dom%u: %s", domid, msg);
	snprintf(id, sizeof(id), "%u", domid);
	jcommon(&e, prio, full);
	jfield(&e, "DOMID", id);
	/* Domids are reused: the name and UUID say which guest it was. */
	if (log_identity && log_identity(domid, &name, &uuid)) {
		if (name && *name)
			jfield(&e, "GUEST_NAME", name);
		if (uuid && *uuid)
			jfield(&e, "GUEST_UUID", uuid);
	}
	/* An empty field would match "MODE=" searches and say nothing. */
	if (mode && *mode)
		jfield(&e, "MODE", mode);
	if (reason && *reason)
		jfield(&e, "REASON", reason);
	if (e.full || e.len > size)
		return 0;
	memcpy(buf, e.buf, e.len);
	return e.len;
}

void log_dom(int prio, unsigned int domid, const char *mode, const char *reason,
	     const char *fmt, ...)
{
	va_list ap;
	char msg[1024], prefix[32];

	if (prio == LOG_DEBUG && !log_is_verbose)
		return;
	va_start(ap, fmt);
	if (log_to_journal) {
		struct jentry e;

		vsnprintf(msg, sizeof(msg), fmt, ap);
		e.len = log_format_dom_journal(e.buf, sizeof(e.buf), prio,
					       domid, mode, reason, msg);
		e.full = e.len == 0;
		if (!journal_send(&e))
			fprintf(stderr, "dom%u: %s\n", domid, msg);
	} else {
		snprintf(prefix, sizeof(prefix), "dom%u: ", domid);
		log_vstderr(prio, prefix, fmt, ap);
	}
	va_end(ap);
}
