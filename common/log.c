/* Logging to journald (structured) or stderr. */
#define SD_JOURNAL_SUPPRESS_LOCATION
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-journal.h>

#include "log.h"

static const char *log_ident = "ptswitch";
static bool log_to_journal;
static bool log_is_verbose;

void log_init(const char *ident, bool verbose)
{
	log_ident = ident;
	log_is_verbose = verbose;
	/* systemd sets JOURNAL_STREAM when stderr is connected to journald. */
	log_to_journal = getenv("JOURNAL_STREAM") != NULL;
}

bool log_verbose(void)
{
	return log_is_verbose;
}

static void log_vstderr(int prio, const char *prefix, const char *fmt,
			va_list ap)
{
	static const char *const level[] = {
		"emerg", "alert", "crit", "error",
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
		vsnprintf(msg, sizeof(msg), fmt, ap);
		sd_journal_send("MESSAGE=%s", msg, "PRIORITY=%d", prio,
				"SYSLOG_IDENTIFIER=%s", log_ident, NULL);
	} else {
		log_vstderr(prio, "", fmt, ap);
	}
	va_end(ap);
}

void log_dom(int prio, unsigned int domid, const char *mode,
	     const char *reason, const char *fmt, ...)
{
	va_list ap;
	char msg[1024], prefix[32];

	if (prio == LOG_DEBUG && !log_is_verbose)
		return;
	va_start(ap, fmt);
	if (log_to_journal) {
		vsnprintf(msg, sizeof(msg), fmt, ap);
		sd_journal_send("MESSAGE=dom%u: %s", domid, msg,
				"PRIORITY=%d", prio, "SYSLOG_IDENTIFIER=%s",
				log_ident, "DOMID=%u", domid, "MODE=%s",
				mode ? mode : "", "REASON=%s",
				reason ? reason : "", NULL);
	} else {
		snprintf(prefix, sizeof(prefix), "dom%u: ", domid);
		log_vstderr(prio, prefix, fmt, ap);
	}
	va_end(ap);
}
