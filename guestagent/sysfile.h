/* SPDX-License-Identifier: MIT */
/*
 * Bounded reads of small /proc and /sys files below a configurable root,
 * so that tests can point the agent at recorded fixtures.
 */
#ifndef PTSWITCH_SYSFILE_H
#define PTSWITCH_SYSFILE_H

#include <stddef.h>

/*
 * Read <root>/<rel> into buf (at most size bytes, not NUL-terminated) and
 * store the byte count in *len.  Returns 0, -EFBIG when the file holds more
 * than size bytes, or another negative errno.
 */
int sysfile_read(const char *root, const char *rel, void *buf, size_t size,
		 size_t *len);

/*
 * Read a one-line text file into a NUL-terminated string without the
 * trailing newline.  Returns 0 or a negative errno (-EINVAL when the
 * content is not one line of printable ASCII that fits).
 */
int sysfile_read_line(const char *root, const char *rel, char *buf,
		      size_t size);

/*
 * Stream <root>/<rel> to fn in chunks, for files whose size depends on the
 * machine (/proc/stat grows with CPUs and interrupts).  Stops with -EFBIG
 * after max bytes.  Returns 0 or a negative errno.
 */
int sysfile_stream(const char *root, const char *rel, size_t max,
		   void (*fn)(void *ctx, const char *buf, size_t len),
		   void *ctx);

#endif /* PTSWITCH_SYSFILE_H */
