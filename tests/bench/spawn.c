/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Time whole processes, interleaved so that ratios between them hold on a
 * noisy machine:
 *
 *   spawn ROUNDS WARMUP [<FILE] CMD1 ARGS... ::: [<FILE] CMD2 ARGS... [::: ...]
 *
 * Each round runs every command once (in reverse order on odd rounds), with
 * stdin, stdout and stderr on /dev/null; "<FILE" before a command gives it
 * FILE on stdin instead (a libvirt hook reads the domain there). "{i}" in an argument becomes the
 * round number (warm-up rounds count from ROUNDS on), so a command can
 * allocate a fresh consumer each time. Prints one line per command:
 * "cmd K exit E ns T1 T2 ...", E being the first exit status seen (or -SIG).
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

extern char **environ;

struct cmd {
	char **argv;      /* template, NULL-terminated */
	int argc;
	char **run;       /* argv with {i} substituted */
	posix_spawn_file_actions_t fa; /* stdin (FILE or /dev/null), stdout, stderr */
	int exit_code;
	int exit_mixed;   /* some run exited differently from the first */
	uint64_t *ns;
};

/* Substitute every "{i}" in the template for round `i`. */
static void expand(struct cmd *c, long i)
{
	char num[24];

	snprintf(num, sizeof(num), "%ld", i);
	for (int a = 0; a < c->argc; a++) {
		const char *t = c->argv[a], *p;
		size_t n = 1;
		char *o;

		for (p = t; (p = strstr(p, "{i}")) != NULL; p += 3)
			n += strlen(num);
		n += strlen(t);
		free(c->run[a]);
		c->run[a] = o = malloc(n);
		if (o == NULL)
			die("out of memory");
		while ((p = strstr(t, "{i}")) != NULL) {
			memcpy(o, t, (size_t)(p - t));
			o += p - t;
			memcpy(o, num, strlen(num));
			o += strlen(num);
			t = p + 3;
		}
		strcpy(o, t);
	}
	c->run[c->argc] = NULL;
}

static int run_once(struct cmd *c, uint64_t *ns)
{
	uint64_t t0 = now_ns();
	pid_t pid;
	int st, err;

	err = posix_spawn(&pid, c->run[0], &c->fa, NULL, c->run, environ);
	if (err != 0)
		die("spawn %s: %s", c->run[0], strerror(err));
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			die("waitpid: %s", strerror(errno));
	*ns = now_ns() - t0;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st);
}

int main(int argc, char **argv)
{
	struct cmd cmds[16];
	int ncmd = 0;
	long rounds, warm;

	if (argc < 4)
		die("usage: spawn ROUNDS WARMUP CMD ARGS... [::: CMD ARGS...]");
	rounds = atol(argv[1]);
	warm = atol(argv[2]);
	for (int a = 3; a < argc;) {
		const char *in = "/dev/null";
		int b;

		if (ncmd == (int)(sizeof(cmds) / sizeof(cmds[0])))
			die("too many commands");
		if (argv[a][0] == '<')
			in = argv[a++] + 1;
		b = a;
		while (b < argc && strcmp(argv[b], ":::") != 0)
			b++;
		if (b == a)
			die("empty command");
		cmds[ncmd] = (struct cmd){ .argv = argv + a, .argc = b - a, .exit_code = -1000 };
		cmds[ncmd].run = calloc((size_t)(b - a + 1), sizeof(char *));
		cmds[ncmd].ns = calloc((size_t)rounds + 1, sizeof(uint64_t));
		if (cmds[ncmd].run == NULL || cmds[ncmd].ns == NULL)
			die("out of memory");
		posix_spawn_file_actions_init(&cmds[ncmd].fa);
		posix_spawn_file_actions_addopen(&cmds[ncmd].fa, 0, in, O_RDONLY, 0);
		posix_spawn_file_actions_addopen(&cmds[ncmd].fa, 1, "/dev/null", O_WRONLY, 0);
		posix_spawn_file_actions_addopen(&cmds[ncmd].fa, 2, "/dev/null", O_WRONLY, 0);
		ncmd++;
		a = b + 1;
	}

	for (long r = -warm; r < rounds; r++) {
		for (int j = 0; j < ncmd; j++) {
			struct cmd *c = &cmds[(r & 1) ? ncmd - 1 - j : j];
			uint64_t ns;
			int code;

			expand(c, r < 0 ? rounds - r - 1 : r);
			code = run_once(c, &ns);
			if (r < 0)
				continue;
			if (c->exit_code == -1000)
				c->exit_code = code;
			else if (code != c->exit_code)
				c->exit_mixed = 1;
			c->ns[r] = ns;
		}
	}
	for (int k = 0; k < ncmd; k++) {
		printf("cmd %d exit %d%s ns", k, cmds[k].exit_code, cmds[k].exit_mixed ? " mixed" : "");
		for (long r = 0; r < rounds; r++)
			printf(" %llu", (unsigned long long)cmds[k].ns[r]);
		putchar('\n');
	}
	return 0;
}
