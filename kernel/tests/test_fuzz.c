// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzzing both devices and the netlink unit from a fixed seed: random
 * ioctl numbers, sizes, pointers and field values, mmap with random
 * lengths, offsets and protections, and random netlink messages,
 * interleaved with real claims and releases, once as root and once as
 * uid 65534 (whose every state-changing call must fail with EPERM).
 * Afterwards the table must be consistent, a normal cycle must work, the
 * modules must unload, and the kernel log must hold no warning.
 *
 * KTEST_FUZZ_SEED and KTEST_FUZZ_COUNT (environment; in the guest, put
 * them on the kernel command line) reproduce or lengthen a run.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <linux/netlink.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ktest.h"

#ifndef MAP_32BIT
/* only x86-64 has a 32-bit entry to fuzz; elsewhere any address will do */
#define MAP_32BIT 0
#endif

#define FUZZ_SEED_DEFAULT	0x5eedf00dULL
#define FUZZ_COUNT_DEFAULT	20000
#define FUZZ_GROUPS		4
/* no single call may take longer (a claim waits for the kernel's answers) */
#define FUZZ_CALL_MS		3000
#define FUZZ_CLAIM_MS		12000

static uint64_t rng;

static uint64_t rnd(void)
{
	/* xorshift64*: same sequence on every machine for one seed */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545F4914F6CDD1DULL;
}

static unsigned int rnd_below(unsigned int n)
{
	return (unsigned int)(rnd() % n);
}

#define PICK(a) ((a)[rnd_below(sizeof(a) / sizeof((a)[0]))])

static const unsigned int known_cmds[] = {
	RTMON_IOC_ADD_PGID, RTMON_IOC_REMOVE_PGID, RTMON_IOC_SET_THRESHOLD,
	RTMON_IOC_SET_DATA_LOADER_PID, RTMON_IOC_REQUEST_PROFILE,
	IPCMON_IOC_RESET, IPCMON_IOC_GET_INFO, IPCMON_IOC_GET_CPU_INFO,
	/* the original SMTcheck's */
	RTMON_ORIG_IOC_ADD_PGID, RTMON_ORIG_IOC_REMOVE_PGID,
	RTMON_ORIG_IOC_SET_THRESHOLD, RTMON_ORIG_IOC_SET_DATA_LOADER_PID,
	RTMON_ORIG_IOC_REQUEST_PROFILE, IPCMON_ORIG_IOC_RESET_COUNTERS,
};

struct fuzz {
	bool root;
	int ipc, rt;
	int nl[2];		/* [0]: the data loader's socket (root) */
	const struct ipc_shared *t;
	long page;
	unsigned char *buf;	/* one page, followed by a PROT_NONE page */
	unsigned char *ro;	/* a read-only page of random bytes */
	unsigned char *low;	/* below 4 GiB for 32-bit calls, or NULL */
	pid_t groups[FUZZ_GROUPS];
	pid_t dead, self_pgid;
	unsigned long count, calls, claims, eperm, mapped;
};

static bool is_known(unsigned int cmd)
{
	for (size_t i = 0; i < sizeof(known_cmds) / sizeof(known_cmds[0]); i++)
		if (known_cmds[i] == cmd)
			return true;
	return false;
}

static bool on_device(int fd, const struct fuzz *f, unsigned int cmd)
{
	bool ipc_cmd = cmd == IPCMON_ORIG_IOC_RESET_COUNTERS ||
		       (_IOC_TYPE(cmd) == SMTCHECK_IOC_MAGIC && _IOC_NR(cmd) >= 0x20);

	return (fd == f->ipc) == ipc_cmd && is_known(cmd);
}

static bool changes_state(unsigned int cmd)
{
	return cmd != IPCMON_IOC_GET_INFO && cmd != IPCMON_IOC_GET_CPU_INFO;
}

