/* SPDX-License-Identifier: MIT */
/*
 * Shared by the libFuzzer harnesses (tests/fuzz/README.md).  A harness
 * checks what the parser promises, not only that it does not crash:
 * FUZZ_CHECK aborts, which libFuzzer reports as a crash with the input.
 */
#ifndef PTSWITCH_FUZZ_H
#define PTSWITCH_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define FUZZ_CHECK(cond)                                                       \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, \
				__LINE__, #cond);                              \
			abort();                                               \
		}                                                              \
	} while (0)

/* The entry point libFuzzer calls; declared for -Wmissing-prototypes. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A string ends within its buffer. */
static inline int fuzz_terminated(const char *s, size_t size)
{
	size_t i;

	for (i = 0; i < size; i++)
		if (!s[i])
			return 1;
	return 0;
}

#endif /* PTSWITCH_FUZZ_H */
