// SPDX-License-Identifier: GPL-2.0
/* Helpers shared by the kernel module tests. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/netlink.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ktest.h"

int kt_failures;
const char *kt_moddir = "/ktest";

void kt_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	kt_failures++;
	printf("  failed at %s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

void kt_abort(void)
{
	fflush(stdout);
	exit(1);
}

void kt_log(const char *fmt, ...)
{
	va_list ap;

	printf("  ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

uint64_t kt_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void kt_sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* ---- modules ---------------------------------------------------------- */

int kt_load(const char *mod, const char *params)
{
	char path[256];
	int fd, ret;

	snprintf(path, sizeof(path), "%s/%s.ko", kt_moddir, mod);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, params ? params : "", 0);
	ret = ret ? -errno : 0;
	close(fd);
	return ret;
}

int kt_unload(const char *mod)
{
	return syscall(SYS_delete_module, mod, O_NONBLOCK) ? -errno : 0;
}

bool kt_loaded(const char *mod)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/module/%s", mod);
	return access(path, F_OK) == 0;
}

/* Who holds one of our devices open or mapped: why an rmmod said EAGAIN. */
static void log_holders(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	char path[300], link[256], line[512];

	while (d && (e = readdir(d))) {
		int pid = atoi(e->d_name), held = 0;
		DIR *fds;
		struct dirent *f;
		FILE *m;

		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fd", pid);
		fds = opendir(path);
		while (fds && (f = readdir(fds))) {
			ssize_t n;

			snprintf(path, sizeof(path), "/proc/%d/fd/%s", pid, f->d_name);
			n = readlink(path, link, sizeof(link) - 1);
			if (n > 0) {
				link[n] = 0;
				held |= strstr(link, "_monitor") != NULL;
			}
		}
		if (fds)
			closedir(fds);
		snprintf(path, sizeof(path), "/proc/%d/maps", pid);
		m = fopen(path, "r");
		while (m && fgets(line, sizeof(line), m))
			held |= strstr(line, "_monitor") != NULL;
		if (m)
			fclose(m);
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		m = fopen(path, "r");
		if (held && m && fgets(line, sizeof(line), m))
			kt_log("holds a device of ours: %.80s", line);
		if (m)
			fclose(m);
	}
	if (d)
		closedir(d);
}

/*
 * Unloads a module for a reload between tests.  A process of the test
 * before may still be exiting with one of our devices open (slow under an
 * emulated CPU), so a busy module is tried again for a while; a holder that
 * stays is logged and fails the test.
 */
static int unload_for_reload(const char *mod)
{
	int ret, tries;

	for (tries = 0; tries < 50; tries++) {
		ret = kt_unload(mod);
		if (ret != -EAGAIN)
			return ret;
		if (tries == 0)
			log_holders();
		kt_sleep_ms(100);
	}
	log_holders();
	return ret;
}

void kt_reload(const char *ipc_params, const char *rt_params)
{
	int ret;

	if (kt_loaded("runtime_monitor")) {
		ret = unload_for_reload("runtime_monitor");
		REQUIRE(ret == 0, "rmmod runtime_monitor: %s", strerror(-ret));
	}
	if (kt_loaded("IPC_monitor")) {
		ret = unload_for_reload("IPC_monitor");
		REQUIRE(ret == 0, "rmmod IPC_monitor: %s", strerror(-ret));
	}
	ret = kt_load("IPC_monitor", ipc_params);
	REQUIRE(ret == 0, "insmod IPC_monitor: %s", strerror(-ret));
	ret = kt_load("runtime_monitor", rt_params);
	REQUIRE(ret == 0, "insmod runtime_monitor: %s", strerror(-ret));
}

void kt_setup_loader(int *ipc, int *rt, const struct ipc_shared **t, int *nl)
{
	kt_reload(NULL, NULL);
	*ipc = kt_open_ipc();
	*rt = kt_open_rt();
	*t = kt_map(*ipc);
	*nl = kt_nl_loader();
}

int kt_read_param(const char *mod, const char *param, char *buf, size_t len)
{
	char path[256];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/module/%s/parameters/%s", mod, param);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = 0;
	return 0;
}

/* ---- devices ---------------------------------------------------------- */

int kt_open_ipc(void)
{
	int fd = open("/dev/IPC_monitor", O_RDONLY | O_CLOEXEC);

	REQUIRE(fd >= 0, "open /dev/IPC_monitor: %s", strerror(errno));
	return fd;
}

int kt_open_rt(void)
{
	int fd = open("/dev/runtime_monitor", O_RDWR | O_CLOEXEC);

	REQUIRE(fd >= 0, "open /dev/runtime_monitor: %s", strerror(errno));
	return fd;
}

