/* Fault points of the simulated hosts (part of the ld.so.preload library, with redirect.c).
 *
 * A test puts rules into HOSTDIR/ctl/faults/points.tab (see addFaultPoint in ../index.ts); inside the
 * host that is /run/testbed/faults/points.tab. This code only RECOGNISES the exact moment a rule names
 * and hands over to the decision helper (host/tb/faultpoints.py), which claims the firing, records it
 * and acts (drop the connections, kill the session, cut the power, reset, fail, hang):
 *
 *   rename  rename(2), renameat(2), renameat2(2) of any program (mv, python os.rename/os.replace,
 *           grubby's write): `before` the call, or `after` it succeeded. Pattern: the destination path.
 *   write   a regular file opened for writing: `before` the open(2) (nothing created or truncated yet),
 *           or `after` the writer has closed it (close, fclose, dup2/dup3 over it, or the process's
 *           exit; a file inherited as fd 0-2 across exec is followed into the new program).
 *           Pattern: the file's path.
 *   exec    execve(2) and execv/execvp/execvpe: the helper runs IN PLACE of the program (an exec,
 *           no fork: safe in vfork children) and then execs it (`before`), or runs it as a child and
 *           acts when it has exited (`after`). Pattern: "PROGRAM ARG1 ARG2 ..." (the program as
 *           passed to exec). Flag `ssh`: only the command a session's sshd starts (the SSH command).
 *
 * Patterns are globs where `*` matches any run of characters (slashes included), `?` one
 * character and `[...]` one of a class (`[!...]` none of it); a path rule matches the absolute path as given and the path with its directory
 * resolved (/var/run/x is also /run/x). With no points.tab a hook costs one stat(2).
 * Processes with TB_FP_OFF in their environment (the helper, the test bed's own file access) are
 * never hooked. Statically linked programs and raw syscalls are not seen. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define POINTS "/run/testbed/faults/points.tab"
#define FIRED "/run/testbed/fired"
#define HELPER "/usr/lib/dom0up-testbed/tb/faultpoints.py"
#define PYTHON "/usr/bin/python3"

extern char **environ;

static int off = -1;     /* TB_FP_OFF set: never hook */
static int in_child;     /* the forked child that runs the helper */

static int fp_off(void)
{
	if (off < 0)
		off = getenv("TB_FP_OFF") != NULL;
	return off || in_child;
}

/* ---- rules --------------------------------------------------------------------------------------- */
#define MAXR 48
#define PATLEN 512
struct rule {
	char id[64];
	char at[12];
	char when[12];
	int ssh;
	char pat[PATLEN];
};

static int have_points(void)
{
	struct stat st;
	return syscall(SYS_newfstatat, AT_FDCWD, POINTS, &st, 0) == 0;
}

static int done(const char *id)
{
	char p[160];
	struct stat st;
	snprintf(p, sizeof p, "%s/%s.done", FIRED, id);
	return syscall(SYS_newfstatat, AT_FDCWD, p, &st, 0) == 0;
}

