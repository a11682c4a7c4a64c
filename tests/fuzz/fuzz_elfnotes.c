/* SPDX-License-Identifier: MIT */
/*
 * The agent's ELF-note parser (guestagent/elfnote.c, kernelnotes.c): the
 * guest kernel's /sys/kernel/notes.  The agent reads it into a byte
 * array, so the harness hands it over at an odd address.
 */
#include <string.h>

#include "elfnote.h"
#include "fuzz.h"
#include "kernelnotes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *buf = malloc(size + 1);
	struct kernel_notes kn;
	struct elfnote note;
	char s[KNOTE_FEATURES];
	size_t pos = 0;
	int rc, n = 0;

	FUZZ_CHECK(buf);
	memcpy(buf + 1, data, size);
	memset(&kn, 0, sizeof(kn));
	rc = kernel_notes_parse(buf + 1, size, &kn);
	FUZZ_CHECK(rc == 0 || rc < 0);
	FUZZ_CHECK(fuzz_terminated(kn.guest_os, sizeof(kn.guest_os)));
	FUZZ_CHECK(fuzz_terminated(kn.features, sizeof(kn.features)));

	while ((rc = elfnote_next(buf + 1, size, &pos, &note)) == 1) {
		FUZZ_CHECK(pos <= size);
		FUZZ_CHECK(note.desc >= buf + 1 &&
			   note.desc + note.descsz <= buf + 1 + size);
		if (!elfnote_desc_string(&note, s, sizeof(s)))
			FUZZ_CHECK(fuzz_terminated(s, sizeof(s)));
		FUZZ_CHECK(++n <= (int)(size / 12) + 1);
	}
	FUZZ_CHECK(rc == 0 || rc < 0);
	free(buf);
	return 0;
}
