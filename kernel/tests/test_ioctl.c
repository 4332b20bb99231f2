// SPDX-License-Identifier: GPL-2.0
/* Every ioctl: happy path and each error code. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ktest.h"

#define BADPTR ((void *)16)

void test_rt_add_remove(void)
{
	char buf[32];
	pid_t g;
	int rt;

	kt_reload(NULL, NULL);
	rt = kt_open_rt();
	g = kt_spawn_group(KT_IDLE);

	CHECK_OK(kt_add(rt, g, 7, 2));
	CHECK_ERRNO(kt_add(rt, g, 7, 2), EEXIST);
	CHECK_ERRNO(kt_add(rt, g, 8, 1), EEXIST);
	CHECK_OK(kt_remove(rt, g));
	CHECK_ERRNO(kt_remove(rt, g), ESRCH);
	/* registered again after removal */
	CHECK_OK(kt_add(rt, g, 9, 1));
	CHECK_OK(kt_remove(rt, g));

	CHECK_OK(kt_set_threshold(rt, 5));
	CHECK_OK(kt_read_param("runtime_monitor", "threshold", buf, sizeof(buf)));
	CHECK(!strcmp(buf, "5"), "threshold=%s", buf);
	CHECK_OK(kt_set_threshold(rt, RTMON_THRESHOLD_MAX));
	CHECK_OK(kt_set_threshold(rt, 1));
	CHECK_OK(kt_set_threshold(rt, RTMON_THRESHOLD_DEFAULT));
	CHECK_OK(kt_read_param("runtime_monitor", "threshold", buf, sizeof(buf)));
	CHECK(!strcmp(buf, "3600"), "threshold=%s", buf);

	CHECK_OK(kt_set_loader(rt, getpid()));
	CHECK_OK(kt_read_param("runtime_monitor", "data_loader_pid", buf,
			       sizeof(buf)));
	CHECK(atoi(buf) == getpid(), "data_loader_pid=%s", buf);
	CHECK_OK(kt_set_loader(rt, 0));
	CHECK_OK(kt_read_param("runtime_monitor", "data_loader_pid", buf,
			       sizeof(buf)));
	CHECK(!strcmp(buf, "0"), "data_loader_pid=%s", buf);
	close(rt);
}

static pid_t dead_pid(void)
{
	pid_t p = fork();

	if (p == 0)
		_exit(0);
	waitpid(p, NULL, 0);
	return p;
}

void test_rt_errors(void)
{
	struct rtmon_add_pgid_args a;
	struct rtmon_pgid_args r;
	pid_t g, lone;
	__u32 u;
	int rt;

	kt_reload(NULL, NULL);
	rt = kt_open_rt();
	g = kt_spawn_group(KT_IDLE);

	/* -EFAULT */
	CHECK_ERRNO(ioctl(rt, RTMON_IOC_ADD_PGID, BADPTR), EFAULT);
	CHECK_ERRNO(ioctl(rt, RTMON_IOC_REMOVE_PGID, BADPTR), EFAULT);
	CHECK_ERRNO(ioctl(rt, RTMON_IOC_SET_THRESHOLD, BADPTR), EFAULT);
	CHECK_ERRNO(ioctl(rt, RTMON_IOC_SET_DATA_LOADER_PID, BADPTR), EFAULT);
	CHECK_ERRNO(ioctl(rt, RTMON_IOC_REQUEST_PROFILE, BADPTR), EFAULT);

	/* -ENOTTY: unknown numbers, and known numbers with a wrong size */
	CHECK_ERRNO(ioctl(rt, _IO(SMTCHECK_IOC_MAGIC, 0x7f), 0), ENOTTY);
	CHECK_ERRNO(ioctl(rt, _IOW(SMTCHECK_IOC_MAGIC, 0x01, __u32), &u), ENOTTY);
	CHECK_ERRNO(ioctl(rt, IPCMON_IOC_RESET, &r), ENOTTY);
	CHECK_ERRNO(ioctl(rt, _IOW('T', 0x01, __u32), &u), ENOTTY);

	/* -EINVAL */
	CHECK_ERRNO(kt_add(rt, 0, 1, 1), EINVAL);
	CHECK_ERRNO(kt_add(rt, -g, 1, 1), EINVAL);
	CHECK_ERRNO(kt_add(rt, g, -1, 1), EINVAL);
	CHECK_ERRNO(kt_add(rt, g, 1, 0), EINVAL);
	CHECK_ERRNO(kt_add(rt, g, 1, -3), EINVAL);
	CHECK_ERRNO(kt_add(rt, g, 1, RTMON_WORKERS_MAX + 1), EINVAL);
	a = (struct rtmon_add_pgid_args){ g, 1, 1, 1 };
	CHECK_ERRNO(ioctl(rt, RTMON_IOC_ADD_PGID, &a), EINVAL);
	r = (struct rtmon_pgid_args){ g, 1 };
	CHECK_ERRNO(ioctl(rt, RTMON_IOC_REMOVE_PGID, &r), EINVAL);
	CHECK_ERRNO(ioctl(rt, RTMON_IOC_REQUEST_PROFILE, &r), EINVAL);
	CHECK_ERRNO(kt_remove(rt, 0), EINVAL);
	CHECK_ERRNO(kt_request(rt, -1), EINVAL);
	CHECK_ERRNO(kt_set_threshold(rt, 0), EINVAL);
	CHECK_ERRNO(kt_set_threshold(rt, RTMON_THRESHOLD_MAX + 1), EINVAL);
	CHECK_ERRNO(kt_set_loader(rt, -1), EINVAL);

	/* -ESRCH */
	CHECK_ERRNO(kt_add(rt, dead_pid(), 1, 1), ESRCH);
	lone = fork();	/* a live process that leads no group */
	if (lone == 0) {
		pause();
		_exit(0);
	}
	CHECK_ERRNO(kt_add(rt, lone, 1, 1), ESRCH);
	CHECK_ERRNO(kt_remove(rt, g), ESRCH);
	CHECK_ERRNO(kt_request(rt, g), ESRCH);
	CHECK_ERRNO(kt_set_loader(rt, dead_pid()), ESRCH);

	/* -ENOTCONN: nobody to tell */
	CHECK_OK(kt_add(rt, g, 1, 1));
	CHECK_ERRNO(kt_request(rt, g), ENOTCONN);
	kill(lone, SIGKILL);
	close(rt);
}