/* Rules for `at` that are still live (not used up). Lines: ID \t AT \t WHEN \t FLAGS \t PATTERN */
static int load(const char *at, struct rule *r)
{
	char buf[16384];
	int fd = syscall(SYS_openat, AT_FDCWD, POINTS, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = 0, k;
	while (n < (ssize_t)sizeof buf - 1 && (k = syscall(SYS_read, fd, buf + n, sizeof buf - 1 - n)) > 0)
		n += k;
	syscall(SYS_close, fd);
	buf[n > 0 ? n : 0] = 0;
	int count = 0;
	char *save = NULL;
	for (char *line = strtok_r(buf, "\n", &save); line && count < MAXR; line = strtok_r(NULL, "\n", &save)) {
		char *f[5];
		int i = 0;
		char *p = line;
		for (; i < 4; i++) {
			f[i] = p;
			char *t = strchr(p, '\t');
			if (!t)
				break;
			*t = 0;
			p = t + 1;
		}
		if (i < 4)
			continue;
		f[4] = p;
		if (strcmp(f[1], at) != 0)
			continue;
		struct rule *x = &r[count];
		snprintf(x->id, sizeof x->id, "%s", f[0]);
		snprintf(x->at, sizeof x->at, "%s", f[1]);
		snprintf(x->when, sizeof x->when, "%s", f[2]);
		x->ssh = strstr(f[3], "ssh") != NULL;
		snprintf(x->pat, sizeof x->pat, "%s", f[4]);
		if (done(x->id))
			continue;
		count++;
	}
	return count;
}

/* One glob character class at p ("[...]", "[!...]", ranges a-z); *end is set past it. */
static int in_class(const char *p, char c, const char **end)
{
	const char *q = p + 1;
	int neg = 0, hit = 0;
	if (*q == '!') {
		neg = 1;
		q++;
	}
	const char *first = q;
	while (*q && (*q != ']' || q == first)) {
		if (q[1] == '-' && q[2] && q[2] != ']') {
			if (c >= q[0] && c <= q[2])
				hit = 1;
			q += 3;
		} else {
			if (*q == c)
				hit = 1;
			q++;
		}
	}
	if (*q != ']') {
		*end = NULL; /* no closing bracket: '[' is literal */
		return 0;
	}
	*end = q + 1;
	return hit != neg;
}

/* `*` any run (including '/'), `?` one character, `[...]` a class, everything else literal. No allocation. */
static int glob(const char *p, const char *s)
{
	const char *star = NULL, *ss = NULL;
	while (*s) {
		const char *end = NULL;
		if (*p == '*') {
			star = p++;
			ss = s;
			continue;
		}
		if (*p == '[') {
			int hit = in_class(p, *s, &end);
			if (end && hit) {
				p = end;
				s++;
				continue;
			}
			if (!end && *s == '[') {
				p++;
				s++;
				continue;
			}
		} else if (*p && (*p == '?' || *p == *s)) {
			p++;
			s++;
			continue;
		}
		if (!star)
			return 0;
		p = star + 1;
		s = ++ss;
	}
	while (*p == '*')
		p++;
	return *p == 0;
}

/* The absolute path of (dirfd, path), and the same with its directory resolved. */
static void paths(int dirfd, const char *path, char *abs, size_t n, char *canon, size_t m)
{
	abs[0] = canon[0] = 0;
	if (!path)
		return;
	if (path[0] == '/')
		snprintf(abs, n, "%s", path);
	else {
		char base[PATH_MAX];
		base[0] = 0;
		if (dirfd == AT_FDCWD) {
			if (!getcwd(base, sizeof base))
				base[0] = 0;
		} else {
			char link[64];
			snprintf(link, sizeof link, "/proc/self/fd/%d", dirfd);
			ssize_t k = syscall(SYS_readlinkat, AT_FDCWD, link, base, sizeof base - 1);
			base[k > 0 ? k : 0] = 0;
		}
		snprintf(abs, n, "%s/%s", strcmp(base, "/") == 0 ? "" : base, path);
	}
	char dir[PATH_MAX], rdir[PATH_MAX + 1];
	snprintf(dir, sizeof dir, "%s", abs);
	char *slash = strrchr(dir, '/');
	if (!slash)
		return;
	const char *name = abs + (slash - dir) + 1;
	*slash = 0;
	if (realpath(dir[0] ? dir : "/", rdir))
		snprintf(canon, m, "%s/%s", strcmp(rdir, "/") == 0 ? "" : rdir, name);
}

static int path_match(const struct rule *r, const char *abs, const char *canon)
{
	return glob(r->pat, abs) || (canon[0] && glob(r->pat, canon));
}

/* ---- the decision helper ------------------------------------------------------------------------- */
struct decision {
	int action; /* 0 continue, 1 hang, 2 fail */
	int err;
	int code;
};

static int (*real_execve_p)(const char *, char *const[], char *const[]);
static int real_execve(const char *p, char *const a[], char *const e[])
{
	if (!real_execve_p)
		real_execve_p = (int (*)(const char *, char *const[], char *const[]))dlsym(RTLD_NEXT, "execve");
	return real_execve_p(p, a, e);
}

/* Run the helper for (rule, point, when, subject) in a child and read its decision. */
static void decide(const struct rule *r, const char *point, const char *when, const char *subject, struct decision *d)
{
	d->action = 0;
	d->err = EIO;
	d->code = 1;
	int p[2];
	if (syscall(SYS_pipe2, p, O_CLOEXEC) != 0)
		return;
	char ppid[24];
	snprintf(ppid, sizeof ppid, "%d", (int)getpid());
	pid_t pid = fork();
	if (pid < 0) {
		syscall(SYS_close, p[0]);
		syscall(SYS_close, p[1]);
		return;
	}
	if (pid == 0) {
		in_child = 1;
		syscall(SYS_dup3, p[1], 1, 0);
		int nenv = 0;
		while (environ && environ[nenv])
			nenv++;
		char *env[nenv + 2];
		for (int i = 0; i < nenv; i++)
			env[i] = environ[i];
		env[nenv] = "TB_FP_OFF=1";
		env[nenv + 1] = NULL;
		char *argv[] = {"python3", "-I", "-B", "-S", HELPER, "point", (char *)r->id, (char *)point, (char *)when, ppid, (char *)subject, NULL};
		real_execve(PYTHON, argv, env);
		_exit(127);
	}
	syscall(SYS_close, p[1]);
	char buf[256];
	ssize_t n = 0, k;
	while (n < (ssize_t)sizeof buf - 1 && (k = syscall(SYS_read, p[0], buf + n, sizeof buf - 1 - n)) > 0)
		n += k;
	buf[n > 0 ? n : 0] = 0;
	syscall(SYS_close, p[0]);
	int st;
	while (syscall(SYS_wait4, pid, &st, 0, NULL) < 0 && errno == EINTR)
		;
	if (strncmp(buf, "hang", 4) == 0)
		d->action = 1;
	else if (strncmp(buf, "fail", 4) == 0) {
		d->action = 2;
		sscanf(buf + 4, "%d %d", &d->err, &d->code);
	}
}

static void hang(void)
{
	for (;;)
		pause();
}

/* Fire every live rule of `point` matching the path; returns -1 (errno set) when one says fail. */
static int fire_path(const char *point, const char *when, const char *abs, const char *canon)
{
	struct rule r[MAXR];
	int n = load(point, r);
	int rc = 0;
	for (int i = 0; i < n; i++) {
		if (strcmp(r[i].when, when) != 0 || !path_match(&r[i], abs, canon))
			continue;
		struct decision d;
		decide(&r[i], point, when, abs, &d);
		if (d.action == 1)
			hang();
		if (d.action == 2) {
			errno = d.err;
			rc = -1;
		}
	}
	return rc;
}

/* ---- rename ---------------------------------------------------------------------------------------- */
static int hooked_rename(int olddirfd, const char *oldp, int newdirfd, const char *newp, unsigned int flags, int kind)
{
	static int (*r0)(const char *, const char *);
	static int (*r1)(int, const char *, int, const char *);
	static int (*r2)(int, const char *, int, const char *, unsigned int);
	if (!r0) {
		r0 = (int (*)(const char *, const char *))dlsym(RTLD_NEXT, "rename");
		r1 = (int (*)(int, const char *, int, const char *))dlsym(RTLD_NEXT, "renameat");
		r2 = (int (*)(int, const char *, int, const char *, unsigned int))dlsym(RTLD_NEXT, "renameat2");
	}
#define REAL() (kind == 0 ? r0(oldp, newp) : kind == 1 ? r1(olddirfd, oldp, newdirfd, newp) : r2(olddirfd, oldp, newdirfd, newp, flags))
	if (fp_off() || !have_points())
		return REAL();
	/* mv probes with RENAME_NOREPLACE first: over an existing file that call changes nothing (EEXIST),
	 * so it is not "the rename" (the one that follows is) */
	struct stat st;
	if (kind == 2 && (flags & 1 /* RENAME_NOREPLACE */) && syscall(SYS_newfstatat, newdirfd, newp, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return REAL();
	char abs[PATH_MAX], canon[PATH_MAX];
	paths(newdirfd, newp, abs, sizeof abs, canon, sizeof canon);
	if (fire_path("rename", "before", abs, canon) < 0)
		return -1;
	int rc = REAL();
	if (rc == 0) {
		int e = errno;
		if (fire_path("rename", "after", abs, canon) < 0)
			return -1;
		errno = e;
	}
	return rc;
#undef REAL
}

int rename(const char *o, const char *n) { return hooked_rename(AT_FDCWD, o, AT_FDCWD, n, 0, 0); }
int renameat(int od, const char *o, int nd, const char *n) { return hooked_rename(od, o, nd, n, 0, 1); }
int renameat2(int od, const char *o, int nd, const char *n, unsigned int f) { return hooked_rename(od, o, nd, n, f, 2); }

static int (*next_close)(int);
static int (*next_fclose)(FILE *);
static int (*next_dup2)(int, int);
static int (*next_dup3)(int, int, int);
static int (*next_dup)(int);
/* ---- write: open for writing ... last close ---------------------------------------------------------- */
#define MAXT 32
struct tracked {
	int fd;
	dev_t dev;
	ino_t ino;
	pid_t owner;
	char path[PATH_MAX];
	char canon[PATH_MAX];
};
static struct tracked T[MAXT];
static int nT;

static int writable(int flags) { return (flags & O_ACCMODE) == O_WRONLY || (flags & O_ACCMODE) == O_RDWR; }

static int any_after_match(const char *abs, const char *canon)
{
	struct rule r[MAXR];
	int n = load("write", r);
	for (int i = 0; i < n; i++)
		if (strcmp(r[i].when, "after") == 0 && path_match(&r[i], abs, canon))
			return 1;
	return 0;
}

static void track(int fd, const char *abs, const char *canon)
{
	struct stat st;
	if (fd < 0 || nT >= MAXT || syscall(SYS_fstat, fd, &st) != 0 || !S_ISREG(st.st_mode))
		return;
	for (int i = 0; i < nT; i++)
		if (T[i].fd == fd) {
			T[i] = T[--nT];
			break;
		}
	struct tracked *t = &T[nT++];
	t->fd = fd;
	t->dev = st.st_dev;
	t->ino = st.st_ino;
	t->owner = getpid();
	snprintf(t->path, sizeof t->path, "%s", abs);
	snprintf(t->canon, sizeof t->canon, "%s", canon);
}

static int find(int fd)
{
	for (int i = 0; i < nT; i++)
		if (T[i].fd == fd)
			return i;
	return -1;
}

/* fd is no longer open in this process: fire when it was the last fd of that file here. */
static void closed(int i)
{
	struct tracked t = T[i];
	T[i] = T[--nT];
	if (t.owner != getpid())
		return; /* inherited by a fork: the file stays open in the parent */
	for (int j = 0; j < nT; j++)
		if (T[j].dev == t.dev && T[j].ino == t.ino)
			return;
	int e = errno;
	fire_path("write", "after", t.path, t.canon);
	errno = e;
}

int tb_fp_open_pre(int dirfd, const char *path, int flags)
{
	if (!writable(flags) || fp_off() || !have_points())
		return 0;
	char abs[PATH_MAX], canon[PATH_MAX];
	paths(dirfd, path, abs, sizeof abs, canon, sizeof canon);
	return fire_path("write", "before", abs, canon);
}

void tb_fp_open_post(int fd, int dirfd, const char *path, int flags)
{
	if (fd < 0 || !writable(flags) || fp_off() || !have_points())
		return;
	int e = errno;
	char abs[PATH_MAX], canon[PATH_MAX];
	paths(dirfd, path, abs, sizeof abs, canon, sizeof canon);
	if (any_after_match(abs, canon))
		track(fd, abs, canon);
	errno = e;
}

int tb_fp_fopen_flags(const char *mode)
{
	if (!mode)
		return O_RDONLY;
	if (mode[0] == 'r' && !strchr(mode, '+'))
		return O_RDONLY;
	return O_WRONLY;
}

int close(int fd)
{
	int (*next)(int) = next_close;
	if (!next)
		next = next_close = (int (*)(int))dlsym(RTLD_NEXT, "close");
	if (!nT || in_child)
		return next(fd);
	int i = find(fd);
	int rc = next(fd);
	if (i >= 0)
		closed(i);
	return rc;
}

int fclose(FILE *f)
{
	int (*next)(FILE *) = next_fclose;
	if (!next)
		next = next_fclose = (int (*)(FILE *))dlsym(RTLD_NEXT, "fclose");
	if (!nT || in_child || !f)
		return next(f);
	int fd = fileno(f);
	int rc = next(f);
	int i = fd >= 0 ? find(fd) : -1;
	if (i >= 0)
		closed(i);
	return rc;
}

static int after_dup(int old, int nw, int rc)
{
	if (rc < 0 || in_child || old == nw)
		return rc;
	int i = find(nw);
	if (i >= 0)
		closed(i); /* the file that was at nw got closed by the dup */
	int o = find(old);
	if (o >= 0 && nT < MAXT) {
		T[nT] = T[o];
		T[nT].fd = nw;
		T[nT].owner = getpid();
		nT++;
	}
	return rc;
}

int dup2(int old, int nw)
{
	int (*next)(int, int) = next_dup2;
	if (!next)
		next = next_dup2 = (int (*)(int, int))dlsym(RTLD_NEXT, "dup2");
	int rc = next(old, nw);
	return nT ? after_dup(old, nw, rc) : rc;
}

int dup3(int old, int nw, int flags)
{
	int (*next)(int, int, int) = next_dup3;
	if (!next)
		next = next_dup3 = (int (*)(int, int, int))dlsym(RTLD_NEXT, "dup3");
	int rc = next(old, nw, flags);
	return nT ? after_dup(old, nw, rc) : rc;
}

int dup(int old)
{
	int (*next)(int) = next_dup;
	if (!next)
		next = next_dup = (int (*)(int))dlsym(RTLD_NEXT, "dup");
	int rc = next(old);
	if (nT && rc >= 0 && !in_child) {
		int o = find(old);
		if (o >= 0 && nT < MAXT) {
			T[nT] = T[o];
			T[nT].fd = rc;
			T[nT].owner = getpid();
			nT++;
		}
	}
	return rc;
}

/* a program started with its stdout/stderr redirected into a watched file (`cat > tmp`) */
static int (*real_execvpe_p)(const char *, char *const[], char *const[]);

__attribute__((constructor)) static void fp_start(void)
{
	/* the exec hooks run in vfork children too, where dlsym (which may allocate) must not run */
	real_execve_p = (int (*)(const char *, char *const[], char *const[]))dlsym(RTLD_NEXT, "execve");
	real_execvpe_p = (int (*)(const char *, char *const[], char *const[]))dlsym(RTLD_NEXT, "execvpe");
	next_close = (int (*)(int))dlsym(RTLD_NEXT, "close");
	next_fclose = (int (*)(FILE *))dlsym(RTLD_NEXT, "fclose");
	next_dup2 = (int (*)(int, int))dlsym(RTLD_NEXT, "dup2");
	next_dup3 = (int (*)(int, int, int))dlsym(RTLD_NEXT, "dup3");
	next_dup = (int (*)(int))dlsym(RTLD_NEXT, "dup");
	if (fp_off() || !have_points())
		return;
	for (int fd = 0; fd <= 2; fd++) {
		int fl = syscall(SYS_fcntl, fd, F_GETFL);
		if (fl < 0 || !writable(fl))
			continue;
		char link[32], path[PATH_MAX], canon[PATH_MAX];
		snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
		ssize_t k = syscall(SYS_readlinkat, AT_FDCWD, link, path, sizeof path - 1);
		if (k <= 0 || path[0] != '/')
			continue;
		path[k] = 0;
		snprintf(canon, sizeof canon, "%s", path);
		if (any_after_match(path, canon))
			track(fd, path, canon);
	}
}

__attribute__((destructor)) static void fp_end(void)
{
	if (!nT || in_child)
		return;
	fflush(NULL);
	pid_t me = getpid();
	while (nT) {
		int i = nT - 1;
		if (T[i].owner != me) {
			nT--;
			continue;
		}
		closed(i);
	}
}

/* ---- exec ------------------------------------------------------------------------------------------ */
static int is_sshd_session(const char *path)
{
	char comm[32];
	int fd = syscall(SYS_openat, AT_FDCWD, "/proc/self/comm", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t k = syscall(SYS_read, fd, comm, sizeof comm - 1);
	syscall(SYS_close, fd);
	comm[k > 0 ? k : 0] = 0;
	if (strncmp(comm, "sshd", 4) != 0)
		return 0;
	const char *b = strrchr(path, '/');
	b = b ? b + 1 : path;
	return strcmp(b, "sshd") != 0; /* sshd re-executing itself is not the session's command */
}

static int hooked_exec(const char *path, char *const argv[], char *const envp[], int search)
{
	if (fp_off() || !path || !have_points())
		return -2;
	struct rule r[MAXR];
	int n = load("exec", r);
	if (!n)
		return -2;
	char subject[8192];
	size_t len = 0;
	subject[0] = 0;
	len += snprintf(subject, sizeof subject, "%s", path);
	for (int i = 1; argv && argv[i] && len < sizeof subject - 1; i++)
		len += snprintf(subject + len, sizeof subject - len, " %s", argv[i]);
	int ssh = -1;
	for (int i = 0; i < n; i++) {
		if (r[i].ssh) {
			if (ssh < 0)
				ssh = is_sshd_session(path);
			if (!ssh)
				continue;
		}
		if (!glob(r[i].pat, subject))
			continue;
		/* the helper takes the program's place: python3 faultpoints.py exec ID WHEN SIGIGN SEARCH PATH ARGV... */
		int argc = 0;
		while (argv && argv[argc])
			argc++;
		int nenv = 0;
		while (envp && envp[nenv])
			nenv++;
		char *a[argc + 12];
		char *e[nenv + 2];
		char sigign[32];
		struct sigaction sa;
		sigign[0] = 0;
		if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN)
			strcat(sigign, "PIPE,");
		if (sigaction(SIGXFSZ, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN)
			strcat(sigign, "XFSZ,");
		strcat(sigign, "-");
		int k = 0;
		a[k++] = "python3";
		a[k++] = "-I";
		a[k++] = "-B";
		a[k++] = "-S";
		a[k++] = HELPER;
		a[k++] = "exec";
		a[k++] = r[i].id;
		a[k++] = r[i].when;
		a[k++] = sigign;
		a[k++] = search ? "search" : "path";
		a[k++] = (char *)path;
		for (int j = 0; j < argc; j++)
			a[k++] = argv[j];
		if (argc == 0)
			a[k++] = (char *)path;
		a[k] = NULL;
		for (int j = 0; j < nenv; j++)
			e[j] = envp[j];
		e[nenv] = "TB_FP_OFF=1";
		e[nenv + 1] = NULL;
		real_execve(PYTHON, a, e);
		return -2; /* the helper could not start: run the program as asked */
	}
	return -2;
}

int execve(const char *path, char *const argv[], char *const envp[])
{
	hooked_exec(path, argv, envp, 0);
	return real_execve(path, argv, envp);
}

int execv(const char *path, char *const argv[])
{
	hooked_exec(path, argv, environ, 0);
	return real_execve(path, argv, environ);
}

int execvpe(const char *file, char *const argv[], char *const envp[])
{
	int (*next)(const char *, char *const[], char *const[]) = real_execvpe_p;
	if (!next)
		next = real_execvpe_p = (int (*)(const char *, char *const[], char *const[]))dlsym(RTLD_NEXT, "execvpe");
	if (!strchr(file, '/'))
		hooked_exec(file, argv, envp, 1);
	else
		hooked_exec(file, argv, envp, 0);
	return next(file, argv, envp);
}

int execvp(const char *file, char *const argv[])
{
	return execvpe(file, argv, environ);
}
