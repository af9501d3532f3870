/*
 * unit.h — a single-file unit test runner.
 *
 * TEST(name) { ... } defines a test and registers it at start-up. Inside,
 * CHECK(cond) records a failure and goes on; REQUIRE(cond) records it and
 * leaves the test. `build/VARIANT/unit` runs every test, or only those whose
 * names contain one of its arguments, and ends with "N passed, N failed".
 */
#ifndef DISPATCHER_UNIT_H
#define DISPATCHER_UNIT_H

#include <stdio.h>
#include <string.h>

struct unit_test {
	const char		*name;
	void			(*fn)(int *failed);
	struct unit_test	*next;
};

void	unit_register(struct unit_test *t);
/* A fresh temporary directory for this test, removed at exit. */
const char *unit_tmpdir(void);
/* Writes data to dir/name and returns the path (static buffer). */
const char *unit_write(const char *dir, const char *name, const char *data);

#define TEST(name)							\
	static void test_##name(int *unit_failed);			\
	static struct unit_test unit_##name = { #name, test_##name, NULL }; \
	__attribute__((constructor)) static void reg_##name(void)	\
	{ unit_register(&unit_##name); }				\
	static void test_##name(int *unit_failed)

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "  %s:%d: CHECK(%s) failed\n",		\
		    __FILE__, __LINE__, #cond);				\
		*unit_failed = 1;					\
	}								\
} while (0)

#define REQUIRE(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "  %s:%d: REQUIRE(%s) failed\n",	\
		    __FILE__, __LINE__, #cond);				\
		*unit_failed = 1;					\
		return;							\
	}								\
} while (0)

#define CHECK_STR(a, b) do {						\
	const char *unit_a = (a), *unit_b = (b);			\
	if (unit_a == NULL || unit_b == NULL || strcmp(unit_a, unit_b) != 0) { \
		fprintf(stderr, "  %s:%d: \"%s\" != \"%s\"\n", __FILE__,	\
		    __LINE__, unit_a ? unit_a : "(null)",		\
		    unit_b ? unit_b : "(null)");			\
		*unit_failed = 1;					\
	}								\
} while (0)

#endif
