/* SPDX-License-Identifier: MIT */
/* Unit tests of the ELF note iterator and the kernel note interpreter. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "elfnote.h"
#include "kernelnotes.h"
#include "proto.h"
#include "sysfile.h"
#include "guest_fixtures.h"

/* Build notes in memory the way a kernel lays them out. */
struct nb {
	unsigned char buf[4096];
	size_t len;
};

static void put32(struct nb *b, uint32_t v)
{
	memcpy(b->buf + b->len, &v, 4);
	b->len += 4;
}

static void put_bytes(struct nb *b, const void *p, size_t n, bool pad)
{
	memcpy(b->buf + b->len, p, n);
	b->len += n;
	while (pad && b->len % 4)
		b->buf[b->len++] = 0;
}

static void add_note(struct nb *b, const char *name, uint32_t type,
		     const void *desc, size_t descsz)
{
	put32(b, (uint32_t)strlen(name) + 1);
	put32(b, (uint32_t)descsz);
	put32(b, type);
	put_bytes(b, name, strlen(name) + 1, true);
	put_bytes(b, desc, descsz, true);
}

static void test_iterate(void **state)
{
	struct nb b = {.len = 0};
	struct elfnote n;
	size_t pos = 0;

	(void)state;
	add_note(&b, "Xen", 6, "linux", 6);
	add_note(&b, "GNU", 3, "\1\2\3\4\5", 5);
	add_note(&b, "ptswitch", 1, "lazy-flush", 10);

	assert_int_equal(elfnote_next(b.buf, b.len, &pos, &n), 1);
	assert_string_equal(n.name, "Xen");
	assert_int_equal(n.type, 6);
	assert_int_equal(n.descsz, 6);
	assert_memory_equal(n.desc, "linux", 6);
	assert_int_equal(elfnote_next(b.buf, b.len, &pos, &n), 1);
	assert_string_equal(n.name, "GNU");
	assert_int_equal(n.descsz, 5);
	assert_int_equal(elfnote_next(b.buf, b.len, &pos, &n), 1);
	assert_string_equal(n.name, "ptswitch");
	assert_int_equal(elfnote_next(b.buf, b.len, &pos, &n), 0);
	assert_int_equal(pos, b.len);
	/* Empty input is a valid, empty list. */
	pos = 0;
	assert_int_equal(elfnote_next(b.buf, 0, &pos, &n), 0);
}

static void test_padding_at_end(void **state)
{
	struct nb b = {.len = 0};
	struct elfnote n;
	size_t pos = 0;

	(void)state;
	add_note(&b, "Xen", 5, "xen-3.0", 8);
	memset(b.buf + b.len, 0, 20);
	b.len += 20;
	assert_int_equal(elfnote_next(b.buf, b.len, &pos, &n), 1);
	assert_int_equal(elfnote_next(b.buf, b.len, &pos, &n), 0);

	/* Non-zero bytes too short for a header are damage... */
	b.len -= 20;
	memcpy(b.buf + b.len, "\0\0\0\0\0\0\0\7", 8);
	b.len += 8;
	pos = 0;
	assert_int_equal(elfnote_next(b.buf, b.len, &pos, &n), 1);
	assert_int_equal(elfnote_next(b.buf, b.len, &pos, &n), -EINVAL);

	/* ... and so is anything after an all-zero header. */
	memset(b.buf + b.len - 8, 0, 8);
	memcpy(b.buf + b.len, "\0\0\0\0\0\0\0\0\0\0\0\0\1", 13);
	b.len += 13;
	pos = 0;
	assert_int_equal(elfnote_next(b.buf, b.len, &pos, &n), 1);
	assert_int_equal(elfnote_next(b.buf, b.len, &pos, &n), -EINVAL);
}

