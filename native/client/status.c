// SPDX-License-Identifier: GPL-2.0-only
/*
 * smtcheck-status: `smtcheck status` without a JVM. A JVM costs about a second of CPU per call,
 * too much for a status that monitoring asks every few seconds; this asks the daemon to render
 * its status (text, or JSON as `--json` prints it) and copies that to standard output, so its
 * output is the Java command's, byte for byte. It takes the options of `smtcheck status`
 * (--socket, --json, --watch) and hands any other command line to the Java command, named by
 * $SMTCHECK_JAR, as it does an answer it cannot read (a daemon too old to render).
 *
 *   smtcheck-status [status] [--socket=PATH] [--json] [--watch[=SECONDS]]
 *
 * Exit codes and messages are the Java command's: 0 done, 2 usage, 3 failure, 4 the daemon is
 * not running, 5 refused (permission denied, or the daemon's error).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_SOCKET "/run/smtcheck/control.sock"
#define TIMEOUT_SECONDS 10
#define MAX_WATCH_SECONDS 3600.0

enum exit_code { OK = 0, USAGE = 2, FAILURE = 3, NOT_RUNNING = 4, REFUSED = 5, FALL_BACK = -1 };

struct options {
	const char *socket;
	bool json;
	bool watching;
	double watch; /* seconds between two, when watching */
};

static char **saved_argv;

/*
 * Hands the whole command line to the Java command; returns only when that cannot be done, with
 * exit_code when there is no jar to hand it to.
 */
static int fall_back(const char *why, int exit_code)
{
	const char *jar = getenv("SMTCHECK_JAR");
	int argc = 0;

	if (!jar || !*jar) {
		fprintf(stderr, "status: %s\n", why);
		return exit_code;
	}
	while (saved_argv[argc])
		argc++;
	char **args = calloc(argc + 4, sizeof(*args));
	if (!args) {
		fprintf(stderr, "status: out of memory\n");
		return FAILURE;
	}
	int n = 0;
	args[n++] = "java";
	args[n++] = "-jar";
	args[n++] = (char *)jar;
	if (argc < 2 || strcmp(saved_argv[1], "status") != 0)
		args[n++] = "status";
	for (int i = 1; i < argc; i++)
		args[n++] = saved_argv[i];
	args[n] = NULL;
	execvp("java", args);
	fprintf(stderr, "status: cannot run java for '%s': %s\n", why, strerror(errno));
	return FAILURE;
}

static bool parse_seconds(const char *text, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(text, &end);
	return errno == 0 && end != text && *end == '\0';
}

/* FALL_BACK for what only the Java command knows (help, unknown options), else OK or USAGE. */
static int parse(int argc, char **argv, struct options *o)
{
	int i = 1;

	if (i < argc && strcmp(argv[i], "status") == 0)
		i++;
	for (; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--json") == 0) {
			o->json = true;
		} else if (strncmp(a, "--socket=", 9) == 0) {
			o->socket = a + 9;
		} else if (strcmp(a, "--socket") == 0 && i + 1 < argc) {
			o->socket = argv[++i];
		} else if (strncmp(a, "--watch=", 8) == 0) {
			o->watching = true;
			if (!parse_seconds(a + 8, &o->watch))
				return FALL_BACK; /* the Java command words a malformed value */
		} else if (strcmp(a, "--watch") == 0) {
			o->watching = true;
			o->watch = 2;
			if (i + 1 < argc && parse_seconds(argv[i + 1], &o->watch))
				i++;
		} else {
			return FALL_BACK;
		}
	}
	if (o->watching && !(o->watch > 0 && o->watch <= MAX_WATCH_SECONDS))
		return FALL_BACK; /* out of range: the Java command says so */
	return OK;
}

