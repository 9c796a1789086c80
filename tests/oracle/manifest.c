/*
 * manifest: print a manifest of every path under a directory.
 *
 * Usage: manifest DIR
 *
 * One line per path below DIR (DIR itself excluded), sorted by raw path
 * bytes, fields separated by one space:
 *
 *   PATH TYPE PERM UID GID SIZE NLINK MAJOR MINOR SHA256 TARGET
 *
 *   PATH    path relative to DIR, components joined by '/', escaped: bytes
 *           0x21..0x7e are kept except '\' which is written "\\"; every other
 *           byte (space, controls, >= 0x7f) is written \ooo (3 octal digits)
 *   TYPE    d f l c b p s (directory, file, symlink, char/block device,
 *           fifo, socket)
 *   PERM    st_mode & 07777 as 4 octal digits
 *   UID GID decimal
 *   SIZE    st_size for f and l (a symlink's target length), else '-'
 *   NLINK   st_nlink, decimal
 *   MAJOR MINOR  device numbers for c and b, else '-'
 *   SHA256  lowercase hex SHA-256 of a file's contents, else '-'
 *   TARGET  escaped symlink target for l, else '-'
 *
 * Symlinks are never followed (everything is reached with *at() calls
 * relative to an open parent directory, so paths may exceed PATH_MAX).
 * Errors are reported on stderr and the walk goes on; the exit status is 1
 * if anything failed (a failed file read prints "error" as its SHA256), 2 on
 * a usage or output error, 0 otherwise.
 *
 * This is the independent side of mvi's Linux UFS oracle: it runs inside a
 * QEMU guest on a UFS image mounted by Linux's own driver; the host computes
 * the same manifest from the source tree (tests/src/manifest.rs). It is
 * self-contained (SHA-256 included) and links statically.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <termios.h>
#include <unistd.h>

/* ---- SHA-256 (FIPS 180-4) ------------------------------------------------ */

struct sha256 {
	uint32_t h[8];
	uint64_t len; /* bytes hashed so far */
	unsigned char buf[64];
	size_t fill; /* bytes in buf */
};

static const uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t ror(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

static void sha256_init(struct sha256 *s)
{
	static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372,
				       0xa54ff53a, 0x510e527f, 0x9b05688c,
				       0x1f83d9ab, 0x5be0cd19};
	memcpy(s->h, iv, sizeof iv);
	s->len = 0;
	s->fill = 0;
}