void test_ipc_errors(void)
{
	struct ipcmon_reset_args a;
	int fd;

	kt_reload(NULL, NULL);
	fd = kt_open_ipc();
	CHECK_ERRNO(ioctl(fd, IPCMON_IOC_RESET, BADPTR), EFAULT);
	CHECK_ERRNO(kt_reset(fd, IPCMON_MAX_SLOTS), EINVAL);
	CHECK_ERRNO(kt_reset(fd, -2), EINVAL);
	a = (struct ipcmon_reset_args){ IPCMON_RESET_ALL, 1 };
	CHECK_ERRNO(ioctl(fd, IPCMON_IOC_RESET, &a), EINVAL);
	CHECK_ERRNO(kt_reset(fd, 0), ESRCH);
	CHECK_ERRNO(kt_reset(fd, 4095), ESRCH);
	CHECK_OK(kt_reset(fd, IPCMON_RESET_ALL));
	CHECK_ERRNO(ioctl(fd, _IO(SMTCHECK_IOC_MAGIC, 0x7f), 0), ENOTTY);
	CHECK_ERRNO(ioctl(fd, RTMON_IOC_ADD_PGID, &a), ENOTTY);
	CHECK_ERRNO(ioctl(fd, _IOR(SMTCHECK_IOC_MAGIC, 0x21, __u32), &a),
		    ENOTTY);
	close(fd);
}

struct unpriv_ctx {
	int ipc, rt;
	pid_t g;
	int nobody;
};

static int unpriv_child(void *arg)
{
	struct unpriv_ctx *c = arg;
	struct ipcmon_info info;
	const struct ipc_shared *t;
	int nl;

	if (c->nobody) {
		kt_become_nobody();
	} else {
		kt_drop_cap(CAP_SYS_ADMIN);
		kt_drop_cap(CAP_PERFMON);
	}

	/* every state-changing ioctl needs CAP_PERFMON or CAP_SYS_ADMIN */
	CHECK_ERRNO(kt_add(c->rt, c->g, 1, 1), EPERM);
	CHECK_ERRNO(kt_remove(c->rt, c->g), EPERM);
	CHECK_ERRNO(kt_set_threshold(c->rt, 10), EPERM);
	CHECK_ERRNO(kt_set_loader(c->rt, getpid()), EPERM);
	CHECK_ERRNO(kt_request(c->rt, c->g), EPERM);
	CHECK_ERRNO(kt_reset(c->ipc, IPCMON_RESET_ALL), EPERM);
	CHECK_ERRNO(kt_reset(c->ipc, 0), EPERM);
	/* unknown commands are still unknown */
	CHECK_ERRNO(ioctl(c->rt, _IO(SMTCHECK_IOC_MAGIC, 0x7f), 0), ENOTTY);
	/* and nobody else may become the data loader */
	nl = kt_nl_open(0, 0);
	CHECK(nl >= 0, "netlink: %s", strerror(-nl));
	CHECK(kt_nl_register(nl) == -EPERM, "registration not refused");
	close(nl);
	/* reading is allowed with an open file */
	CHECK_OK(ioctl(c->ipc, IPCMON_IOC_GET_INFO, &info));
	t = kt_map(c->ipc);
	CHECK(kt_count(t) == 1);
	kt_unmap(t);

	if (c->nobody) {
		/* the device nodes themselves are root-only */
		CHECK_ERRNO(open("/dev/IPC_monitor", O_RDONLY), EACCES);
		CHECK_ERRNO(open("/dev/runtime_monitor", O_RDWR), EACCES);
	}
	return 0;
}