/* Connects to the control socket; a negative exit code's negation on failure, after saying why. */
static int connect_to(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct timeval timeout = { .tv_sec = TIMEOUT_SECONDS };
	struct stat st;
	int fd;

	if (strlen(path) >= sizeof(addr.sun_path)) {
		fprintf(stderr, "status: cannot connect to %s: the path is too long for a unix socket\n", path);
		return -FAILURE;
	}
	if (stat(path, &st) != 0 && errno == ENOENT) {
		fprintf(stderr, "status: daemon is not running (no socket at %s)\n", path);
		return -NOT_RUNNING;
	}
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fprintf(stderr, "status: cannot connect to %s: %s\n", path, strerror(errno));
		return -FAILURE;
	}
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
		int e = errno;

		close(fd);
		if (e == ECONNREFUSED || e == ENOENT) {
			fprintf(stderr, "status: daemon is not running (nothing listens on %s)\n", path);
			return -NOT_RUNNING;
		}
		if (e == EACCES || e == EPERM) {
			fprintf(stderr, "status: permission denied on %s: run as root or as a member of the socket's group\n",
				path);
			return -REFUSED;
		}
		fprintf(stderr, "status: cannot connect to %s: %s\n", path, strerror(e));
		return -FAILURE;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
	return fd;
}

/* Reads one line (without its newline) into a buffer the caller frees; NULL on failure, errno set. */
static char *read_line(int fd)
{
	size_t size = 64 * 1024, len = 0;
	char *buf = malloc(size);

	while (buf) {
		ssize_t n = read(fd, buf + len, size - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = len ? EPROTO : ECONNRESET;
			free(buf);
			return NULL;
		}
		char *nl = memchr(buf + len, '\n', n);
		len += n;
		if (nl) {
			*nl = '\0';
			return buf;
		}
		if (len == size) {
			char *bigger = realloc(buf, size *= 2);

			if (!bigger)
				free(buf);
			buf = bigger;
		}
	}
	errno = ENOMEM;
	return NULL;
}

static const char *skip_space(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	return p;
}