static void test_hostile(void **state)
{
	struct nb b = {.len = 0};
	struct elfnote n;
	size_t pos, cut;

	(void)state;
	add_note(&b, "Xen", 10, "writable_page_tables", 20);

	/* Every truncation is either a clean end or an error, never a read
	 * past the buffer (ASan watches). */
	for (cut = 0; cut < b.len; cut++) {
		unsigned char *copy = malloc(cut ? cut : 1);
		int r;

		memcpy(copy, b.buf, cut);
		pos = 0;
		r = elfnote_next(copy, cut, &pos, &n);
		assert_true(r == -EINVAL || (r == 0 && cut == 0));
		free(copy);
	}

	/* Huge namesz, huge descsz. */
	b.len = 0;
	put32(&b, 0xffffffffu);
	put32(&b, 4);
	put32(&b, 1);
	put_bytes(&b, "abcdabcd", 8, false);
	pos = 0;
	assert_int_equal(elfnote_next(b.buf, b.len, &pos, &n), -EINVAL);
	b.len = 0;
	put32(&b, 4);
	put32(&b, 0xfffffffdu);
	put32(&b, 1);
	put_bytes(&b, "Xen\0abcd", 8, false);
	pos = 0;
	assert_int_equal(elfnote_next(b.buf, b.len, &pos, &n), -EINVAL);

	/* A name without its NUL, and one with an embedded NUL. */
	b.len = 0;
	put32(&b, 4);
	put32(&b, 0);
	put32(&b, 1);
	put_bytes(&b, "Xenx", 4, false);
	pos = 0;
	assert_int_equal(elfnote_next(b.buf, b.len, &pos, &n), -EINVAL);
	b.len = 0;
	put32(&b, 4);
	put32(&b, 0);
	put32(&b, 1);
	put_bytes(&b, "X\0n\0", 4, false);
	pos = 0;
	assert_int_equal(elfnote_next(b.buf, b.len, &pos, &n), -EINVAL);

	/* A position beyond the buffer. */
	pos = b.len + 1;
	assert_int_equal(elfnote_next(b.buf, b.len, &pos, &n), -EINVAL);
}

static void test_desc_string(void **state)
{
	struct elfnote n = {.name = "Xen", .type = 10};
	char out[8];

	(void)state;
	n.desc = (const unsigned char *)"abc\0\0";
	n.descsz = 5;
	assert_int_equal(elfnote_desc_string(&n, out, sizeof(out)), 0);
	assert_string_equal(out, "abc");
	n.desc = (const unsigned char *)"abcdefgh";
	n.descsz = 8;
	assert_int_equal(elfnote_desc_string(&n, out, sizeof(out)), -EINVAL);
	n.desc = (const unsigned char *)"a\nb";
	n.descsz = 3;
	assert_int_equal(elfnote_desc_string(&n, out, sizeof(out)), -EINVAL);
	n.desc = (const unsigned char *)"a\0b";
	assert_int_equal(elfnote_desc_string(&n, out, sizeof(out)), -EINVAL);
}

static void test_kernel_notes(void **state)
{
	struct nb b = {.len = 0};
	struct kernel_notes kn;

	(void)state;
	add_note(&b, "Xen", XEN_NOTE_GUEST_OS, "linux", 6);
	add_note(&b, "Xen", XEN_NOTE_GUEST_OS, "other", 6); /* first wins */
	add_note(&b, "Xen", XEN_NOTE_FEATURES, "!a|b", 4);
	add_note(&b, "Xen", XEN_NOTE_HYPERCALL_PAGE, "\0\0\0\0\0\0\0\0", 8);
	add_note(&b, "Xen", XEN_NOTE_LOADER, "gen\1ric", 8); /* garbled */
	add_note(&b, "ptswitch", 2, "lazy-flush", 10);	     /* unknown type */
	add_note(&b, "ptswitch", PTSWITCH_NOTE_CAPS,
		 "missing-pde spurious-fault lazy-flush new-thing", 47);
	assert_int_equal(kernel_notes_parse(b.buf, b.len, &kn), 0);
	assert_int_equal(kn.notes, 7);
	assert_int_equal(kn.xen_notes, 5);
	assert_string_equal(kn.guest_os, "linux");
	assert_string_equal(kn.features, "!a|b");
	assert_string_equal(kn.loader, "");
	assert_true(kn.hypercall_page);
	assert_true(kn.ptswitch && kn.ptswitch_valid);
	assert_int_equal(kn.ptswitch_caps, PROTO_CAPS_BATCH);

	/* A caps note that does not parse is present but invalid. */
	b.len = 0;
	add_note(&b, "ptswitch", PTSWITCH_NOTE_CAPS, "Missing-PDE", 11);
	assert_int_equal(kernel_notes_parse(b.buf, b.len, &kn), 0);
	assert_true(kn.ptswitch);
	assert_false(kn.ptswitch_valid);
	assert_int_equal(kn.ptswitch_caps, 0);

	/* Damage after good notes: error, earlier notes kept. */
	b.len = 0;
	add_note(&b, "Xen", XEN_NOTE_GUEST_OS, "linux", 6);
	put32(&b, 4);
	put32(&b, 1000);
	put32(&b, 1);
	assert_int_equal(kernel_notes_parse(b.buf, b.len, &kn), -EINVAL);
	assert_string_equal(kn.guest_os, "linux");
}

