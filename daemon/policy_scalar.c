/* SPDX-License-Identifier: MIT */
/* Strict scalar parsers for the policy file (see policy_scalar.h). */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "policy_scalar.h"

/* Decimal digits at *s; no sign, no leading zeros, no overflow. */
static int take_digits(const char **s, uint64_t *out)
{
	const char *p = *s;
	uint64_t v = 0;

	if (!isdigit((unsigned char)*p))
		return -1;
	if (p[0] == '0' && isdigit((unsigned char)p[1]))
		return -1;
	for (; isdigit((unsigned char)*p); p++) {
		unsigned int d = (unsigned int)(*p - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*s = p;
	*out = v;
	return 0;
}

int scalar_uint(const char *s, uint64_t *v)
{
	uint64_t x;

	if (take_digits(&s, &x) || *s)
		return -1;
	*v = x;
	return 0;
}

int scalar_duration_ms(const char *s, uint64_t *ms)
{
	static const struct {
		const char *suffix;
		uint64_t ms;
	} units[] = {
	    {"ms", 1},
	    {"s", 1000},
	    {"m", 60000},
	    {"h", 3600000},
	};
	uint64_t n;
	size_t i;

	if (take_digits(&s, &n))
		return -1;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(s, units[i].suffix))
			continue;
		if (n > UINT64_MAX / units[i].ms)
			return -1;
		*ms = n * units[i].ms;
		return 0;
	}
	return -1;
}

void scalar_format_duration(uint64_t ms, char *buf, size_t size)
{
	if (ms && ms % 3600000 == 0)
		snprintf(buf, size, "%lluh",
			 (unsigned long long)(ms / 3600000));
	else if (ms && ms % 60000 == 0)
		snprintf(buf, size, "%llum", (unsigned long long)(ms / 60000));
	else if (ms && ms % 1000 == 0)
		snprintf(buf, size, "%llus", (unsigned long long)(ms / 1000));
	else
		snprintf(buf, size, "%llums", (unsigned long long)ms);
}

int scalar_real(const char *s, double *v)
{
	const char *p;
	char *end;
	double x;

	/* strtod also takes hex, inf, nan and leading blanks: refuse them. */
	if (!*s)
		return -1;
	for (p = s; *p; p++)
		if (!isdigit((unsigned char)*p) && !strchr(".eE+-", *p))
			return -1;
	if (!isdigit((unsigned char)s[s[0] == '-' || s[0] == '+']) &&
	    s[s[0] == '-' || s[0] == '+'] != '.')
		return -1;
	errno = 0;
	x = strtod(s, &end);
	if (errno || *end || !isfinite(x))
		return -1;
	*v = x;
	return 0;
}

int scalar_fraction(const char *s, double *v)
{
	size_t len = strlen(s);
	char tmp[64];
	double x;

	if (len && s[len - 1] == '%') {
		if (len >= sizeof(tmp))
			return -1;
		memcpy(tmp, s, len - 1);
		tmp[len - 1] = '\0';
		if (scalar_real(tmp, &x))
			return -1;
		*v = x / 100.0;
		return 0;
	}
	return scalar_real(s, v);
}

int scalar_bool(const char *s, bool *v)
{
	if (!strcmp(s, "true"))
		*v = true;
	else if (!strcmp(s, "false"))
		*v = false;
	else
		return -1;
	return 0;
}

int scalar_uuid(const char *s, char out[37])
{
	size_t i;

	if (strlen(s) != 36)
		return -1;
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return -1;
		} else if (!isxdigit((unsigned char)s[i])) {
			return -1;
		}
	}
	for (i = 0; i < 36; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	out[36] = '\0';
	return 0;
}

bool scalar_uuid_equal(const char *a, const char *b)
{
	return strlen(a) == 36 && !strcasecmp(a, b);
}

const char *scalar_glob_problem(const char *s)
{
	const char *p;

	if (!*s)
		return "empty pattern";
	for (p = s; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			return "only printable ASCII is allowed";
	for (p = s; *p; p++) {
		if (*p == '\\') {
			if (!*++p)
				return "trailing backslash";
		} else if (*p == '[') {
			const char *q = p + 1;

			/* A ']' right after '[' or '[!' is a literal. */
			if (*q == '!' || *q == '^')
				q++;
			if (*q == ']')
				q++;
			while (*q && *q != ']')
				q++;
			if (!*q)
				return "unterminated '[' bracket expression";
			p = q;
		}
	}
	return NULL;
}