static void sha256_block(struct sha256 *s, const unsigned char *p)
{
	uint32_t w[64], a, b, c, d, e, f, g, h, t1, t2;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
	for (i = 16; i < 64; i++) {
		uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	a = s->h[0]; b = s->h[1]; c = s->h[2]; d = s->h[3];
	e = s->h[4]; f = s->h[5]; g = s->h[6]; h = s->h[7];
	for (i = 0; i < 64; i++) {
		t1 = h + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
		t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
		h = g; g = f; f = e; e = d + t1;
		d = c; c = b; b = a; a = t1 + t2;
	}
	s->h[0] += a; s->h[1] += b; s->h[2] += c; s->h[3] += d;
	s->h[4] += e; s->h[5] += f; s->h[6] += g; s->h[7] += h;
}

static void sha256_update(struct sha256 *s, const unsigned char *p, size_t n)
{
	s->len += n;
	if (s->fill) {
		size_t take = 64 - s->fill < n ? 64 - s->fill : n;
		memcpy(s->buf + s->fill, p, take);
		s->fill += take;
		p += take;
		n -= take;
		if (s->fill < 64)
			return;
		sha256_block(s, s->buf);
		s->fill = 0;
	}
	while (n >= 64) {
		sha256_block(s, p);
		p += 64;
		n -= 64;
	}
	memcpy(s->buf, p, n);
	s->fill = n;
}

/* Finish and write 64 lowercase hex digits plus NUL to out. */
static void sha256_hex(struct sha256 *s, char out[65])
{
	uint64_t bits = s->len * 8;
	unsigned char pad[72] = {0x80};
	size_t padlen = (s->fill < 56 ? 56 : 120) - s->fill;
	unsigned char lenbuf[8];
	int i;

	for (i = 0; i < 8; i++)
		lenbuf[i] = (unsigned char)(bits >> (56 - 8 * i));
	sha256_update(s, pad, padlen);
	sha256_update(s, lenbuf, 8);
	for (i = 0; i < 8; i++)
		sprintf(out + 8 * i, "%08x", s->h[i]);
	out[64] = 0;
}

/* ---- growable strings ---------------------------------------------------- */

struct buf {
	char *p;
	size_t len, cap;
};

static void die_oom(void)
{
	fputs("manifest: out of memory\n", stderr);
	exit(2);
}

static void buf_reserve(struct buf *b, size_t extra)
{
	if (b->len + extra + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < b->len + extra + 1)
		cap *= 2;
	b->p = realloc(b->p, cap);
	if (!b->p)
		die_oom();
	b->cap = cap;
}

static void buf_add(struct buf *b, const void *p, size_t n)
{
	buf_reserve(b, n);
	memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = 0;
}

static void buf_str(struct buf *b, const char *s) { buf_add(b, s, strlen(s)); }

/* Append the escaped form of n raw bytes. */
static void buf_escape(struct buf *b, const unsigned char *p, size_t n)
{
	size_t i;

	buf_reserve(b, 4 * n);
	for (i = 0; i < n; i++) {
		unsigned char c = p[i];
		if (c == '\\') {
			b->p[b->len++] = '\\';
			b->p[b->len++] = '\\';
		} else if (c >= 0x21 && c <= 0x7e) {
			b->p[b->len++] = (char)c;
		} else {
			b->p[b->len++] = '\\';
			b->p[b->len++] = (char)('0' + (c >> 6));
			b->p[b->len++] = (char)('0' + ((c >> 3) & 7));
			b->p[b->len++] = (char)('0' + (c & 7));
		}
	}
	b->p[b->len] = 0;
}

/* ---- the walk ------------------------------------------------------------ */

struct line {
	unsigned char *path; /* raw path bytes (sort key) */
	size_t pathlen;
	char *text; /* the whole escaped line, with '\n' */
	size_t textlen;
};

static struct line *lines;
static size_t nlines, caplines;
static int failed;

static void warn_path(const unsigned char *path, size_t len, const char *what, int err)
{
	struct buf b = {0};
	buf_escape(&b, path, len);
	fprintf(stderr, "manifest: %s: %s: %s\n", b.p ? b.p : "", what, strerror(err));
	free(b.p);
	failed = 1;
}

static void add_line(const unsigned char *path, size_t pathlen, struct buf *text)
{
	if (nlines == caplines) {
		caplines = caplines ? 2 * caplines : 1024;
		lines = realloc(lines, caplines * sizeof *lines);
		if (!lines)
			die_oom();
	}
	lines[nlines].path = malloc(pathlen ? pathlen : 1);
	if (!lines[nlines].path)
		die_oom();
	memcpy(lines[nlines].path, path, pathlen);
	lines[nlines].pathlen = pathlen;
	lines[nlines].text = text->p;
	lines[nlines].textlen = text->len;
	nlines++;
}

/* Hash the regular file name (relative to dirfd) into hex; 0 on success. */
static int hash_file(int dirfd, const char *name, char hex[65], int *err)
{
	static unsigned char *iobuf;
	const size_t iosize = 1 << 20;
	struct sha256 s;
	int fd;

	if (!iobuf && !(iobuf = malloc(iosize)))
		die_oom();
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		*err = errno;
		return -1;
	}
	sha256_init(&s);
	for (;;) {
		ssize_t n = read(fd, iobuf, iosize);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			*err = errno;
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		sha256_update(&s, iobuf, (size_t)n);
	}
	close(fd);
	sha256_hex(&s, hex);
	return 0;
}