/* Deterministic pseudo-random numbers for the mutation test. */
static uint32_t rng_state = 0x12345678;

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

/*
 * Mutate a valid notes buffer at random (bytes, sizes, length) many
 * times: every outcome must be 0 or -EINVAL, and ASan checks that no byte
 * outside the exact-size copy is read.
 */
static void test_mutations(void **state)
{
	struct nb b = {.len = 0};
	struct kernel_notes kn;
	unsigned int round, k;

	(void)state;
	add_note(&b, "Xen", XEN_NOTE_GUEST_OS, "linux", 6);
	add_note(&b, "Xen", XEN_NOTE_FEATURES, "!writable_page_tables", 21);
	add_note(&b, "ptswitch", PTSWITCH_NOTE_CAPS,
		 "missing-pde spurious-fault lazy-flush", 38);
	for (round = 0; round < 20000; round++) {
		size_t len = b.len - rng() % 8;
		unsigned char *copy = malloc(len);
		int r;

		memcpy(copy, b.buf, len);
		for (k = rng() % 4 + 1; k; k--) {
			size_t at = rng() % len;

			/* Favour the size words, where the damage matters. */
			if (rng() & 1)
				at &= ~(size_t)3;
			copy[at] = (unsigned char)rng();
		}
		r = kernel_notes_parse(copy, len, &kn);
		assert_true(r == 0 || r == -EINVAL);
		free(copy);
	}
}

/* The real notes of Debian's stock 6.1 kernel, recorded in a PV domU. */
static void test_debian_notes(void **state)
{
	unsigned char buf[8192], dom0[8192];
	struct kernel_notes kn;
	size_t len, len0;

	(void)state;
	assert_int_equal(sysfile_read(guest_fixture("debian-6.1-pv-domu"),
				      "sys/kernel/notes", buf, sizeof(buf),
				      &len),
			 0);
	assert_int_equal(kernel_notes_parse(buf, len, &kn), 0);
	assert_true(kn.xen_notes >= 10);
	assert_string_equal(kn.guest_os, "linux");
	assert_string_equal(kn.xen_version, "xen-3.0");
	assert_string_equal(kn.loader, "generic");
	assert_string_equal(kn.features,
			    "!writable_page_tables|pae_pgdir_above_4gb");
	/* 6.1 no longer asks Xen to fill a hypercall page. */
	assert_false(kn.hypercall_page);
	assert_false(kn.ptswitch);

	/* The same image as dom0: /sys/kernel/notes is the image's .notes. */
	assert_int_equal(sysfile_read(guest_fixture("debian-6.1-pv-dom0"),
				      "sys/kernel/notes", dom0, sizeof(dom0),
				      &len0),
			 0);
	assert_int_equal(len0, len);
	assert_memory_equal(dom0, buf, len);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_iterate),
	    cmocka_unit_test(test_padding_at_end),
	    cmocka_unit_test(test_hostile),
	    cmocka_unit_test(test_desc_string),
	    cmocka_unit_test(test_kernel_notes),
	    cmocka_unit_test(test_mutations),
	    cmocka_unit_test(test_debian_notes),
	};

	return cmocka_run_group_tests_name("elfnotes", tests, NULL, NULL);
}