static int32_t rnd_value(const struct fuzz *f)
{
	switch (rnd_below(16)) {
	case 0: return 0;
	case 1: return -1;
	case 2: return INT_MIN;
	case 3: return INT_MAX;
	case 4: return 1;			/* init */
	case 5: return 2;			/* kthreadd, a kernel thread */
	case 6: return f->dead;
	case 7: return getpid();
	case 8: return f->self_pgid;
	case 9: return 4194304;			/* past pid_max */
	case 10: return IPCMON_MAX_SLOTS - 1 + (int)rnd_below(3);
	case 11: return RTMON_THRESHOLD_MAX + (int)rnd_below(3) - 1;
	case 12: return (int32_t)rnd();
	default: {
		pid_t g = f->groups[rnd_below(FUZZ_GROUPS)];

		return g ? g : (int32_t)rnd_below(64);
	}
	}
}

static unsigned int rnd_cmd(void)
{
	unsigned int cmd = PICK(known_cmds);

	switch (rnd_below(6)) {
	case 0: case 1: case 2:
		return cmd;
	case 3:	/* a known command with another size or direction */
		return _IOC(rnd_below(4), _IOC_TYPE(cmd), _IOC_NR(cmd),
			    rnd_below(_IOC_SIZEMASK + 1));
	case 4:	/* its magic, any number */
		return _IOC(rnd_below(4), _IOC_TYPE(cmd), rnd_below(256),
			    rnd_below(4) ? rnd_below(64) :
			    rnd_below(_IOC_SIZEMASK + 1));
	default:
		return (unsigned int)rnd();
	}
}

/* Fills the argument; returns the pointer and whether it is all readable. */
static void *rnd_arg(struct fuzz *f, unsigned int cmd, int *kind)
{
	size_t size = _IOC_SIZE(cmd) ? _IOC_SIZE(cmd) : 8;
	unsigned char *end = f->buf + f->page, *p;
	int32_t *w;

	if (size > (size_t)f->page)
		size = f->page;
	*kind = rnd_below(10);
	switch (*kind) {
	case 0: return NULL;
	case 1: return (void *)16;			/* unmapped */
	case 2: return (void *)0xffff888000000000UL;	/* the kernel's */
	case 3: return end + rnd_below(64);		/* PROT_NONE */
	case 4:	/* straddles the end of the page */
		return end - size + 1 + rnd_below(size > 1 ? size - 1 : 1);
	case 5: return f->ro + (rnd_below(f->page / 8 - 8) * 8);
	default:
		/* ends exactly at the page boundary */
		p = end - ((size + 7) & ~7UL);
		for (w = (int32_t *)p; (unsigned char *)w < end; w++)
			*w = rnd_below(3) ? rnd_value(f) : 0;
		return p;
	}
}

static bool fault_ptr(int kind)
{
	return kind <= 4;
}

#ifdef __x86_64__
/* ioctl through the 32-bit entry (int 0x80): the compat_ioctl path. */
static long compat_ioctl(int fd, unsigned int cmd, uint32_t arg)
{
	long ret = 54;	/* __NR_ioctl on i386 */

	__asm__ volatile("int $0x80"
			 : "+a"(ret)
			 : "b"(fd), "c"(cmd), "d"(arg)
			 : "memory", "cc", "r8", "r9", "r10", "r11", "r12",
			   "r13", "r14", "r15");
	return ret;
}
#endif