static int hex4(const char *p)
{
	int v = 0;

	for (int i = 0; i < 4; i++) {
		char c = p[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

static char *put_utf8(char *out, uint32_t cp)
{
	if (cp < 0x80) {
		*out++ = cp;
	} else if (cp < 0x800) {
		*out++ = 0xc0 | cp >> 6;
		*out++ = 0x80 | (cp & 0x3f);
	} else if (cp < 0x10000) {
		*out++ = 0xe0 | cp >> 12;
		*out++ = 0x80 | (cp >> 6 & 0x3f);
		*out++ = 0x80 | (cp & 0x3f);
	} else {
		*out++ = 0xf0 | cp >> 18;
		*out++ = 0x80 | (cp >> 12 & 0x3f);
		*out++ = 0x80 | (cp >> 6 & 0x3f);
		*out++ = 0x80 | (cp & 0x3f);
	}
	return out;
}

/*
 * Decodes the JSON string at *p (at its opening quote) in place of itself: escapes never grow,
 * so the text fits where its quoted form was. Returns the decoded text, NUL-terminated, and moves
 * *p past the closing quote; NULL when it is not a well-formed string.
 */
static char *decode_string(char **p)
{
	char *in = *p, *out, *start;

	if (*in != '"')
		return NULL;
	start = out = ++in;
	while (*in != '"') {
		if (*in == '\0' || (unsigned char)*in < 0x20)
			return NULL;
		if (*in != '\\') {
			*out++ = *in++;
			continue;
		}
		in++;
		switch (*in++) {
		case '"': *out++ = '"'; break;
		case '\\': *out++ = '\\'; break;
		case '/': *out++ = '/'; break;
		case 'b': *out++ = '\b'; break;
		case 'f': *out++ = '\f'; break;
		case 'n': *out++ = '\n'; break;
		case 'r': *out++ = '\r'; break;
		case 't': *out++ = '\t'; break;
		case 'u': {
			int hi = hex4(in), lo;
			uint32_t cp;

			if (hi < 0)
				return NULL;
			in += 4;
			cp = hi;
			if (hi >= 0xd800 && hi <= 0xdbff) {
				if (in[0] != '\\' || in[1] != 'u' || (lo = hex4(in + 2)) < 0xdc00 || lo > 0xdfff)
					return NULL;
				in += 6;
				cp = 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
			} else if (hi >= 0xdc00 && hi <= 0xdfff) {
				return NULL;
			}
			out = put_utf8(out, cp);
			break;
		}
		default:
			return NULL;
		}
	}
	*out = '\0';
	*p = in + 1;
	return start;
}

/*
 * Reads the daemon's answer, {"ok":true,"result":"..."} or {"ok":false,"error":"..."}: the
 * members in any order, each value a string or a literal. Returns false when it is not of that
 * shape (a result that is no string comes from a daemon that does not render).
 */
static bool read_answer(char *line, bool *ok, char **text)
{
	char *p = (char *)skip_space(line);
	bool seen_ok = false;

	*text = NULL;
	if (*p++ != '{')
		return false;
	for (;;) {
		char *name, *value = NULL;

		p = (char *)skip_space(p);
		if (!(name = decode_string(&p)))
			return false;
		p = (char *)skip_space(p);
		if (*p++ != ':')
			return false;
		p = (char *)skip_space(p);
		if (*p == '"') {
			if (!(value = decode_string(&p)))
				return false;
		} else if (strncmp(p, "true", 4) == 0 || strncmp(p, "false", 5) == 0) {
			if (strcmp(name, "ok") == 0) {
				*ok = *p == 't';
				seen_ok = true;
			}
			p += *p == 't' ? 4 : 5;
		} else {
			return false;
		}
		if (value && (strcmp(name, "result") == 0 || strcmp(name, "error") == 0))
			*text = value;
		p = (char *)skip_space(p);
		if (*p == '}')
			break;
		if (*p++ != ',')
			return false;
	}
	return seen_ok && *text;
}

static bool write_all(const char *s, size_t len)
{
	while (len > 0) {
		ssize_t n = write(STDOUT_FILENO, s, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		s += n;
		len -= n;
	}
	return true;
}

/* Asks once and prints the answer. */
static int show(const struct options *o, bool clear)
{
	const char *format = !o->json ? "text" : o->watching ? "json-line" : "json";
	char request[64];
	bool ok = false;
	char *line, *text;
	int fd, len;

	fd = connect_to(o->socket);
	if (fd < 0)
		return -fd;
	len = snprintf(request, sizeof(request), "{\"command\":\"status\",\"format\":\"%s\"}\n", format);
	if (write(fd, request, len) != len) {
		fprintf(stderr, "status: lost the connection to the daemon at %s: %s\n", o->socket, strerror(errno));
		close(fd);
		return FAILURE;
	}
	line = read_line(fd);
	close(fd);
	if (!line) {
		if (errno == EPROTO || errno == ECONNRESET)
			fprintf(stderr, "status: lost the connection to the daemon at %s: it closed the connection without"
				" answering\n", o->socket);
		else
			fprintf(stderr, "status: lost the connection to the daemon at %s: %s\n", o->socket,
				strerror(errno));
		return FAILURE;
	}
	if (!read_answer(line, &ok, &text)) {
		free(line);
		return FALL_BACK;
	}
	if (!ok) {
		fprintf(stderr, "status: %s\n", text);
		free(line);
		return REFUSED;
	}
	if ((clear && !write_all("\033[H\033[2J", 7)) || !write_all(text, strlen(text))) {
		free(line);
		return FAILURE;
	}
	free(line);
	return OK;
}

int main(int argc, char **argv)
{
	struct options o = { .socket = DEFAULT_SOCKET };
	int rc;

	saved_argv = argv;
	if (parse(argc, argv, &o) == FALL_BACK)
		return fall_back("usage: smtcheck status [--json] [--socket=PATH] [--watch[=SECONDS]]", USAGE);
	bool clear = o.watching && !o.json && isatty(STDOUT_FILENO);
	for (;;) {
		rc = show(&o, clear);
		if (rc == FALL_BACK)
			return fall_back("the daemon answered in a form this client does not read (an older daemon?)",
					 FAILURE);
		if (rc != OK || !o.watching)
			return rc;
		if (!clear && !o.json && !write_all("\n", 1))
			return FAILURE;
		struct timespec ts = { .tv_sec = (time_t)o.watch,
				       .tv_nsec = (long)((o.watch - (time_t)o.watch) * 1e9) };
		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
	}
}
