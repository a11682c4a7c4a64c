/* SPDX-License-Identifier: MIT */
/*
 * A bounded iterator over a buffer of ELF notes, such as the kernel's
 * .notes section that Linux exports as /sys/kernel/notes.
 *
 * Each note is a header of three native-endian 32-bit words (namesz,
 * descsz, type) followed by the name and the descriptor, each padded to
 * 4 bytes.  The input is treated as hostile: every size is checked against
 * what is left of the buffer before it is used.
 */
#ifndef PTSWITCH_ELFNOTE_H
#define PTSWITCH_ELFNOTE_H

#include <stddef.h>
#include <stdint.h>

struct elfnote {
	const char *name; /* NUL-terminated, points into the buffer */
	uint32_t type;
	const unsigned char *desc;
	size_t descsz;
};

/*
 * Decode the note at *pos and advance *pos past it.  Returns 1 with *note
 * filled, 0 at the end of the buffer (trailing zero padding is allowed),
 * or -EINVAL when the buffer is malformed; iteration must stop then.
 */
int elfnote_next(const void *buf, size_t len, size_t *pos,
		 struct elfnote *note);

/*
 * Copy a string-valued descriptor into out (size > 0): trailing NULs are
 * dropped, the rest must be printable ASCII that fits.  Returns 0 or
 * -EINVAL.
 */
int elfnote_desc_string(const struct elfnote *note, char *out, size_t size);

#endif /* PTSWITCH_ELFNOTE_H */