static void fuzz_ioctl(struct fuzz *f)
{
	int fd = rnd_below(2) ? f->ipc : f->rt, kind, e;
	unsigned int cmd = rnd_cmd();
	void *arg = rnd_arg(f, cmd, &kind);
	bool compat = false;
	long r;

#ifdef __x86_64__
	if (f->low && rnd_below(8) == 0 && !fault_ptr(kind) && kind != 5) {
		size_t size = _IOC_SIZE(cmd) ? _IOC_SIZE(cmd) : 8;
		unsigned char *p = f->low + f->page - ((size + 7) & ~7UL);

		if (size <= (size_t)f->page) {
			memcpy(p, f->buf + f->page - ((size + 7) & ~7UL),
			       (size + 7) & ~7UL);
			compat = true;
			r = compat_ioctl(fd, cmd, (uint32_t)(uintptr_t)p);
			e = r < 0 ? (int)-r : 0;
		}
	}
#endif
	if (!compat) {
		errno = 0;
		r = ioctl(fd, cmd, arg);
		e = r < 0 ? errno : 0;
	}
	f->calls++;

	if (!on_device(fd, f, cmd)) {
		CHECK(e == ENOTTY, "ioctl %#x on %s: %s, want ENOTTY", cmd,
		      fd == f->ipc ? "IPC_monitor" : "runtime_monitor",
		      strerror(e));
		return;
	}
	if (!f->root && changes_state(cmd)) {
		CHECK(e == EPERM, "ioctl %#x as uid %d: %s, want EPERM", cmd,
		      getuid(), strerror(e));
		f->eperm++;
		return;
	}
	/* the original's reset takes no argument */
	if (fault_ptr(kind) && !compat && _IOC_SIZE(cmd)) {
		CHECK(e == EFAULT, "ioctl %#x arg %p: %s, want EFAULT", cmd,
		      arg, strerror(e));
		return;
	}
	if (kind == 5 && (_IOC_DIR(cmd) & _IOC_READ)) {
		CHECK(e == EFAULT || e == EINVAL,
		      "ioctl %#x on a read-only page: %s", cmd, strerror(e));
		return;
	}
	CHECK(e == 0 || e == EINVAL || e == ESRCH || e == EEXIST ||
	      e == ENOSPC || e == ENOTCONN ||
	      (_IOC_TYPE(cmd) == RTMON_ORIG_IOC_MAGIC &&
	       (e == ENOENT || e == EOPNOTSUPP)),
	      "ioctl %#x%s: %s", cmd, compat ? " (32-bit)" : "", strerror(e));
}

static void fuzz_mmap(struct fuzz *f)
{
	static const int prots[] = {
		PROT_READ, PROT_READ, PROT_NONE, PROT_WRITE, PROT_EXEC,
		PROT_READ | PROT_WRITE, PROT_READ | PROT_EXEC,
	};
	size_t lens[] = { 0, 1, f->page, MAP_LEN - f->page, MAP_LEN,
			  MAP_LEN + 1, MAP_LEN + f->page, rnd_below(2 * MAP_LEN),
			  (size_t)rnd() };
	off_t offs[] = { 0, 0, f->page, 1, MAP_LEN, (off_t)rnd_below(64) * f->page,
			 (off_t)(rnd() & ~(f->page - 1)) & LONG_MAX };
	size_t len = PICK(lens);
	off_t off = PICK(offs);
	int prot = PICK(prots);
	int flags = rnd_below(2) ? MAP_SHARED : MAP_PRIVATE;
	unsigned char *p;
	volatile unsigned char x;

	p = mmap(NULL, len, prot, flags, f->ipc, off);
	f->calls++;
	if (p == MAP_FAILED) {
		CHECK(!(len > 0 && len <= MAP_LEN && off == 0 &&
			(prot == PROT_READ || prot == PROT_NONE)),
		      "mmap len %zu prot %d flags %d refused: %s", len, prot,
		      flags, strerror(errno));
		return;
	}
	f->mapped++;
	CHECK(off == 0 && len <= MAP_LEN && !(prot & (PROT_WRITE | PROT_EXEC)),
	      "mmap len %zu off %lld prot %d flags %d accepted", len,
	      (long long)off, prot, flags);
	if (prot == PROT_READ)
		for (size_t i = 0; i < len; i += f->page)
			x = p[i];
	(void)x;
	CHECK_ERRNO(mprotect(p, f->page, PROT_READ | PROT_WRITE), EACCES);
	CHECK_ERRNO(mprotect(p, f->page, PROT_READ | PROT_EXEC), EACCES);
	/* the table cannot grow under a mapping */
	CHECK(mremap(p, len, len + f->page, 0) == MAP_FAILED,
	      "mremap grew the mapping");
	munmap(p, len);
}