void test_unprivileged(void)
{
	struct unpriv_ctx c;
	char buf[32];
	int nl;

	kt_reload(NULL, NULL);
	c.ipc = kt_open_ipc();
	c.rt = kt_open_rt();
	c.g = kt_spawn_group(KT_IDLE);
	nl = kt_nl_loader();
	CHECK_OK(kt_add(c.rt, c.g, 3, 1));
	CHECK(kt_claim(c.rt, nl, c.g, 3) == 0);

	c.nobody = 1;
	CHECK(kt_in_child(unpriv_child, &c) == 0);
	c.nobody = 0;
	CHECK(kt_in_child(unpriv_child, &c) == 0);

	/* nothing changed */
	CHECK_OK(kt_read_param("runtime_monitor", "threshold", buf, sizeof(buf)));
	CHECK(!strcmp(buf, "3600"), "threshold=%s", buf);
	CHECK_OK(kt_read_param("runtime_monitor", "registered_pid", buf,
			       sizeof(buf)));
	CHECK(atoi(buf) == getpid(), "registered_pid=%s", buf);
	CHECK_ERRNO(kt_add(c.rt, c.g, 3, 1), EEXIST);
	close(nl);
	close(c.rt);
	close(c.ipc);
}

void test_load_params(void)
{
	char buf[32];
	int ret;

	if (kt_loaded("runtime_monitor"))
		CHECK_OK(kt_unload("runtime_monitor"));
	if (kt_loaded("IPC_monitor"))
		CHECK_OK(kt_unload("IPC_monitor"));

	/* runtime_monitor needs IPC_monitor's symbols */
	CHECK_ERRNO(kt_load("runtime_monitor", NULL), ENOENT);
	CHECK_ERRNO(kt_load("IPC_monitor", "counter_mode=bogus"), EINVAL);
	CHECK_ERRNO(kt_load("IPC_monitor", "flush_interval_ms=999999"), EINVAL);

	ret = kt_load("IPC_monitor", "counter_mode=hardware");
	if (ret == 0) {
		CHECK_OK(kt_read_param("IPC_monitor", "counter_mode", buf,
				       sizeof(buf)));
		CHECK(!strcmp(buf, "hardware"), "%s", buf);
		kt_log("hardware counters available");
		CHECK_OK(kt_unload("IPC_monitor"));
	} else {
		CHECK(ret == -ENODEV, "counter_mode=hardware: %s",
		      strerror(-ret));
		kt_log("no hardware counters: counter_mode=hardware refused");
	}

	CHECK_OK(kt_load("IPC_monitor", "counter_mode=software flush_interval_ms=0"));
	CHECK_OK(kt_read_param("IPC_monitor", "counter_mode", buf, sizeof(buf)));
	CHECK(!strcmp(buf, "software"), "%s", buf);

	CHECK_ERRNO(kt_load("runtime_monitor", "threshold=0"), EINVAL);
	CHECK_ERRNO(kt_load("runtime_monitor", "threshold=31536001"), EINVAL);
	CHECK_ERRNO(kt_load("runtime_monitor", "max_groups=0"), EINVAL);
	CHECK_ERRNO(kt_load("runtime_monitor", "scan_interval_ms=1"), EINVAL);
	CHECK_ERRNO(kt_load("runtime_monitor", "data_loader_pid=-4"), EINVAL);
	CHECK_OK(kt_load("runtime_monitor", "threshold=77 data_loader_pid=1"));
	CHECK_OK(kt_read_param("runtime_monitor", "threshold", buf, sizeof(buf)));
	CHECK(!strcmp(buf, "77"), "%s", buf);
	CHECK_OK(kt_read_param("runtime_monitor", "data_loader_pid", buf,
			       sizeof(buf)));
	CHECK(!strcmp(buf, "1"), "%s", buf);
	/* loading twice */
	CHECK_ERRNO(kt_load("runtime_monitor", NULL), EEXIST);
	kt_reload(NULL, NULL);
}
