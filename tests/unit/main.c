/*
 * main.c — runs the unit tests registered with TEST() (see unit.h).
 */
#define _GNU_SOURCE
#include "unit.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static struct unit_test	*tests, **tail = &tests;
static char		 tmproot[] = "/tmp/dispatcher-unit-XXXXXX";
static int		 tmpcount;

void
unit_register(struct unit_test *t)
{
	*tail = t;
	tail = &t->next;
}

static void
cleanup(void)
{
	char	cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmproot);
	if (system(cmd) != 0)
		fprintf(stderr, "unit: could not remove %s\n", tmproot);
}

const char *
unit_tmpdir(void)
{
	static char	path[256];

	if (tmpcount++ == 0) {
		if (mkdtemp(tmproot) == NULL) {
			perror("mkdtemp");
			exit(1);
		}
		atexit(cleanup);
	}
	snprintf(path, sizeof(path), "%s/%d", tmproot, tmpcount);
	if (mkdir(path, 0700) == -1) {
		perror(path);
		exit(1);
	}
	return path;
}

const char *
unit_write(const char *dir, const char *name, const char *data)
{
	static char	 path[512];
	FILE		*fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fp = fopen(path, "w")) == NULL || fputs(data, fp) == EOF ||
	    fclose(fp) == EOF) {
		perror(path);
		exit(1);
	}
	return path;
}

static int
selected(const char *name, int argc, char **argv)
{
	int	i;

	if (argc < 2)
		return 1;
	for (i = 1; i < argc; i++)
		if (strstr(name, argv[i]) != NULL)
			return 1;
	return 0;
}

int
main(int argc, char **argv)
{
	struct unit_test	*t;
	int			 passed = 0, failed = 0, f;

	for (t = tests; t; t = t->next) {
		if (!selected(t->name, argc, argv))
			continue;
		f = 0;
		t->fn(&f);
		printf("%s %s\n", f ? "FAIL" : "ok  ", t->name);
		if (f)
			failed++;
		else
			passed++;
	}
	printf("unit: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
