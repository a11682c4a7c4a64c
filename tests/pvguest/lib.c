/* SPDX-License-Identifier: MIT */
/* Freestanding replacements for the few libc functions the kernel uses. */
#include "lib.h"

void *memset(void *dst, int c, size_t n)
{
	u8 *d = dst;

	while (n--)
		*d++ = (u8)c;
	return dst;
}

void *memcpy(void *dst, const void *src, size_t n)
{
	u8 *d = dst;
	const u8 *s = src;

	while (n--)
		*d++ = *s++;
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const u8 *x = a, *y = b;

	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b)
			return (u8)*a - (u8)*b;
		if (!*a)
			return 0;
	}
	return 0;
}

u64 parse_u64(const char *s, const char **end)
{
	u64 v = 0;

	while (*s >= '0' && *s <= '9')
		v = v * 10 + (u64)(*s++ - '0');
	if (end)
		*end = s;
	return v;
}

struct outbuf {
	char *buf;
	size_t size;
	size_t len;
};

static void put(struct outbuf *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void put_num(struct outbuf *o, u64 v, unsigned int base, bool neg,
		    int width, bool zero, bool left)
{
	char tmp[24];
	int n = 0, pad;

	do {
		tmp[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (neg)
		tmp[n++] = '-';
	pad = width > n ? width - n : 0;
	if (!left)
		while (pad-- > 0)
			put(o, zero ? '0' : ' ');
	while (n)
		put(o, tmp[--n]);
	if (left)
		while (pad-- > 0)
			put(o, ' ');
}

/* %s %c %d %u %x with optional '-', '0', width and 'l' (64-bit). */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct outbuf o = {buf, size, 0};

	for (; *fmt; fmt++) {
		bool zero = false, left = false, lng = false;
		int width = 0;
		const char *s;
		s64 sv;
		int slen;

		if (*fmt != '%') {
			put(&o, *fmt);
			continue;
		}
		fmt++;
		for (; *fmt == '-' || *fmt == '0'; fmt++) {
			if (*fmt == '-')
				left = true;
			else
				zero = true;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l') {
			lng = true;
			fmt++;
		}
		switch (*fmt) {
		case 's':
			s = va_arg(ap, const char *);
			if (!s)
				s = "(null)";
			slen = (int)strlen(s);
			if (!left)
				for (; slen < width; width--)
					put(&o, ' ');
			while (*s)
				put(&o, *s++);
			if (left)
				for (; slen < width; width--)
					put(&o, ' ');
			break;
		case 'c':
			put(&o, (char)va_arg(ap, int));
			break;
		case 'd':
			sv = lng ? va_arg(ap, s64) : va_arg(ap, int);
			put_num(&o, sv < 0 ? (u64)-sv : (u64)sv, 10, sv < 0,
				width, zero, left);
			break;
		case 'u':
			put_num(&o, lng ? va_arg(ap, u64) : va_arg(ap, u32), 10,
				false, width, zero, left);
			break;
		case 'x':
			put_num(&o, lng ? va_arg(ap, u64) : va_arg(ap, u32), 16,
				false, width, zero, left);
			break;
		case '%':
			put(&o, '%');
			break;
		default:
			put(&o, '?');
			break;
		}
	}
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
