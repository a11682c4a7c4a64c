/*
 * Logging: journald with structured fields when running under systemd,
 * plain stderr otherwise.
 */
#ifndef PTSWITCH_LOG_H
#define PTSWITCH_LOG_H

#include <stdbool.h>
#include <syslog.h>

void log_init(const char *ident, bool verbose);
bool log_verbose(void);
void log_msg(int prio, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* A message about one domain: adds DOMID=, MODE= and REASON= fields. */
void log_dom(int prio, unsigned int domid, const char *mode, const char *reason,
	     const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#define log_err(...) log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif /* PTSWITCH_LOG_H */