static void fuzz_netlink(struct fuzz *f)
{
	static const uint16_t types[] = {
		RTMON_NL_REGISTER, RTMON_NL_REGISTER, RTMON_NL_ACK, RTMON_NL_ACK,
		RTMON_NL_ACK, RTMON_NL_LONG_RUNNING, RTMON_NL_REGISTERED,
		RTMON_NL_RELEASED, NLMSG_NOOP, NLMSG_ERROR, NLMSG_DONE, 0xffff,
	};
	static const uint16_t flag_set[] = {
		0, NLM_F_REQUEST, NLM_F_REQUEST | NLM_F_ACK, NLM_F_ACK, 0xffff,
	};
	unsigned char msg[192] __attribute__((aligned(8)));
	struct sockaddr_nl to = { .nl_family = AF_NETLINK };
	size_t sent = 0, n = 1 + (rnd_below(4) == 0), i;
	int fd = f->nl[rnd_below(2)];

	memset(msg, 0, sizeof(msg));
	for (i = 0; i < n && sent + NLMSG_HDRLEN + 16 <= sizeof(msg); i++) {
		struct nlmsghdr *h = (struct nlmsghdr *)(msg + sent);
		size_t payload;
		int32_t *w;

		h->nlmsg_type = rnd_below(4) ? PICK(types) : (uint16_t)rnd();
		payload = h->nlmsg_type == RTMON_NL_ACK ? 8 :
			  h->nlmsg_type == RTMON_NL_REGISTER ? 8 : 16;
		switch (rnd_below(6)) {
		case 0: payload = rnd_below(17); break;
		case 1: payload = 0; break;
		default: break;
		}
		h->nlmsg_len = NLMSG_LENGTH(payload);
		if (rnd_below(6) == 0)
			h->nlmsg_len = rnd_below(5) ? rnd_below(64) : (uint32_t)rnd();
		h->nlmsg_flags = rnd_below(4) ? PICK(flag_set) : (uint16_t)rnd();
		h->nlmsg_seq = (uint32_t)rnd();
		h->nlmsg_pid = rnd_below(4) ? 0 : (uint32_t)rnd();
		for (w = NLMSG_DATA(h); (unsigned char *)w <
		     (unsigned char *)NLMSG_DATA(h) + 16; w++)
			*w = rnd_below(3) ? rnd_value(f) : 0;
		/* a REGISTER with flags 0 registers (root), mostly */
		if (h->nlmsg_type == RTMON_NL_REGISTER && rnd_below(2))
			memset(NLMSG_DATA(h), 0, 8);
		sent += NLMSG_ALIGN(NLMSG_LENGTH(payload));
	}
	/* truncated datagrams, headers included */
	if (rnd_below(5) == 0)
		sent = rnd_below(sent + 1);
	f->calls++;
	/* errors are fine; returning is what counts */
	sendto(fd, msg, sent, MSG_DONTWAIT, (struct sockaddr *)&to, sizeof(to));
}

/* What the kernel sent us: well formed, and nothing to uid 65534 but refusals. */
static void drain(struct fuzz *f)
{
	struct kt_nlmsg m;
	int i, r;

	for (i = 0; i < 2; i++) {
		while ((r = kt_nl_recv(f->nl[i], 0, &m)) > 0) {
			if (f->root)
				continue;
			CHECK(m.type == NLMSG_ERROR && m.len >= sizeof(m.u.err) &&
			      m.u.err.error == -EPERM,
			      "uid 65534 got message type %u (error %d)",
			      m.type, m.u.err.error);
		}
		CHECK(r == 0, "netlink recv: %s", strerror(-r));
	}
}

