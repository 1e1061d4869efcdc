/* ld.so.preload shim of the simulated hosts: makes /proc/xen/... and /sys/hypervisor/... resolve to
 * files the boot firmware wrote under /run/testbed (present only when the host booted Xen).
 * procfs accepts no new directories and refuses to be an overlay layer, so this is the one place the
 * test bed bends a path instead of providing a real file system object. Only absolute paths given to
 * the libc calls below are redirected; `ls /proc` does not list `xen`, statically linked programs and
 * raw syscalls see the real procfs. Built at test time with the machine's gcc (see lab/lab.py),
 * together with faultpoints.c (the fault points: its write hooks are called from the open wrappers). */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

static const char *const FROM[] = {"/proc/xen", "/sys/hypervisor"};
static const char *const TO[] = {"/run/testbed/proc-xen", "/run/testbed/sys-hypervisor"};

static const char *map(const char *path, char *buf, size_t n)
{
	if (!path || path[0] != '/')
		return path;
	for (size_t i = 0; i < sizeof(FROM) / sizeof(FROM[0]); i++) {
		size_t l = strlen(FROM[i]);
		if (strncmp(path, FROM[i], l) == 0 && (path[l] == 0 || path[l] == '/')) {
			snprintf(buf, n, "%s%s", TO[i], path + l);
			return buf;
		}
	}
	return path;
}

#define NEXT(ret, name, params) static ret (*next_##name) params; if (!next_##name) next_##name = (ret (*) params)dlsym(RTLD_NEXT, #name)
#define BUF char b[4096]

int tb_fp_open_pre(int dirfd, const char *path, int flags);
void tb_fp_open_post(int fd, int dirfd, const char *path, int flags);
int tb_fp_fopen_flags(const char *mode);
#define FP_PRE(d, p, f) if (tb_fp_open_pre(d, p, f) < 0) return -1
#define FP_RET(fd, d, p, f) do { int fd_ = (fd); tb_fp_open_post(fd_, d, p, f); return fd_; } while (0)

static int has_mode(int flags) { return (flags & O_CREAT) || ((flags & O_TMPFILE) == O_TMPFILE); }

