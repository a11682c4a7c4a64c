/* SPDX-License-Identifier: MIT */
/*
 * Logging: journald with structured fields when running under systemd,
 * plain stderr otherwise.
 */
#ifndef PTSWITCH_LOG_H
#define PTSWITCH_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <syslog.h>

void log_init(const char *ident, bool verbose);
bool log_verbose(void);
void log_msg(int prio, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/*
 * Who a domid is, for the journal's GUEST_NAME= and GUEST_UUID= fields:
 * true and the (possibly empty) strings if known.  The daemon sets one.
 */
typedef bool (*log_dom_identity_fn)(unsigned int domid, const char **name,
				    const char **uuid);
void log_set_dom_identity(log_dom_identity_fn fn);
/* JOURNAL_STREAM's "<dev>:<inode>" names fd: then stderr is the journal. */
bool log_stream_is_journal(const char *env, int fd);
/*
 * The journal entry log_dom() sends, in the native protocol's binary
 * field form; its length, or 0 if it does not fit in size.
 */
size_t log_format_dom_journal(char *buf, size_t size, int prio,
			      unsigned int domid, const char *mode,
			      const char *reason, const char *msg);
/*
 * A message about one domain: adds DOMID=, GUEST_NAME=, GUEST_UUID=,
 * MODE= and REASON= fields (those that are known and not empty).
 */
void log_dom(int prio, unsigned int domid, const char *mode, const char *reason,
	     const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#define log_err(...) log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif /* PTSWITCH_LOG_H */
