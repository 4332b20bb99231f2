/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tiny test harness for the smtcheck kernel modules.  Each test runs in a
 * forked child with a timeout; the runner prints one line per test:
 *   KTEST PASS <name> (<seconds>s)
 *   KTEST FAIL <name> (<reason>)
 *   KTEST SKIP <name> (<reason>)     (what it checks does not exist here)
 * and a summary line "KTEST DONE <passed> passed, <failed> failed, <skipped> skipped".
 */
#ifndef KTEST_H
#define KTEST_H

#include <errno.h>
#include <linux/netlink.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include "smtcheck_uapi.h"

#define MAP_LEN	IPCMON_MAP_SIZE_4K

/* ---- assertions (record, keep going) --------------------------------- */

extern int kt_failures;
void kt_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define CHECK(cond, ...)						\
	do {								\
		if (!(cond))						\
			kt_fail(__FILE__, __LINE__, "CHECK(" #cond ") "	\
				__VA_ARGS__);				\
	} while (0)

/* expr must return -1 with errno == err (or a negative errno == -err) */
#define CHECK_ERRNO(expr, err)						\
	do {								\
		errno = 0;						\
		long _r = (long)(expr);					\
		int _e = _r == -1 ? errno : (_r < 0 ? (int)-_r : 0);	\
		if (_e != (err))					\
			kt_fail(__FILE__, __LINE__,			\
				"%s: want %s, got ret %ld (%s)", #expr,	\
				strerror(err), _r, strerror(_e));	\
	} while (0)

#define CHECK_OK(expr)							\
	do {								\
		errno = 0;						\
		long _r = (long)(expr);					\
		if (_r < 0)						\
			kt_fail(__FILE__, __LINE__, "%s: ret %ld (%s)",	\
				#expr, _r,				\
				strerror(_r == -1 ? errno : (int)-_r));	\
	} while (0)

/* A fatal check: stop this test. */
#define REQUIRE(cond, ...)						\
	do {								\
		if (!(cond)) {						\
			kt_fail(__FILE__, __LINE__, "REQUIRE(" #cond ") " \
				__VA_ARGS__);				\
			kt_abort();					\
		}							\
	} while (0)

void kt_abort(void) __attribute__((noreturn));
/*
 * End this test as skipped: the machine lacks what it checks (say what).
 * A test that already failed a check still fails.
 */
void kt_skip(const char *fmt, ...)
	__attribute__((noreturn, format(printf, 1, 2)));
void kt_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- modules ---------------------------------------------------------- */

extern const char *kt_moddir;
int kt_load(const char *mod, const char *params);	/* 0 or -errno */
int kt_unload(const char *mod);				/* 0 or -errno */
/* Unload both, load both with these parameters (NULL = none). */
void kt_reload(const char *ipc_params, const char *rt_params);
/*
 * Both modules freshly loaded, both devices open, the table mapped, a netlink
 * socket registered as the data loader.
 */
void kt_setup_loader(int *ipc, int *rt, const struct ipc_shared **t, int *nl);
bool kt_loaded(const char *mod);
int kt_read_param(const char *mod, const char *param, char *buf, size_t len);

/* ---- devices ---------------------------------------------------------- */

int kt_open_ipc(void);
int kt_open_rt(void);
const struct ipc_shared *kt_map(int ipcfd);
void kt_unmap(const struct ipc_shared *t);
/* Consistent copy of slot i; returns the number of retries needed. */
unsigned int kt_read_slot(const struct ipc_shared *t, int i,
			  struct pgid_slot_user *out);
int kt_find_slot(const struct ipc_shared *t, pid_t pgid);
int kt_mask_popcount(const struct ipc_shared *t);
bool kt_mask_test(const struct ipc_shared *t, int slot);
int kt_count(const struct ipc_shared *t);
/* Wait until t->count == want, up to ms; returns true on success. */
bool kt_wait_count(const struct ipc_shared *t, int want, int ms);

int kt_add(int rtfd, pid_t pgid, int jobid, int workers);	/* -errno */
int kt_remove(int rtfd, pid_t pgid);
int kt_request(int rtfd, pid_t pgid);
int kt_set_threshold(int rtfd, unsigned int secs);
int kt_set_loader(int rtfd, pid_t pid);
int kt_reset(int ipcfd, int slot);
int kt_cpu_online(int cpu, int on);

/* ---- processes -------------------------------------------------------- */

enum { KT_IDLE = 0, KT_BUSY = 1 };
/* New process group led by a child that sleeps or spins; returns pgid. */
pid_t kt_spawn_group(int busy);
/*
 * In a new child: dies with the test, and keeps only stdio and fd @keep of
 * the test's files (devices and sockets held by children pin the modules).
 */
void kt_child_detach(int keep);
void kt_kill_group(pid_t pgid);
/* Run fn in a child; returns its exit status (0..255) or -1. */
int kt_in_child(int (*fn)(void *), void *arg);
/* Drop to uid/gid 65534 (nobody); all capabilities are lost. */
void kt_become_nobody(void);
/* Stay root but drop this capability from every set. */
void kt_drop_cap(int cap);
/* Become uid/gid 65534 holding only this capability (effective, permitted). */
void kt_nobody_with_cap(int cap);
/* unshare(CLONE_NEWPID), then run fn in the new namespace's first process. */
int kt_in_new_pid_ns(int (*fn)(void *), void *arg);
uint64_t kt_now_ms(void);
void kt_sleep_ms(unsigned int ms);

/* ---- netlink ---------------------------------------------------------- */

struct kt_nlmsg {
	uint16_t type;
	uint32_t seq;
	uint32_t len;		/* payload bytes */
	union {
		struct rtmon_nl_long_running lr;
		struct rtmon_nl_registered reg;
		struct rtmon_nl_released rel;
		struct nlmsgerr err;	/* NLMSG_ERROR */
		unsigned char raw[256];
	} u;
};

int kt_nl_open(uint32_t portid, uint32_t groups);	/* fd or -errno */
/* 1 = got a message, 0 = timeout, -errno on error */
int kt_nl_recv(int fd, int timeout_ms, struct kt_nlmsg *m);
/* Wait for a message of this type about pgid (others are dropped). */
int kt_nl_wait(int fd, uint16_t type, pid_t pgid, int timeout_ms,
	       struct kt_nlmsg *m);
int kt_nl_send(int fd, uint16_t type, uint32_t seq, const void *p, size_t len);
int kt_nl_send_ack(int fd, pid_t pgid, int jobid, uint32_t seq);
/*
 * Sends RTMON_NL_REGISTER (with NLM_F_ACK) and returns the kernel's answer:
 * 0, a negative errno, or -ETIMEDOUT when none came.
 */
int kt_nl_register(int fd);
/* A socket on a port the kernel chooses, registered as the data loader. */
int kt_nl_loader(void);
/* Drain everything currently queued; returns how many. */
int kt_nl_drain(int fd);
/*
 * REQUEST_PROFILE, read LONG_RUNNING, ACK, read REGISTERED: the slot or a
 * negative errno from the kernel's answer.
 */
int kt_claim(int rtfd, int nlfd, pid_t pgid, int jobid);

/* ---- tests ------------------------------------------------------------ */

struct ktest {
	const char *name;
	void (*fn)(void);
	int timeout_s;
};

#endif /* KTEST_H */