/* Read the symlink name (relative to dirfd); returns malloc'd bytes. */
static unsigned char *read_link(int dirfd, const char *name, size_t hint, size_t *len, int *err)
{
	size_t cap = hint + 2 > 256 ? hint + 2 : 256;

	for (;;) {
		unsigned char *p = malloc(cap);
		ssize_t n;
		if (!p)
			die_oom();
		n = readlinkat(dirfd, name, (char *)p, cap);
		if (n < 0) {
			*err = errno;
			free(p);
			return NULL;
		}
		if ((size_t)n < cap) {
			*len = (size_t)n;
			return p;
		}
		free(p);
		cap *= 2;
	}
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Walk the directory open as fd, whose path below the root is path[0..len)
 * (no trailing '/'; empty for the root). path is a growable buffer.
 */
static void walk(int fd, struct buf *path)
{
	DIR *d = fdopendir(fd);
	char **names = NULL;
	size_t nnames = 0, capnames = 0, i;
	size_t base = path->len;

	if (!d) {
		warn_path((unsigned char *)path->p, path->len, "fdopendir", errno);
		close(fd);
		return;
	}
	for (;;) {
		struct dirent *e;
		errno = 0;
		e = readdir(d);
		if (!e) {
			if (errno)
				warn_path((unsigned char *)path->p, path->len, "readdir", errno);
			break;
		}
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (nnames == capnames) {
			capnames = capnames ? 2 * capnames : 64;
			names = realloc(names, capnames * sizeof *names);
			if (!names)
				die_oom();
		}
		if (!(names[nnames++] = strdup(e->d_name)))
			die_oom();
	}
	/* Order only matters for determinism of error messages: lines are sorted at the end. */
	qsort(names, nnames, sizeof *names, cmp_name);

	for (i = 0; i < nnames; i++) {
		const char *name = names[i];
		struct stat st;
		struct buf line = {0};
		char num[64], hex[65];
		int err = 0;
		char type;

		path->len = base;
		if (base)
			buf_add(path, "/", 1);
		buf_str(path, name);

		if (fstatat(dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			warn_path((unsigned char *)path->p, path->len, "lstat", errno);
			continue;
		}
		switch (st.st_mode & S_IFMT) {
		case S_IFDIR: type = 'd'; break;
		case S_IFREG: type = 'f'; break;
		case S_IFLNK: type = 'l'; break;
		case S_IFCHR: type = 'c'; break;
		case S_IFBLK: type = 'b'; break;
		case S_IFIFO: type = 'p'; break;
		case S_IFSOCK: type = 's'; break;
		default:
			type = '?';
			warn_path((unsigned char *)path->p, path->len, "unknown file type", 0);
		}

		buf_escape(&line, (unsigned char *)path->p, path->len);
		snprintf(num, sizeof num, " %c %04o %u %u ", type,
			 (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid,
			 (unsigned)st.st_gid);
		buf_str(&line, num);
		if (type == 'f' || type == 'l')
			snprintf(num, sizeof num, "%lld", (long long)st.st_size);
		else
			strcpy(num, "-");
		buf_str(&line, num);
		snprintf(num, sizeof num, " %llu ", (unsigned long long)st.st_nlink);
		buf_str(&line, num);
		if (type == 'c' || type == 'b')
			snprintf(num, sizeof num, "%u %u", major(st.st_rdev), minor(st.st_rdev));
		else
			strcpy(num, "- -");
		buf_str(&line, num);

		if (type == 'f') {
			if (hash_file(dirfd(d), name, hex, &err) < 0) {
				warn_path((unsigned char *)path->p, path->len, "read", err);
				strcpy(hex, "error");
			}
			buf_str(&line, " ");
			buf_str(&line, hex);
			buf_str(&line, " -\n");
		} else if (type == 'l') {
			size_t tlen;
			unsigned char *t = read_link(dirfd(d), name,
						     st.st_size > 0 ? (size_t)st.st_size : 0,
						     &tlen, &err);
			buf_str(&line, " - ");
			if (t) {
				buf_escape(&line, t, tlen);
				free(t);
			} else {
				warn_path((unsigned char *)path->p, path->len, "readlink", err);
				buf_str(&line, "error");
			}
			buf_str(&line, "\n");
		} else {
			buf_str(&line, " - -\n");
		}
		add_line((unsigned char *)path->p, path->len, &line);

		if (type == 'd') {
			int sub = openat(dirfd(d), name,
					O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0)
				warn_path((unsigned char *)path->p, path->len, "open directory", errno);
			else
				walk(sub, path);
		}
	}
	for (i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	closedir(d);
	path->len = base;
	if (path->p)
		path->p[base] = 0;
}

static int cmp_line(const void *a, const void *b)
{
	const struct line *x = a, *y = b;
	size_t n = x->pathlen < y->pathlen ? x->pathlen : y->pathlen;
	int c = memcmp(x->path, y->path, n);
	if (c)
		return c;
	return (x->pathlen > y->pathlen) - (x->pathlen < y->pathlen);
}

int main(int argc, char **argv)
{
	struct buf path = {0};
	static char outbuf[1 << 16];
	size_t i;
	int fd;

	if (argc != 2) {
		fputs("usage: manifest DIR\n", stderr);
		return 2;
	}
	fd = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "manifest: %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	walk(fd, &path);
	qsort(lines, nlines, sizeof *lines, cmp_line);

	/* On a serial port: no newline translation, no echo. */
	if (isatty(1)) {
		struct termios t;
		if (tcgetattr(1, &t) == 0) {
			cfmakeraw(&t);
			tcsetattr(1, TCSANOW, &t);
		}
	}
	setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
	for (i = 0; i < nlines; i++)
		fwrite(lines[i].text, 1, lines[i].textlen, stdout);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "manifest: write error: %s\n", strerror(errno));
		return 2;
	}
	if (isatty(1))
		tcdrain(1);
	return failed ? 1 : 0;
}
