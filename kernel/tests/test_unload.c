// SPDX-License-Identifier: GPL-2.0
/* Unloading: open files, live mappings, armed timers, probes; cycles. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ktest.h"

static bool busy_err(int r)
{
	return r == -EAGAIN || r == -EBUSY;
}

void test_unload_open_mapped(void)
{
	const struct ipc_shared *t;
	struct pgid_slot_user u;
	int ipc, rt, nl, s, r;
	pid_t g;

	kt_setup_loader(&ipc, &rt, &t, &nl);
	CHECK_OK(kt_set_threshold(rt, 1));
	g = kt_spawn_group(KT_BUSY);
	CHECK_OK(kt_add(rt, g, 1, 1));
	s = kt_claim(rt, nl, g, 1);
	REQUIRE(s >= 0, "claim %d", s);
	kt_sleep_ms(300);

	/* an open device keeps runtime_monitor in */
	r = kt_unload("runtime_monitor");
	CHECK(busy_err(r), "rmmod with open file: %s", strerror(-r));
	close(rt);
	/* IPC_monitor is in use by runtime_monitor and by our mapping */
	r = kt_unload("IPC_monitor");
	CHECK(busy_err(r), "rmmod IPC_monitor under runtime_monitor: %s",
	      strerror(-r));

	/*
	 * runtime_monitor goes with groups, a claimed slot, a timer armed and
	 * a netlink socket of its unit still open (those do not pin it)
	 */
	CHECK_OK(kt_unload("runtime_monitor"));
	CHECK(kt_count(t) == 0, "slot left behind: count %d", kt_count(t));
	CHECK(kt_mask_popcount(t) == 0);
	kt_read_slot(t, s, &u);
	CHECK(u.pgid == 0);
	/* the socket outlives the module: nobody takes its messages now */
	r = kt_nl_send_ack(nl, g, 1, 99);
	CHECK(r == -ECONNREFUSED, "ACK after rmmod: %s", strerror(-r));
	close(nl);

	/* IPC_monitor: the open file, then the mapping alone, keep it */
	r = kt_unload("IPC_monitor");
	CHECK(busy_err(r), "rmmod with open file: %s", strerror(-r));
	close(ipc);
	r = kt_unload("IPC_monitor");
	CHECK(busy_err(r), "rmmod with live mapping: %s", strerror(-r));
	CHECK(kt_count(t) == 0);	/* the mapping still reads */
	kt_unmap(t);
	CHECK_OK(kt_unload("IPC_monitor"));
	CHECK(!kt_loaded("IPC_monitor"));

	/* a netlink socket of our unit cannot be made without the module */
	CHECK_ERRNO(kt_nl_open(0, 0), EPROTONOSUPPORT);
	kt_reload(NULL, NULL);
}

/* Unload while busy groups hold slots and groups exit. */
void test_unload_busy_system(void)
{
	const struct ipc_shared *t;
	int ipc, rt, nl, i, r;
	pid_t g[4];

	kt_reload(NULL, "scan_interval_ms=10");
	ipc = kt_open_ipc();
	rt = kt_open_rt();
	t = kt_map(ipc);
	nl = kt_nl_loader();
	for (i = 0; i < 4; i++) {
		g[i] = kt_spawn_group(KT_BUSY);
		CHECK_OK(kt_add(rt, g[i], i, 1));
		CHECK(kt_claim(rt, nl, g[i], i) == i);
	}
	CHECK_OK(kt_set_threshold(rt, 1));
	/* groups exiting while everything runs */
	kt_kill_group(g[0]);
	kt_sleep_ms(100);
	close(nl);
	close(rt);
	kt_unmap(t);
	close(ipc);
	/* unload while busy groups are charged every switch */
	r = kt_unload("runtime_monitor");
	CHECK(r == 0, "rmmod runtime_monitor: %s", strerror(-r));
	r = kt_unload("IPC_monitor");
	CHECK(r == 0, "rmmod IPC_monitor: %s", strerror(-r));
	kt_sleep_ms(200);
	kt_reload(NULL, NULL);
}

static long meminfo(const char *key)
{
	char line[256];
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)) &&
		    line[strlen(key)] == ':')
			v = atol(line + strlen(key) + 1);
	fclose(f);
	return v;
}

/*
 * The cache's objects in use.  Shrinking it first returns the objects KASAN
 * holds in quarantine after they were freed, and those in per-CPU slabs,
 * which /proc/slabinfo counts as active: on a debug kernel they are most of
 * the difference between two counts.
 */
static long slab_objs(const char *cache)
{
	char path[128], line[512], name[64];
	long active = -1, n;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/slab/%s/shrink", cache);
	f = fopen(path, "w");
	if (f) {
		fputs("1", f);
		fclose(f);
	}
	f = fopen("/proc/slabinfo", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %ld", name, &n) == 2 &&
		    !strcmp(name, cache))
			active = n;
	fclose(f);
	return active;
}

/* growth allowed over the 20 cycles: the table alone is 132 kB a cycle */
#define VMALLOC_GROWTH_KB	128
#define PID_GROWTH		10

void test_load_unload_20(void)
{
	long vm0, vm1, pid0, pid1;
	int i, ipc, rt, nl, s;
	const struct ipc_shared *t;
	pid_t g;

	if (kt_loaded("runtime_monitor"))
		CHECK_OK(kt_unload("runtime_monitor"));
	if (kt_loaded("IPC_monitor"))
		CHECK_OK(kt_unload("IPC_monitor"));
	kt_sleep_ms(200);
	vm0 = meminfo("VmallocUsed");
	pid0 = slab_objs("pid");

	for (i = 0; i < 20; i++) {
		int r = kt_load("IPC_monitor", NULL);

		REQUIRE(r == 0, "cycle %d insmod IPC_monitor: %s", i,
			strerror(-r));
		r = kt_load("runtime_monitor", "scan_interval_ms=50");
		REQUIRE(r == 0, "cycle %d insmod runtime_monitor: %s", i,
			strerror(-r));
		ipc = kt_open_ipc();
		rt = kt_open_rt();
		t = kt_map(ipc);
		nl = kt_nl_loader();
		g = kt_spawn_group(i & 1 ? KT_BUSY : KT_IDLE);
		CHECK_OK(kt_add(rt, g, i, 1));
		s = kt_claim(rt, nl, g, i);
		CHECK(s == 0, "cycle %d slot %d", i, s);
		CHECK(kt_count(t) == 1);
		if (i % 3 == 0)
			kt_kill_group(g);	/* exit races the unload */
		close(nl);
		close(rt);
		kt_unmap(t);
		close(ipc);
		CHECK_OK(kt_unload("runtime_monitor"));
		CHECK_OK(kt_unload("IPC_monitor"));
		if (i % 3)
			kt_kill_group(g);
	}
	/* a struct pid is freed an RCU grace period after its last task */
	for (i = 0; i < 30; i++) {
		kt_sleep_ms(100);
		vm1 = meminfo("VmallocUsed");
		pid1 = slab_objs("pid");
		if (vm1 - vm0 < VMALLOC_GROWTH_KB && pid1 - pid0 < PID_GROWTH)
			break;
	}
	kt_log("VmallocUsed %ld -> %ld kB, pid objects %ld -> %ld", vm0, vm1,
	       pid0, pid1);
	CHECK(vm1 - vm0 < VMALLOC_GROWTH_KB, "vmalloc grew by %ld kB", vm1 - vm0);
	if (pid0 >= 0 && pid1 >= 0)
		CHECK(pid1 - pid0 < PID_GROWTH, "struct pid leak: %ld",
		      pid1 - pid0);
	kt_reload(NULL, NULL);
}