const struct ipc_shared *kt_map(int ipcfd)
{
	void *p = mmap(NULL, MAP_LEN, PROT_READ, MAP_SHARED, ipcfd, 0);

	REQUIRE(p != MAP_FAILED, "mmap: %s", strerror(errno));
	/* spawned groups must not inherit it (a mapping pins the module) */
	REQUIRE(madvise(p, MAP_LEN, MADV_DONTFORK) == 0, "madvise: %s",
		strerror(errno));
	return p;
}

void kt_unmap(const struct ipc_shared *t)
{
	munmap((void *)t, MAP_LEN);
}

unsigned int kt_read_slot(const struct ipc_shared *t, int i,
			  struct pgid_slot_user *out)
{
	const struct pgid_slot_user *s = &t->slots[i];
	unsigned int retries = 0;
	uint32_t s1, s2;

	for (;;) {
		s1 = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE);
		if (!(s1 & 1)) {
			out->pgid = __atomic_load_n(&s->pgid, __ATOMIC_RELAXED);
			out->global_jobid = __atomic_load_n(&s->global_jobid,
							    __ATOMIC_RELAXED);
			out->worker_num = __atomic_load_n(&s->worker_num,
							  __ATOMIC_RELAXED);
			out->cycles = __atomic_load_n(&s->cycles,
						      __ATOMIC_RELAXED);
			out->instructions = __atomic_load_n(&s->instructions,
							    __ATOMIC_RELAXED);
			__atomic_thread_fence(__ATOMIC_ACQUIRE);
			s2 = __atomic_load_n(&s->seq, __ATOMIC_RELAXED);
			if (s1 == s2)
				break;
		}
		retries++;
	}
	out->seq = s1;
	return retries;
}

int kt_find_slot(const struct ipc_shared *t, pid_t pgid)
{
	struct pgid_slot_user u;
	int i;

	for (i = 0; i < IPCMON_MAX_SLOTS; i++) {
		kt_read_slot(t, i, &u);
		if (u.pgid == pgid)
			return i;
	}
	return -1;
}

int kt_mask_popcount(const struct ipc_shared *t)
{
	int i, n = 0;

	for (i = 0; i < IPCMON_MASK_WORDS; i++)
		n += __builtin_popcountll(__atomic_load_n(&t->active_mask[i],
							  __ATOMIC_RELAXED));
	return n;
}

bool kt_mask_test(const struct ipc_shared *t, int slot)
{
	return (__atomic_load_n(&t->active_mask[slot / 64], __ATOMIC_RELAXED) >>
		(slot % 64)) & 1;
}

int kt_count(const struct ipc_shared *t)
{
	return __atomic_load_n(&t->count, __ATOMIC_ACQUIRE);
}

bool kt_wait_count(const struct ipc_shared *t, int want, int ms)
{
	uint64_t end = kt_now_ms() + ms;

	while (kt_count(t) != want) {
		if (kt_now_ms() > end)
			return false;
		kt_sleep_ms(20);
	}
	return true;
}

static int kt_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

int kt_add(int rtfd, pid_t pgid, int jobid, int workers)
{
	struct rtmon_add_pgid_args a = { pgid, jobid, workers, 0 };

	return kt_ioctl(rtfd, RTMON_IOC_ADD_PGID, &a);
}

int kt_remove(int rtfd, pid_t pgid)
{
	struct rtmon_pgid_args a = { pgid, 0 };

	return kt_ioctl(rtfd, RTMON_IOC_REMOVE_PGID, &a);
}

int kt_request(int rtfd, pid_t pgid)
{
	struct rtmon_pgid_args a = { pgid, 0 };

	return kt_ioctl(rtfd, RTMON_IOC_REQUEST_PROFILE, &a);
}

int kt_set_threshold(int rtfd, unsigned int secs)
{
	__u32 v = secs;

	return kt_ioctl(rtfd, RTMON_IOC_SET_THRESHOLD, &v);
}

int kt_set_loader(int rtfd, pid_t pid)
{
	__s32 v = pid;

	return kt_ioctl(rtfd, RTMON_IOC_SET_DATA_LOADER_PID, &v);
}

int kt_reset(int ipcfd, int slot)
{
	struct ipcmon_reset_args a = { slot, 0 };

	return kt_ioctl(ipcfd, IPCMON_IOC_RESET, &a);
}

/* ---- processes -------------------------------------------------------- */

void kt_child_detach(int keep)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* hold no device or socket of the test: they pin modules */
	if (keep > 3)
		close_range(3, keep - 1, 0);
	close_range(keep + 1, ~0U, 0);
}

