/*
 * cmd_serve.c — `dispatcher serve [--listen ADDRESS:PORT]`: runs the HTTP
 * endpoint for readers (serve.h) until SIGTERM or SIGINT.
 *
 * Start-up order: configuration, secret keys, store, templates and the
 * listening socket, all opened while still privileged; then, when started
 * as root, drop to serve.user (default: the owner of the spool directory,
 * and never root itself); then answer.
 *
 * Meanwhile this thread does two chores: when a confirmation message was
 * queued, it starts `dispatcher deliver` (one at a time; a delivery worker
 * already running is told apart by the spool's lock, and the message then
 * waits for it or for the next cron `deliver`); and once an hour it
 * expires sign-ups left unconfirmed past serve.confirm_expiry.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "log.h"
#include "serve.h"
#include "token.h"

#define EXPIRE_EVERY	3600	/* seconds between expiry sweeps */

static volatile sig_atomic_t	stop;

static void
on_signal(int sig)
{
	stop = sig;
}

/* Becomes serve.user, or the owner of the spool, when running as root. */
static int
drop_privileges(const struct config *cfg, char *err, size_t errlen)
{
	struct passwd	*pw;
	struct stat	 st;
	uid_t		 uid;
	gid_t		 gid;

	if (geteuid() != 0)
		return 0;
	if (cfg->serve_user) {
		if ((pw = getpwnam(cfg->serve_user)) == NULL)
			return errf(err, errlen, "serve.user: no user '%s'",
			    cfg->serve_user), -1;
		uid = pw->pw_uid;
		gid = pw->pw_gid;
	} else {
		if (stat(cfg->spool_dir, &st) == -1)
			return errf(err, errlen, "%s: %s", cfg->spool_dir,
			    strerror(errno)), -1;
		uid = st.st_uid;
		gid = st.st_gid;
	}
	if (uid == 0)
		return errf(err, errlen, "serve will not answer the network as "
		    "root: chown the spool directory (%s) and the outbox to a "
		    "service user, or set serve.user", cfg->spool_dir), -1;
	if (setgroups(0, NULL) == -1 || setgid(gid) == -1 || setuid(uid) == -1)
		return errf(err, errlen, "dropping privileges: %s",
		    strerror(errno)), -1;
	if (setuid(0) != -1)
		return errf(err, errlen, "dropping privileges did not hold"), -1;
	log_info("serve", "running as uid %u gid %u", (unsigned)uid,
	    (unsigned)gid);
	return 0;
}

/* Starts `dispatcher -q -c CONF deliver`: its pid, or -1. */
static pid_t
spawn_deliver(const char *exe, const char *conf)
{
	pid_t	pid = fork();

	if (pid == 0) {
		execl(exe, "dispatcher", "-q", "-c", conf, "deliver",
		    (char *)NULL);
		_exit(127);
	}
	if (pid == -1)
		log_error("serve", "cannot start a delivery: %s",
		    strerror(errno));
	return pid;
}

struct chores {
	struct serve	*s;
	const char	*exe, *conf;
	pid_t		 child;
	int		 wanted;
	long long	 next_expire;
};

static void
chores_run(struct chores *ch)
{
	char	err[ERRLEN];
	size_t	n;
	int	status;

	if (ch->child > 0 && waitpid(ch->child, &status, WNOHANG) == ch->child)
		ch->child = 0;
	if (serve_take_delivery(ch->s))
		ch->wanted = 1;
	if (ch->wanted && ch->child == 0) {
		ch->wanted = 0;
		ch->child = spawn_deliver(ch->exe, ch->conf);
		if (ch->child == -1)
			ch->child = 0;
	}
	if ((long long)time(NULL) >= ch->next_expire) {
		ch->next_expire = (long long)time(NULL) + EXPIRE_EVERY;
		if (serve_expire(ch->s, (long long)time(NULL), &n, err,
		    sizeof(err)) == -1)
			log_error("serve", "expiring sign-ups: %s", err);
		else if (n > 0)
			log_info("serve", "%zu unconfirmed sign-ups expired", n);
	}
}

static void
chores_loop(struct chores *ch)
{
	struct timespec	ts = { 0, 200 * 1000 * 1000 };
	int		status;

	while (!stop) {
		chores_run(ch);
		nanosleep(&ts, NULL);
	}
	if (ch->child > 0)
		waitpid(ch->child, &status, 0);
}

static int
serve_setup(struct config *cfg, struct store *st, const char *listen,
    const struct token_keys *keys, struct serve **out, int *port)
{
	char	err[ERRLEN];
	int	fd;

	if ((*out = serve_new(cfg, st, keys, err, sizeof(err))) == NULL) {
		log_error("serve", "%s", err);
		return -1;
	}
	if ((fd = serve_listen(listen, port, err, sizeof(err))) == -1 ||
	    drop_privileges(cfg, err, sizeof(err)) == -1 ||
	    serve_start(*out, fd, err, sizeof(err)) == -1) {
		if (fd != -1)
			close(fd);
		log_error("serve", "%s", err);
		return -1;
	}
	return 0;
}

int
cmd_serve(struct cli *c, int argc, char **argv)
{
	struct chores		 ch;
	struct config		*cfg;
	struct store		*st;
	struct serve		*s = NULL;
	struct token_keys	 keys;
	struct sigaction	 sa;
	const char		*listen = NULL;
	char			 err[ERRLEN], exe[4096];
	ssize_t			 n;
	int			 i, port;

	for (i = 1; i < argc; i++)
		if (!cli_value(argc, argv, &i, "--listen", &listen))
			return cli_usage("serve [--listen ADDRESS:PORT]");
	if ((cfg = cli_config(c)) == NULL || (st = cli_store(c)) == NULL)
		return EXIT_FAIL;
	if (token_keys_load(cfg->secret_file, cfg->secret_previous_file,
	    cfg->secret_previous_until, &keys, err, sizeof(err)) == -1) {
		log_error("serve", "%s", err);
		return EXIT_FAIL;
	}
	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) <= 0) {
		log_error("serve", "/proc/self/exe: %s", strerror(errno));
		return EXIT_FAIL;
	}
	exe[n] = '\0';
	if (serve_setup(cfg, st, listen ? listen : cfg->serve_listen, &keys,
	    &s, &port) == -1) {
		serve_free(s);
		return EXIT_FAIL;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	printf("serve: listening on %s (port %d)\n",
	    listen ? listen : cfg->serve_listen, port);
	fflush(stdout);
	memset(&ch, 0, sizeof(ch));
	ch.s = s;
	ch.exe = exe;
	ch.conf = cfg->file;
	chores_loop(&ch);
	serve_free(s);
	log_info("serve", "stopped");
	return EXIT_OK;
}