/* A real group, registered, claimed, then removed or ended. */
static void valid_op(struct fuzz *f)
{
	int i = rnd_below(FUZZ_GROUPS), r, s;
	pid_t g = f->groups[i];
	uint64_t t0 = kt_now_ms();

	if (!g) {
		f->groups[i] = g = kt_spawn_group(KT_IDLE);
		r = kt_add(f->rt, g, i, 1 + i);
		CHECK(f->root ? r == 0 : r == -EPERM, "add %d: %s", g,
		      strerror(-r));
		return;
	}
	switch (rnd_below(3)) {
	case 0:
		if (!f->root) {
			CHECK(kt_request(f->rt, g) == -EPERM);
			break;
		}
		/* the fuzzing may have named another loader or stolen it */
		CHECK_OK(kt_set_loader(f->rt, 0));
		r = kt_nl_register(f->nl[0]);
		CHECK(r == 0, "register: %s", strerror(-r));
		s = kt_claim(f->rt, f->nl[0], g, i);
		/* a random REMOVE may have taken the group away */
		CHECK(s >= 0 || s == -ESRCH || s == -EINVAL,
		      "claim %d: %d", g, s);
		if (s >= 0)
			f->claims++;
		break;
	case 1:
		r = kt_remove(f->rt, g);
		CHECK(f->root ? (r == 0 || r == -ESRCH) : r == -EPERM,
		      "remove %d: %s", g, strerror(-r));
		break;
	default:
		kt_kill_group(g);
		f->groups[i] = 0;
		break;
	}
	CHECK(kt_now_ms() - t0 < FUZZ_CLAIM_MS, "valid operation took %llu ms",
	      (unsigned long long)(kt_now_ms() - t0));
}

static void fuzz_run(struct fuzz *f, unsigned long count)
{
	for (unsigned long i = 0; i < count && kt_failures < 20; i++) {
		uint64_t t0 = kt_now_ms();
		unsigned int what = rnd_below(100);

		if (what < 45)
			fuzz_ioctl(f);
		else if (what < 60)
			fuzz_mmap(f);
		else if (what < 97)
			fuzz_netlink(f);
		else
			valid_op(f);
		if (what < 97)
			CHECK(kt_now_ms() - t0 < FUZZ_CALL_MS,
			      "call %lu took %llu ms", i,
			      (unsigned long long)(kt_now_ms() - t0));
		drain(f);
	}
}