pid_t kt_spawn_group(int busy)
{
	int pfd[2];
	pid_t pid;
	char x;

	REQUIRE(pipe(pfd) == 0, "pipe: %s", strerror(errno));
	pid = fork();
	REQUIRE(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		volatile unsigned long spin = 0;
		int w = pfd[1];

		kt_child_detach(w);
		setpgid(0, 0);
		if (write(w, "x", 1) != 1)
			_exit(1);
		close(w);
		if (busy)
			for (;;)
				spin++;
		for (;;)
			pause();
	}
	close(pfd[1]);
	setpgid(pid, pid);
	/* returns once the child has let go of our files */
	REQUIRE(read(pfd[0], &x, 1) == 1, "group leader %d died", pid);
	close(pfd[0]);
	return pid;
}

void kt_kill_group(pid_t pgid)
{
	kill(-pgid, SIGKILL);
	kill(pgid, SIGKILL);
	while (waitpid(pgid, NULL, 0) < 0 && errno == EINTR)
		;
}

int kt_in_child(int (*fn)(void *), void *arg)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		fflush(stdout);
		_exit(fn(arg) | (kt_failures ? 0x80 : 0));
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return -1;
	if (WEXITSTATUS(status) & 0x80)
		kt_failures++;	/* the child already said why */
	return WEXITSTATUS(status) & 0x7f;
}

void kt_become_nobody(void)
{
	REQUIRE(setgroups(0, NULL) == 0, "setgroups: %s", strerror(errno));
	REQUIRE(setgid(65534) == 0, "setgid: %s", strerror(errno));
	REQUIRE(setuid(65534) == 0, "setuid: %s", strerror(errno));
}

void kt_drop_cap(int cap)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	REQUIRE(syscall(SYS_capget, &hdr, data) == 0, "capget");
	data[cap / 32].effective &= ~(1u << (cap % 32));
	data[cap / 32].permitted &= ~(1u << (cap % 32));
	data[cap / 32].inheritable &= ~(1u << (cap % 32));
	REQUIRE(prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0,
		"PR_CAPBSET_DROP: %s", strerror(errno));
	REQUIRE(syscall(SYS_capset, &hdr, data) == 0, "capset: %s",
		strerror(errno));
}

void kt_nobody_with_cap(int cap)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	REQUIRE(prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) == 0, "PR_SET_KEEPCAPS");
	kt_become_nobody();
	memset(data, 0, sizeof(data));
	data[cap / 32].effective = 1u << (cap % 32);
	data[cap / 32].permitted = 1u << (cap % 32);
	REQUIRE(syscall(SYS_capset, &hdr, data) == 0, "capset: %s",
		strerror(errno));
	REQUIRE(getuid() == 65534 && geteuid() == 65534, "uid %d", getuid());
}

/* In the namespace made by kt_in_new_pid_ns(): run fn as its first process. */
static int kt_first_in_pid_ns(void *arg)
{
	void **a = arg;
	int (*fn)(void *) = (int (*)(void *))a[0];

	if (unshare(CLONE_NEWPID)) {
		kt_log("unshare(CLONE_NEWPID): %s", strerror(errno));
		return 1;
	}
	/* the next child is pid 1 there */
	return kt_in_child(fn, a[1]);
}

int kt_in_new_pid_ns(int (*fn)(void *), void *arg)
{
	void *a[2] = { (void *)fn, arg };

	/* in a child, so the test process keeps its own namespace */
	return kt_in_child(kt_first_in_pid_ns, a);
}

/* ---- netlink ---------------------------------------------------------- */

int kt_nl_open(uint32_t portid, uint32_t groups)
{
	struct sockaddr_nl sa = {
		.nl_family = AF_NETLINK,
		.nl_pid = portid,
		.nl_groups = groups,
	};
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC,
			SMTCHECK_NETLINK_PROTO);

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int e = errno;

		close(fd);
		return -e;
	}
	return fd;
}

int kt_nl_recv(int fd, int timeout_ms, struct kt_nlmsg *m)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	unsigned char buf[4096] __attribute__((aligned(8)));
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	ssize_t n;
	int r;

	r = poll(&p, 1, timeout_ms);
	if (r < 0)
		return -errno;
	if (r == 0)
		return 0;
	n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n < 0)
		return errno == EAGAIN ? 0 : -errno;
	if (n < (ssize_t)NLMSG_HDRLEN || h->nlmsg_len > n ||
	    h->nlmsg_len < NLMSG_HDRLEN)
		return -EBADMSG;
	memset(m, 0, sizeof(*m));
	m->type = h->nlmsg_type;
	m->seq = h->nlmsg_seq;
	m->len = h->nlmsg_len - NLMSG_HDRLEN;
	if (m->len > sizeof(m->u.raw))
		m->len = sizeof(m->u.raw);
	memcpy(m->u.raw, NLMSG_DATA(h), m->len);
	return 1;
}