int open(const char *p, int flags, ...)
{
	NEXT(int, open, (const char *, int, ...)); BUF;
	mode_t m = 0;
	if (has_mode(flags)) { va_list a; va_start(a, flags); m = va_arg(a, mode_t); va_end(a); }
	FP_PRE(AT_FDCWD, p, flags);
	FP_RET(next_open(map(p, b, sizeof b), flags, m), AT_FDCWD, p, flags);
}
int open64(const char *p, int flags, ...)
{
	NEXT(int, open64, (const char *, int, ...)); BUF;
	mode_t m = 0;
	if (has_mode(flags)) { va_list a; va_start(a, flags); m = va_arg(a, mode_t); va_end(a); }
	FP_PRE(AT_FDCWD, p, flags);
	FP_RET(next_open64(map(p, b, sizeof b), flags, m), AT_FDCWD, p, flags);
}
int openat(int d, const char *p, int flags, ...)
{
	NEXT(int, openat, (int, const char *, int, ...)); BUF;
	mode_t m = 0;
	if (has_mode(flags)) { va_list a; va_start(a, flags); m = va_arg(a, mode_t); va_end(a); }
	FP_PRE(d, p, flags);
	FP_RET(next_openat(d, map(p, b, sizeof b), flags, m), d, p, flags);
}
int openat64(int d, const char *p, int flags, ...)
{
	NEXT(int, openat64, (int, const char *, int, ...)); BUF;
	mode_t m = 0;
	if (has_mode(flags)) { va_list a; va_start(a, flags); m = va_arg(a, mode_t); va_end(a); }
	FP_PRE(d, p, flags);
	FP_RET(next_openat64(d, map(p, b, sizeof b), flags, m), d, p, flags);
}
int __open_2(const char *p, int f) { NEXT(int, __open_2, (const char *, int)); BUF; FP_PRE(AT_FDCWD, p, f); FP_RET(next___open_2(map(p, b, sizeof b), f), AT_FDCWD, p, f); }
int __open64_2(const char *p, int f) { NEXT(int, __open64_2, (const char *, int)); BUF; FP_PRE(AT_FDCWD, p, f); FP_RET(next___open64_2(map(p, b, sizeof b), f), AT_FDCWD, p, f); }
int __openat_2(int d, const char *p, int f) { NEXT(int, __openat_2, (int, const char *, int)); BUF; FP_PRE(d, p, f); FP_RET(next___openat_2(d, map(p, b, sizeof b), f), d, p, f); }
int __openat64_2(int d, const char *p, int f) { NEXT(int, __openat64_2, (int, const char *, int)); BUF; FP_PRE(d, p, f); FP_RET(next___openat64_2(d, map(p, b, sizeof b), f), d, p, f); }
FILE *fopen(const char *p, const char *m) { NEXT(FILE *, fopen, (const char *, const char *)); BUF; int fl = tb_fp_fopen_flags(m); if (tb_fp_open_pre(AT_FDCWD, p, fl) < 0) return NULL; FILE *f = next_fopen(map(p, b, sizeof b), m); tb_fp_open_post(f ? fileno(f) : -1, AT_FDCWD, p, fl); return f; }
FILE *fopen64(const char *p, const char *m) { NEXT(FILE *, fopen64, (const char *, const char *)); BUF; int fl = tb_fp_fopen_flags(m); if (tb_fp_open_pre(AT_FDCWD, p, fl) < 0) return NULL; FILE *f = next_fopen64(map(p, b, sizeof b), m); tb_fp_open_post(f ? fileno(f) : -1, AT_FDCWD, p, fl); return f; }
int stat(const char *p, struct stat *s) { NEXT(int, stat, (const char *, struct stat *)); BUF; return next_stat(map(p, b, sizeof b), s); }
int stat64(const char *p, struct stat64 *s) { NEXT(int, stat64, (const char *, struct stat64 *)); BUF; return next_stat64(map(p, b, sizeof b), s); }
int lstat(const char *p, struct stat *s) { NEXT(int, lstat, (const char *, struct stat *)); BUF; return next_lstat(map(p, b, sizeof b), s); }
int lstat64(const char *p, struct stat64 *s) { NEXT(int, lstat64, (const char *, struct stat64 *)); BUF; return next_lstat64(map(p, b, sizeof b), s); }
int fstatat(int d, const char *p, struct stat *s, int f) { NEXT(int, fstatat, (int, const char *, struct stat *, int)); BUF; return next_fstatat(d, map(p, b, sizeof b), s, f); }
int fstatat64(int d, const char *p, struct stat64 *s, int f) { NEXT(int, fstatat64, (int, const char *, struct stat64 *, int)); BUF; return next_fstatat64(d, map(p, b, sizeof b), s, f); }
int __xstat(int v, const char *p, struct stat *s) { NEXT(int, __xstat, (int, const char *, struct stat *)); BUF; return next___xstat(v, map(p, b, sizeof b), s); }
int __xstat64(int v, const char *p, struct stat64 *s) { NEXT(int, __xstat64, (int, const char *, struct stat64 *)); BUF; return next___xstat64(v, map(p, b, sizeof b), s); }
int __lxstat(int v, const char *p, struct stat *s) { NEXT(int, __lxstat, (int, const char *, struct stat *)); BUF; return next___lxstat(v, map(p, b, sizeof b), s); }
int __lxstat64(int v, const char *p, struct stat64 *s) { NEXT(int, __lxstat64, (int, const char *, struct stat64 *)); BUF; return next___lxstat64(v, map(p, b, sizeof b), s); }
int __fxstatat(int v, int d, const char *p, struct stat *s, int f) { NEXT(int, __fxstatat, (int, int, const char *, struct stat *, int)); BUF; return next___fxstatat(v, d, map(p, b, sizeof b), s, f); }
int __fxstatat64(int v, int d, const char *p, struct stat64 *s, int f) { NEXT(int, __fxstatat64, (int, int, const char *, struct stat64 *, int)); BUF; return next___fxstatat64(v, d, map(p, b, sizeof b), s, f); }
int statx(int d, const char *p, int f, unsigned int m, struct statx *s) { NEXT(int, statx, (int, const char *, int, unsigned int, struct statx *)); BUF; return next_statx(d, map(p, b, sizeof b), f, m, s); }
int access(const char *p, int m) { NEXT(int, access, (const char *, int)); BUF; return next_access(map(p, b, sizeof b), m); }
int faccessat(int d, const char *p, int m, int f) { NEXT(int, faccessat, (int, const char *, int, int)); BUF; return next_faccessat(d, map(p, b, sizeof b), m, f); }
int eaccess(const char *p, int m) { NEXT(int, eaccess, (const char *, int)); BUF; return next_eaccess(map(p, b, sizeof b), m); }
int euidaccess(const char *p, int m) { NEXT(int, euidaccess, (const char *, int)); BUF; return next_euidaccess(map(p, b, sizeof b), m); }
DIR *opendir(const char *p) { NEXT(DIR *, opendir, (const char *)); BUF; return next_opendir(map(p, b, sizeof b)); }
ssize_t readlink(const char *p, char *o, size_t n) { NEXT(ssize_t, readlink, (const char *, char *, size_t)); BUF; return next_readlink(map(p, b, sizeof b), o, n); }
int chdir(const char *p) { NEXT(int, chdir, (const char *)); BUF; return next_chdir(map(p, b, sizeof b)); }
ssize_t getxattr(const char *p, const char *n, void *v, size_t s) { NEXT(ssize_t, getxattr, (const char *, const char *, void *, size_t)); BUF; return next_getxattr(map(p, b, sizeof b), n, v, s); }
ssize_t lgetxattr(const char *p, const char *n, void *v, size_t s) { NEXT(ssize_t, lgetxattr, (const char *, const char *, void *, size_t)); BUF; return next_lgetxattr(map(p, b, sizeof b), n, v, s); }
ssize_t listxattr(const char *p, char *l, size_t s) { NEXT(ssize_t, listxattr, (const char *, char *, size_t)); BUF; return next_listxattr(map(p, b, sizeof b), l, s); }
ssize_t llistxattr(const char *p, char *l, size_t s) { NEXT(ssize_t, llistxattr, (const char *, char *, size_t)); BUF; return next_llistxattr(map(p, b, sizeof b), l, s); }
