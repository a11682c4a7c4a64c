/* SPDX-License-Identifier: MIT */
/* Bounded ELF note iteration over untrusted bytes. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "elfnote.h"

#define NOTE_HDR 12u

/* Round up to the 4-byte note alignment without overflowing. */
static bool align4(size_t n, size_t *out)
{
	if (n > SIZE_MAX - 3)
		return false;
	*out = (n + 3) & ~(size_t)3;
	return true;
}

static bool all_zero(const unsigned char *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

int elfnote_next(const void *buf, size_t len, size_t *pos, struct elfnote *note)
{
	const unsigned char *p = buf;
	uint32_t namesz, descsz, type;
	size_t off = *pos, left, name_pad, desc_pad;

	if (off > len)
		return -EINVAL;
	left = len - off;
	if (left < NOTE_HDR)
		return all_zero(p + off, left) ? 0 : -EINVAL;
	memcpy(&namesz, p + off, 4);
	memcpy(&descsz, p + off + 4, 4);
	memcpy(&type, p + off + 8, 4);
	/* An all-zero header is padding; the rest must be padding too. */
	if (!namesz && !descsz && !type)
		return all_zero(p + off, left) ? 0 : -EINVAL;
	off += NOTE_HDR;
	left -= NOTE_HDR;

	if (!align4(namesz, &name_pad) || name_pad > left)
		return -EINVAL;
	/* The name includes its NUL; an empty (namesz 0) owner is allowed. */
	if (namesz && (p[off + namesz - 1] != '\0' ||
		       memchr(p + off, '\0', namesz) != p + off + namesz - 1))
		return -EINVAL;
	note->name = namesz ? (const char *)(p + off) : "";
	off += name_pad;
	left -= name_pad;

	if (!align4(descsz, &desc_pad) || desc_pad > left) {
		/* The last descriptor may lack its padding. */
		if (descsz > left)
			return -EINVAL;
		desc_pad = descsz;
	}
	note->type = type;
	note->desc = p + off;
	note->descsz = descsz;
	*pos = off + desc_pad;
	return 1;
}

int elfnote_desc_string(const struct elfnote *note, char *out, size_t size)
{
	size_t n = note->descsz, i;

	while (n && note->desc[n - 1] == '\0')
		n--;
	if (n >= size)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (note->desc[i] < 0x20 || note->desc[i] > 0x7e)
			return -EINVAL;
	memcpy(out, note->desc, n);
	out[n] = '\0';
	return 0;
}