int kt_nl_wait(int fd, uint16_t type, pid_t pgid, int timeout_ms,
	       struct kt_nlmsg *m)
{
	uint64_t end = kt_now_ms() + timeout_ms;

	for (;;) {
		int64_t left = (int64_t)(end - kt_now_ms());
		int r;

		if (left < 0)
			return 0;
		r = kt_nl_recv(fd, (int)left, m);
		if (r <= 0)
			return r;
		/* pgid is the first field of every kernel payload */
		if (m->type == type && m->u.lr.pgid == pgid)
			return 1;
	}
}

int kt_nl_send(int fd, uint16_t type, uint32_t seq, const void *p, size_t len)
{
	unsigned char buf[512] __attribute__((aligned(8)));
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	struct sockaddr_nl to = { .nl_family = AF_NETLINK };

	memset(buf, 0, sizeof(buf));
	h->nlmsg_len = NLMSG_LENGTH(len);
	h->nlmsg_type = type;
	h->nlmsg_flags = NLM_F_REQUEST;
	h->nlmsg_seq = seq;
	h->nlmsg_pid = 0;
	memcpy(NLMSG_DATA(h), p, len);
	if (sendto(fd, buf, h->nlmsg_len, 0, (struct sockaddr *)&to,
		   sizeof(to)) < 0)
		return -errno;
	return 0;
}

int kt_nl_send_ack(int fd, pid_t pgid, int jobid, uint32_t seq)
{
	struct rtmon_nl_ack a = { pgid, jobid };

	return kt_nl_send(fd, RTMON_NL_ACK, seq, &a, sizeof(a));
}

int kt_nl_register(int fd)
{
	static uint32_t seq = 500;
	struct rtmon_nl_register req = { 0, 0 };
	struct {
		struct nlmsghdr h;
		struct rtmon_nl_register r;
	} msg = {
		.h = {
			.nlmsg_len = NLMSG_LENGTH(sizeof(req)),
			.nlmsg_type = RTMON_NL_REGISTER,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK,
			.nlmsg_seq = ++seq,
		},
		.r = req,
	};
	struct sockaddr_nl to = { .nl_family = AF_NETLINK };
	struct kt_nlmsg m;
	uint64_t end = kt_now_ms() + 2000;
	int r;

	if (sendto(fd, &msg, msg.h.nlmsg_len, 0, (struct sockaddr *)&to,
		   sizeof(to)) < 0)
		return -errno;
	while (kt_now_ms() < end) {
		r = kt_nl_recv(fd, (int)(end - kt_now_ms()), &m);
		if (r < 0)
			return r;
		if (r == 0)
			break;
		if (m.type == NLMSG_ERROR && m.seq == seq &&
		    m.len >= sizeof(struct nlmsgerr))
			return m.u.err.error;
	}
	return -ETIMEDOUT;
}

int kt_nl_loader(void)
{
	int fd = kt_nl_open(0, 0), r;

	REQUIRE(fd >= 0, "netlink: %s", strerror(-fd));
	r = kt_nl_register(fd);
	REQUIRE(r == 0, "netlink register: %s", strerror(-r));
	return fd;
}

int kt_nl_drain(int fd)
{
	struct kt_nlmsg m;
	int n = 0;

	while (kt_nl_recv(fd, 0, &m) > 0)
		n++;
	return n;
}

int kt_claim(int rtfd, int nlfd, pid_t pgid, int jobid)
{
	static uint32_t seq = 1000;
	struct kt_nlmsg m;
	int r;

	r = kt_request(rtfd, pgid);
	if (r)
		return r;
	r = kt_nl_wait(nlfd, RTMON_NL_LONG_RUNNING, pgid, 5000, &m);
	if (r <= 0)
		return -ETIMEDOUT;
	r = kt_nl_send_ack(nlfd, pgid, jobid, ++seq);
	if (r)
		return r;
	r = kt_nl_wait(nlfd, RTMON_NL_REGISTERED, pgid, 5000, &m);
	if (r <= 0)
		return -ETIMEDOUT;
	if (m.seq != seq)
		return -EPROTO;
	return m.u.reg.slot;
}

/* Takes a CPU offline (on = 0) or back online; 0 or -errno. */
int kt_cpu_online(int cpu, int on)
{
	char path[80];
	int fd, ok;

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/online",
		 cpu);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	ok = write(fd, on ? "1" : "0", 1) == 1;
	close(fd);
	return ok ? 0 : -errno;
}