static void fuzz_setup(struct fuzz *f)
{
	pid_t p;

	f->page = sysconf(_SC_PAGESIZE);
	f->buf = mmap(NULL, 2 * f->page, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	REQUIRE(f->buf != MAP_FAILED, "mmap: %s", strerror(errno));
	REQUIRE(mprotect(f->buf + f->page, f->page, PROT_NONE) == 0, "mprotect");
	f->ro = mmap(NULL, f->page, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	REQUIRE(f->ro != MAP_FAILED, "mmap: %s", strerror(errno));
	for (long i = 0; i < f->page / 4; i++)
		((int32_t *)f->ro)[i] = rnd_below(2) ? rnd_value(f) : 0;
	REQUIRE(mprotect(f->ro, f->page, PROT_READ) == 0, "mprotect");
	f->low = mmap(NULL, f->page, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	if (f->low == MAP_FAILED)
		f->low = NULL;
#ifdef __x86_64__
	/* a kernel without 32-bit emulation has no compat path to fuzz */
	if (f->low && compat_ioctl(f->ipc, _IO(SMTCHECK_IOC_MAGIC, 0x7f),
				   0) != -ENOTTY) {
		kt_log("no 32-bit system calls: compat ioctls not fuzzed");
		munmap(f->low, f->page);
		f->low = NULL;
	}
#endif
	p = fork();
	REQUIRE(p >= 0, "fork");
	if (p == 0)
		_exit(0);
	waitpid(p, NULL, 0);
	f->dead = p;
	f->self_pgid = getpgid(0);
}

/* The table agrees with itself: count, mask and slot contents. */
static void check_table(const struct ipc_shared *t)
{
	struct pgid_slot_user u;
	int i, active = 0;

	CHECK(kt_count(t) == kt_mask_popcount(t), "count %d, %d bits set",
	      kt_count(t), kt_mask_popcount(t));
	for (i = 0; i < IPCMON_MAX_SLOTS; i++) {
		kt_read_slot(t, i, &u);
		if (kt_mask_test(t, i)) {
			active++;
			CHECK(u.pgid > 0 && u.worker_num > 0,
			      "active slot %d: pgid %d workers %d", i, u.pgid,
			      u.worker_num);
		} else {
			CHECK(u.pgid == 0 && u.cycles == 0,
			      "free slot %d: pgid %d", i, u.pgid);
		}
	}
	CHECK(active == kt_count(t), "%d active, count %d", active, kt_count(t));
}

struct settings {
	char threshold[32], loader[32], registered[32];
	int count;
	struct pgid_slot_user slots[8];
};

static void read_settings(const struct ipc_shared *t, struct settings *s)
{
	memset(s, 0, sizeof(*s));
	CHECK_OK(kt_read_param("runtime_monitor", "threshold", s->threshold,
			       sizeof(s->threshold)));
	CHECK_OK(kt_read_param("runtime_monitor", "data_loader_pid", s->loader,
			       sizeof(s->loader)));
	CHECK_OK(kt_read_param("runtime_monitor", "registered_pid",
			       s->registered, sizeof(s->registered)));
	s->count = kt_count(t);
	for (int i = 0; i < 8; i++) {
		kt_read_slot(t, i, &s->slots[i]);
		s->slots[i].seq = 0;
		s->slots[i].cycles = s->slots[i].instructions = 0;
	}
}

static int fuzz_unprivileged(void *arg)
{
	struct fuzz *f = arg;
	int i;

	/* one socket opened as root, one as uid 65534 */
	f->nl[0] = kt_nl_open(0, 0);
	REQUIRE(f->nl[0] >= 0, "netlink: %s", strerror(-f->nl[0]));
	kt_become_nobody();
	f->nl[1] = kt_nl_open(0, 0);
	REQUIRE(f->nl[1] >= 0, "netlink: %s", strerror(-f->nl[1]));
	f->root = false;
	f->calls = f->eperm = f->mapped = 0;
	for (i = 0; i < FUZZ_GROUPS; i++)
		f->groups[i] = 0;
	fuzz_run(f, f->count);
	kt_log("uid %d: %lu calls, %lu refused with EPERM, %lu mappings",
	       getuid(), f->calls, f->eperm, f->mapped);
	for (i = 0; i < FUZZ_GROUPS; i++)
		if (f->groups[i])
			kt_kill_group(f->groups[i]);
	close(f->nl[0]);
	close(f->nl[1]);
	return 0;
}

static const char *const bad_log[] = {
	"BUG", "WARNING", "Oops", "general protection", "KASAN", "UBSAN",
	"lockdep", "circular locking", "inconsistent lock state",
	"sleeping function", "suspicious RCU", "soft lockup",
	"blocked for more than", "stall",
};

/* Kernel log lines since fd was opened (positioned at the end). */
static void check_kmsg(int fd)
{
	char rec[2048];
	ssize_t n;

	while ((n = read(fd, rec, sizeof(rec) - 1)) > 0 ||
	       (n < 0 && errno == EPIPE)) {
		if (n <= 0)
			continue;
		rec[n] = 0;
		for (size_t i = 0; i < sizeof(bad_log) / sizeof(bad_log[0]); i++)
			CHECK(!strstr(rec, bad_log[i]), "kernel log: %s", rec);
	}
}

void test_fuzz(void)
{
	const char *seed_env = getenv("KTEST_FUZZ_SEED");
	const char *count_env = getenv("KTEST_FUZZ_COUNT");
	unsigned long count = count_env ? strtoul(count_env, NULL, 0) :
				FUZZ_COUNT_DEFAULT;
	uint64_t seed = seed_env ? strtoull(seed_env, NULL, 0) :
			FUZZ_SEED_DEFAULT;
	struct settings before, after;
	static struct fuzz f;
	struct kt_nlmsg m;
	int kmsg, i, s, r;
	pid_t g;

	kt_log("seed %#llx, %lu operations (KTEST_FUZZ_SEED, KTEST_FUZZ_COUNT)",
	       (unsigned long long)seed, count);
	rng = seed ? seed : 1;
	kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	REQUIRE(kmsg >= 0, "/dev/kmsg: %s", strerror(errno));
	lseek(kmsg, 0, SEEK_END);

	/* a fast scan retires and reports groups while the calls go on */
	kt_reload(NULL, "scan_interval_ms=10");
	f.ipc = kt_open_ipc();
	f.rt = kt_open_rt();
	f.t = kt_map(f.ipc);
	f.nl[0] = kt_nl_loader();
	f.nl[1] = kt_nl_open(0, 0);
	REQUIRE(f.nl[1] >= 0, "netlink: %s", strerror(-f.nl[1]));
	f.root = true;
	fuzz_setup(&f);

	/* as root */
	fuzz_run(&f, count);
	kt_log("root: %lu calls, %lu claims, %lu mappings, %d slots in use",
	       f.calls, f.claims, f.mapped, kt_count(f.t));
	for (i = 0; i < FUZZ_GROUPS; i++)
		if (f.groups[i]) {
			kt_kill_group(f.groups[i]);
			f.groups[i] = 0;
		}
	close(f.nl[1]);

	/* as uid 65534, with files opened by root: nothing may change */
	CHECK_OK(kt_set_threshold(f.rt, RTMON_THRESHOLD_DEFAULT));
	CHECK_OK(kt_set_loader(f.rt, 0));
	CHECK_OK(kt_nl_register(f.nl[0]));
	g = kt_spawn_group(KT_IDLE);
	CHECK_OK(kt_add(f.rt, g, 7, 1));
	s = kt_claim(f.rt, f.nl[0], g, 7);
	CHECK(s >= 0, "claim before uid 65534: %d", s);
	/* the scan retires the groups that exited: let it */
	kt_sleep_ms(500);
	kt_nl_drain(f.nl[0]);
	read_settings(f.t, &before);
	f.count = count;
	CHECK(kt_in_child(fuzz_unprivileged, &f) == 0);
	read_settings(f.t, &after);
	CHECK(!memcmp(&before, &after, sizeof(before)),
	      "uid 65534 changed something: threshold %s/%s, loader %s/%s, registered %s/%s, count %d/%d",
	      before.threshold, after.threshold, before.loader, after.loader,
	      before.registered, after.registered, before.count, after.count);
	CHECK_ERRNO(kt_add(f.rt, g, 7, 1), EEXIST);
	CHECK(kt_find_slot(f.t, g) == s, "slot of %d moved", g);
	while (kt_nl_recv(f.nl[0], 0, &m) > 0)
		CHECK(m.type != RTMON_NL_REGISTERED, "a slot was claimed for %d",
		      m.u.reg.pgid);

	/* quiescent: the table agrees with itself */
	kt_kill_group(g);
	CHECK(kt_nl_wait(f.nl[0], RTMON_NL_RELEASED, g, 5000, &m) == 1,
	      "no release");
	check_table(f.t);

	/* a normal cycle still works */
	CHECK_OK(kt_set_threshold(f.rt, RTMON_THRESHOLD_DEFAULT));
	g = kt_spawn_group(KT_IDLE);
	CHECK_OK(kt_add(f.rt, g, 99, 2));
	r = kt_count(f.t);
	s = kt_claim(f.rt, f.nl[0], g, 99);
	CHECK(s >= 0, "claim after fuzzing: %d", s);
	CHECK(kt_count(f.t) == r + 1, "count %d, was %d", kt_count(f.t), r);
	if (s >= 0) {
		CHECK(kt_find_slot(f.t, g) == s);
		CHECK_OK(kt_reset(f.ipc, s));
	}
	CHECK_OK(kt_remove(f.rt, g));
	CHECK(kt_nl_wait(f.nl[0], RTMON_NL_RELEASED, g, 5000, &m) == 1 &&
	      m.u.rel.reason == RTMON_RELEASE_REMOVED, "no release");
	CHECK(kt_count(f.t) == r, "count %d, want %d", kt_count(f.t), r);
	check_table(f.t);
	kt_kill_group(g);

	/* and the modules unload */
	close(f.nl[0]);
	close(f.rt);
	close(f.ipc);
	kt_unmap(f.t);
	CHECK_OK(kt_unload("runtime_monitor"));
	CHECK_OK(kt_unload("IPC_monitor"));
	CHECK(!kt_loaded("IPC_monitor") && !kt_loaded("runtime_monitor"));
	check_kmsg(kmsg);
	close(kmsg);
	kt_reload(NULL, NULL);
}
