// SPDX-License-Identifier: GPL-2.0
/*
 * IPC_monitor - per process group cycle and instruction counters.
 *
 * Every CPU owns two pinned perf counters (cycles, instructions).  At each
 * sched_switch the counters are read and the difference since the last
 * read on that CPU is charged to the outgoing task's process group, if that
 * group holds a slot of the shared table.  Without hardware counters
 * (virtual machines, emulators) the module runs in software mode: on-CPU
 * nanoseconds are charged to "cycles" and "instructions" stays 0.
 *
 * Charging writes nothing another CPU writes: each slot has per-CPU totals
 * (alloc_percpu, as kernel/sched/cpuacct.c does), and a work item on a
 * housekeeping CPU folds their sums into the shared table every
 * flush_interval_ms.  A per-CPU hrtimer charges a task that is never
 * switched out; it runs only while its CPU runs something (it is stopped
 * when the CPU switches to idle) and never on CPUs isolated from timers
 * (nohz_full).  The sched_switch probe is registered only while some slot
 * is claimed, so an idle module costs the scheduler nothing.
 *
 * The table (struct ipc_shared, see smtcheck_uapi.h) lives in vmalloc_user()
 * memory that userspace maps.  The kernel's own copy is ipcmon_state: every
 * decision reads it, and the mapped pages only mirror it, written and never
 * read, because a writable mapping (the original SMTcheck's readers need
 * one) lets userspace change them.  Slots are claimed and released by
 * runtime_monitor through the exported ipcmon_claim_slot() and
 * ipcmon_release_slot().  The probe finds a group's slot through an RCU
 * hash keyed by struct pid pointer.  Every write to the table is made under
 * ipcmon_lock, and the slot's seq field is a seqcount for the lockless
 * readers in userspace.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/fs.h>
#include <linux/hashtable.h>
#include <linux/hrtimer.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/nospec.h>
#include <linux/percpu.h>
#include <linux/perf_event.h>
#include <linux/pid.h>
#include <linux/rculist.h>
#include <linux/sched.h>
#include <linux/sched/clock.h>
#include <linux/sched/isolation.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/tracepoint.h>
#include <linux/uaccess.h>
#include <linux/version.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>
#include <trace/events/sched.h>

#include "smtcheck_uapi.h"
#include "ipc_monitor_kapi.h"

#define IPCMON_MODE_AUTO	(-1)
#define IPCMON_HASH_BITS	10
#define IPCMON_FLUSH_MAX_MS	60000
#define IPCMON_FOLD_MS		100	/* fold period when flush_interval_ms=0 */
#define IPCMON_RECOVER_MS	1000	/* at most one counter recovery a second */

/* What one CPU has charged to one group; written only by that CPU. */
struct ipcmon_count {
	u64 cycles;
	u64 instructions;
};

/* One per claimed slot; lives in the hash, freed after a grace period. */
struct ipcmon_node {
	struct hlist_node hnode;
	struct pid *pid;
	int slot;
	struct ipcmon_count __percpu *counts;
	u64 base_cycles;	/* sums at the last reset; under ipcmon_lock */
	u64 base_instructions;
	struct rcu_head rcu;
};

struct ipcmon_cpu {
	struct perf_event *cycles;
	struct perf_event *instructions;
	u64 last_cycles;		/* software mode: local_clock() */
	u64 last_instructions;
	unsigned long epoch;		/* ipcmon_epoch of the baseline */
	bool active;			/* counted; changed on this CPU, IRQs off */
	bool housekeeping;		/* may run the flush tick */
	bool tick_armed;
	bool hw_error;			/* a counter could not be read */
	u64 ticks;			/* flush tick expiries */
	u64 recoveries;			/* counters re-enabled or recreated */
	struct hrtimer tick;
};

static struct ipc_shared *ipcmon_table;	/* mapped; only written */
static struct ipc_shared *ipcmon_state;	/* the kernel's; under ipcmon_lock */
static size_t ipcmon_map_size;
/* slot -> node; under ipcmon_lock */
static struct ipcmon_node *ipcmon_owner[IPCMON_MAX_SLOTS];
static DEFINE_HASHTABLE(ipcmon_hash, IPCMON_HASH_BITS);
static DEFINE_MUTEX(ipcmon_lock);	/* claim, release, reset, fold */
static DEFINE_PER_CPU(struct ipcmon_cpu, ipcmon_cpus);
static struct tracepoint *ipcmon_tp;
static int ipcmon_hp_state = -1;
static atomic_t ipcmon_hw_failures = ATOMIC_INIT(0);
/* The probe is registered; ipcmon_epoch counts registrations. */
static bool ipcmon_counting;
static unsigned long ipcmon_epoch;
static unsigned long ipcmon_recover_after;	/* jiffies */

static void ipcmon_fold(struct work_struct *work);
static void ipcmon_recover(struct work_struct *work);
static DECLARE_DELAYED_WORK(ipcmon_fold_work, ipcmon_fold);
static DECLARE_WORK(ipcmon_recover_work, ipcmon_recover);

/* ---- module parameters ------------------------------------------------ */

static int ipcmon_req_mode = IPCMON_MODE_AUTO;	/* what was asked for */
static int ipcmon_mode = IPCMON_MODE_SOFTWARE;	/* what runs */
static bool ipcmon_mode_final;

static int counter_mode_set(const char *val, const struct kernel_param *kp)
{
	if (sysfs_streq(val, "auto"))
		ipcmon_req_mode = IPCMON_MODE_AUTO;
	else if (sysfs_streq(val, "hardware"))
		ipcmon_req_mode = IPCMON_MODE_HARDWARE;
	else if (sysfs_streq(val, "software"))
		ipcmon_req_mode = IPCMON_MODE_SOFTWARE;
	else
		return -EINVAL;
	return 0;
}

static int counter_mode_get(char *buf, const struct kernel_param *kp)
{
	int mode = ipcmon_mode_final ? ipcmon_mode : ipcmon_req_mode;

	if (mode == IPCMON_MODE_AUTO)
		return scnprintf(buf, PAGE_SIZE, "auto\n");
	return scnprintf(buf, PAGE_SIZE, "%s\n",
			 mode == IPCMON_MODE_HARDWARE ? "hardware" : "software");
}

static const struct kernel_param_ops counter_mode_ops = {
	.set = counter_mode_set,
	.get = counter_mode_get,
};
module_param_cb(counter_mode, &counter_mode_ops, NULL, 0444);
MODULE_PARM_DESC(counter_mode,
		 "auto|hardware|software at load; reads back the mode in use");

static unsigned int flush_interval_ms = 100;
module_param(flush_interval_ms, uint, 0444);
MODULE_PARM_DESC(flush_interval_ms,
		 "charge running tasks this often, ms (0 = only at context switch)");

/* ---- publishing to the mapped table (under ipcmon_lock) --------------- */

/*
 * Copies the kernel's slot to the table as a seqcount writer.  The slot's
 * seq comes from the kernel's copy too, so a reader sees a consistent slot
 * whatever userspace wrote there before.
 */
static void ipcmon_publish_slot(int slot)
{
	struct pgid_slot_user *k = &ipcmon_state->slots[slot];
	struct pgid_slot_user *u = &ipcmon_table->slots[slot];

	k->seq++;
	WRITE_ONCE(u->seq, k->seq);
	/* odd seq is visible before any field changes; pairs with reader */
	smp_wmb();
	WRITE_ONCE(u->pgid, k->pgid);
	WRITE_ONCE(u->global_jobid, k->global_jobid);
	WRITE_ONCE(u->worker_num, k->worker_num);
	WRITE_ONCE(u->cycles, k->cycles);
	WRITE_ONCE(u->instructions, k->instructions);
	/* fields are visible before seq turns even again */
	smp_wmb();
	k->seq++;
	WRITE_ONCE(u->seq, k->seq);
}

/* count and the active mask; they carry no seq */
static void ipcmon_publish_header(void)
{
	int i;

	WRITE_ONCE(ipcmon_table->count, ipcmon_state->count);
	WRITE_ONCE(ipcmon_table->__pad0, 0);
	for (i = 0; i < IPCMON_MASK_WORDS; i++)
		WRITE_ONCE(ipcmon_table->active_mask[i],
			   ipcmon_state->active_mask[i]);
}

static inline unsigned long *ipcmon_mask(void)
{
	return (unsigned long *)ipcmon_state->active_mask;
}

/* ---- accounting (IRQs disabled, local CPU) ---------------------------- */

/*
 * Read a pinned CPU counter of this CPU.  perf_event_read_local() is not
 * exported to modules, so do what it does for an active CPU event on the
 * local CPU: let the PMU driver fold the hardware value into the count.
 * IRQs are off and the event is pinned to this CPU, so it cannot be
 * scheduled out underneath us.
 */
static int ipcmon_read_counter(struct perf_event *ev, u64 *value)
{
	if (!ev || ev->state != PERF_EVENT_STATE_ACTIVE ||
	    READ_ONCE(ev->oncpu) != smp_processor_id())
		return -EAGAIN;
	ev->pmu->read(ev);
	*value = local64_read(&ev->count);
	return 0;
}

static void ipcmon_charge(struct task_struct *p, u64 dcycles, u64 dinstr)
{
	struct pid *pgrp = READ_ONCE(p->signal->pids[PIDTYPE_PGID]);
	struct ipcmon_node *n;

	if (!pgrp)
		return;

	/*
	 * IRQs are disabled (scheduler or hardirq), which is an RCU read-side
	 * critical section.  A node being released may still be found here;
	 * charging it is harmless, as its counts are no longer folded, and
	 * they are freed only after a grace period.  n->pid is compared,
	 * never dereferenced.
	 */
	hash_for_each_possible_rcu_notrace(ipcmon_hash, n, hnode,
					   (unsigned long)pgrp) {
		struct ipcmon_count *pc;

		if (READ_ONCE(n->pid) != pgrp)
			continue;
		pc = this_cpu_ptr(n->counts);
		/* the fold reads these from another CPU: whole-word stores */
		WRITE_ONCE(pc->cycles, pc->cycles + dcycles);
		WRITE_ONCE(pc->instructions, pc->instructions + dinstr);
		return;
	}
}

/*
 * Charge what this CPU counted since its last read to @p's group.  Runs
 * from the sched_switch probe and from the flush tick, both on this CPU
 * with IRQs off, so the two never interleave on the same baseline.
 */
static void ipcmon_account(struct ipcmon_cpu *c, struct task_struct *p)
{
	u64 cycles, instructions = 0, dcycles, dinstr;
	unsigned long epoch;

	lockdep_assert_irqs_disabled();
	/*
	 * After the tracepoint's load of its probe array, which was published
	 * after the epoch: a probe that runs sees the epoch it runs for.
	 */
	smp_rmb();
	epoch = READ_ONCE(ipcmon_epoch);
	if (!READ_ONCE(c->active))
		return;

	if (ipcmon_mode == IPCMON_MODE_HARDWARE) {
		if (ipcmon_read_counter(c->cycles, &cycles) ||
		    ipcmon_read_counter(c->instructions, &instructions)) {
			/* the fold work sees this and recovers the counters */
			WRITE_ONCE(c->hw_error, true);
			return;
		}
	} else {
		cycles = local_clock();
	}
	dcycles = cycles - c->last_cycles;
	dinstr = instructions - c->last_instructions;
	c->last_cycles = cycles;
	c->last_instructions = instructions;

	/*
	 * A baseline from before the probe was (re)registered, or from before
	 * the counters failed, spans time nobody watched: start afresh.
	 */
	if (c->epoch != epoch || c->hw_error) {
		c->epoch = epoch;
		WRITE_ONCE(c->hw_error, false);
		return;
	}
	if (!p || is_idle_task(p))
		return;
	ipcmon_charge(p, dcycles, dinstr);
}

/*
 * The flush tick runs while this CPU runs a task: it is started when the
 * CPU leaves idle and cancelled when it goes idle, so an idle CPU is never
 * woken by it.  CPUs isolated from timers (nohz_full) never run it; there
 * a running task is charged at its context switches only.
 */
static void ipcmon_tick_follow(struct ipcmon_cpu *c, struct task_struct *next)
{
	bool want = flush_interval_ms && c->housekeeping &&
		    READ_ONCE(c->active) && !is_idle_task(next);

	if (want == c->tick_armed)
		return;
	if (want)
		hrtimer_start(&c->tick, ms_to_ktime(flush_interval_ms),
			      HRTIMER_MODE_REL_PINNED_HARD);
	else
		/* cannot be running: it expires in hardirq on this CPU */
		hrtimer_try_to_cancel(&c->tick);
	c->tick_armed = want;
}

static void ipcmon_sched_switch(void *data, bool preempt,
				struct task_struct *prev,
				struct task_struct *next,
				unsigned int prev_state)
{
	struct ipcmon_cpu *c = this_cpu_ptr(&ipcmon_cpus);

	ipcmon_account(c, prev);
	ipcmon_tick_follow(c, next);
}

/* Hard: on PREEMPT_RT too it expires in hardirq, never beside the probe. */
static enum hrtimer_restart ipcmon_tick(struct hrtimer *t)
{
	struct ipcmon_cpu *c = container_of(t, struct ipcmon_cpu, tick);

	WRITE_ONCE(c->ticks, c->ticks + 1);
	ipcmon_account(c, current);
	if (!READ_ONCE(ipcmon_counting) || !READ_ONCE(c->active) ||
	    is_idle_task(current)) {
		c->tick_armed = false;
		return HRTIMER_NORESTART;
	}
	hrtimer_forward_now(t, ms_to_ktime(flush_interval_ms));
	return HRTIMER_RESTART;
}

/* IPI: start the tick on a CPU busy with a task when counting starts. */
static void ipcmon_kick(void *unused)
{
	ipcmon_tick_follow(this_cpu_ptr(&ipcmon_cpus), current);
}

static bool ipcmon_kick_wanted(int cpu, void *unused)
{
	struct ipcmon_cpu *c = per_cpu_ptr(&ipcmon_cpus, cpu);

	return c->housekeeping && READ_ONCE(c->active);
}

/* ---- probe registration (ipcmon_lock held) ----------------------------- */

static int ipcmon_start_counting(void)
{
	int ret;

	/* published before the probe can run: pairs with READ_ONCE(epoch) */
	WRITE_ONCE(ipcmon_epoch, ipcmon_epoch + 1);
	ret = tracepoint_probe_register(ipcmon_tp, ipcmon_sched_switch, NULL);
	if (ret)
		return ret;
	WRITE_ONCE(ipcmon_counting, true);
	if (flush_interval_ms)
		on_each_cpu_cond(ipcmon_kick_wanted, ipcmon_kick, NULL, true);
	queue_delayed_work(system_unbound_wq, &ipcmon_fold_work, 0);
	return 0;
}

static void ipcmon_stop_counting(void)
{
	/* running ticks see this and stop; the probe is gone */
	WRITE_ONCE(ipcmon_counting, false);
	tracepoint_probe_unregister(ipcmon_tp, ipcmon_sched_switch, NULL);
}

/* ---- folding into the table (ipcmon_lock held) ------------------------- */

static void ipcmon_sum(struct ipcmon_node *n, u64 *cycles, u64 *instructions)
{
	int cpu;

	*cycles = 0;
	*instructions = 0;
	for_each_possible_cpu(cpu) {
		struct ipcmon_count *pc = per_cpu_ptr(n->counts, cpu);

		*cycles += READ_ONCE(pc->cycles);
		*instructions += READ_ONCE(pc->instructions);
	}
}

static void ipcmon_write_counts(int slot, u64 cycles, u64 instructions)
{
	struct pgid_slot_user *k = &ipcmon_state->slots[slot];

	if (k->cycles == cycles && k->instructions == instructions)
		return;
	k->cycles = cycles;
	k->instructions = instructions;
	ipcmon_publish_slot(slot);
}

static void ipcmon_fold_slot(int slot)
{
	struct ipcmon_node *n = ipcmon_owner[slot];
	u64 cycles, instructions;

	ipcmon_sum(n, &cycles, &instructions);
	/* each CPU's totals only grow, so the sums only grow */
	ipcmon_write_counts(slot, cycles - n->base_cycles,
			    instructions - n->base_instructions);
}

static unsigned long ipcmon_fold_delay(void)
{
	return msecs_to_jiffies(flush_interval_ms ?: IPCMON_FOLD_MS);
}

/* Hardware mode: a CPU without working counters gets them back. */
static void ipcmon_check_counters(void)
{
	int cpu;

	if (ipcmon_mode != IPCMON_MODE_HARDWARE ||
	    time_before(jiffies, ipcmon_recover_after))
		return;
	for_each_online_cpu(cpu) {
		struct ipcmon_cpu *c = per_cpu_ptr(&ipcmon_cpus, cpu);

		if (!READ_ONCE(c->active) || READ_ONCE(c->hw_error)) {
			ipcmon_recover_after = jiffies +
				msecs_to_jiffies(IPCMON_RECOVER_MS);
			queue_work(system_unbound_wq, &ipcmon_recover_work);
			return;
		}
	}
}

static void ipcmon_fold(struct work_struct *work)
{
	int slot;

	mutex_lock(&ipcmon_lock);
	for_each_set_bit(slot, ipcmon_mask(), IPCMON_MAX_SLOTS)
		ipcmon_fold_slot(slot);
	/* undoes, within one fold, what a writable mapping wrote there */
	ipcmon_publish_header();
	ipcmon_check_counters();
	if (ipcmon_counting)
		queue_delayed_work(system_unbound_wq, &ipcmon_fold_work,
				   ipcmon_fold_delay());
	mutex_unlock(&ipcmon_lock);
}

/* ---- per-CPU setup (CPU hotplug callbacks run on the CPU itself) ------- */

static struct perf_event *ipcmon_create_event(int cpu, u64 config)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_HARDWARE,
		.size = sizeof(attr),
		.config = config,
		.pinned = 1,
		.exclude_hv = 1,
	};

	return perf_event_create_kernel_counter(&attr, cpu, NULL, NULL, NULL);
}

static void ipcmon_release_events(struct ipcmon_cpu *c)
{
	if (c->cycles)
		perf_event_release_kernel(c->cycles);
	if (c->instructions)
		perf_event_release_kernel(c->instructions);
	c->cycles = NULL;
	c->instructions = NULL;
}

/*
 * Start counting on @cpu, which must be the CPU this runs on (its hotplug
 * thread, or a work item bound to it) while CPU hotplug is excluded.
 */
static int ipcmon_cpu_start(unsigned int cpu)
{
	struct ipcmon_cpu *c = per_cpu_ptr(&ipcmon_cpus, cpu);
	unsigned long flags;
	int ret = 0;

	if (ipcmon_mode == IPCMON_MODE_HARDWARE) {
		struct perf_event *ev;

		ev = ipcmon_create_event(cpu, PERF_COUNT_HW_CPU_CYCLES);
		if (IS_ERR(ev))
			return PTR_ERR(ev);
		c->cycles = ev;
		ev = ipcmon_create_event(cpu, PERF_COUNT_HW_INSTRUCTIONS);
		if (IS_ERR(ev)) {
			ret = PTR_ERR(ev);
			goto fail;
		}
		c->instructions = ev;
	}

	local_irq_save(flags);
	if (ipcmon_mode == IPCMON_MODE_HARDWARE) {
		/* created but not scheduled: the PMU is full */
		if (ipcmon_read_counter(c->cycles, &c->last_cycles) ||
		    ipcmon_read_counter(c->instructions,
					&c->last_instructions)) {
			local_irq_restore(flags);
			ret = -EBUSY;
			goto fail;
		}
	} else {
		c->last_cycles = local_clock();
		c->last_instructions = 0;
	}
	c->epoch = READ_ONCE(ipcmon_epoch);
	c->hw_error = false;
	WRITE_ONCE(c->active, true);
	local_irq_restore(flags);
	return 0;

fail:
	ipcmon_release_events(c);
	return ret;
}

static int ipcmon_cpu_online(unsigned int cpu)
{
	struct ipcmon_cpu *c = per_cpu_ptr(&ipcmon_cpus, cpu);
	int ret;

	c->housekeeping = housekeeping_cpu(cpu, HK_TYPE_TIMER);
	ret = ipcmon_cpu_start(cpu);
	if (ret) {
		/*
		 * Do not refuse the CPU.  GET_CPU_INFO reports it uncounted,
		 * and the fold work tries again while groups are counted.
		 */
		atomic_inc(&ipcmon_hw_failures);
		pr_warn("CPU %u: no hardware counters (%d), not counted until they can be had\n",
			cpu, ret);
	}
	return 0;
}

static int ipcmon_cpu_offline(unsigned int cpu)
{
	struct ipcmon_cpu *c = per_cpu_ptr(&ipcmon_cpus, cpu);
	unsigned long flags;

	local_irq_save(flags);
	WRITE_ONCE(c->active, false);
	local_irq_restore(flags);
	/* with active clear, nothing on this CPU arms the tick again */
	hrtimer_cancel(&c->tick);
	c->tick_armed = false;
	ipcmon_release_events(c);
	return 0;
}

static long ipcmon_recover_cpu(void *arg)
{
	return ipcmon_cpu_start((unsigned long)arg);
}

/*
 * Hardware mode: re-enable counters that went to ERROR (a pinned event
 * that could not be scheduled stays there until enabled again), and create
 * those a CPU could not get when it came up.  Not from the probe: both
 * sleep.
 */
static void ipcmon_recover(struct work_struct *work)
{
	int cpu;

	cpus_read_lock();
	for_each_online_cpu(cpu) {
		struct ipcmon_cpu *c = per_cpu_ptr(&ipcmon_cpus, cpu);

		if (!READ_ONCE(c->active)) {
			if (work_on_cpu(cpu, ipcmon_recover_cpu,
					(void *)(unsigned long)cpu))
				continue;
			pr_info("CPU %d: hardware counters created, counting\n",
				cpu);
		} else if (READ_ONCE(c->hw_error)) {
			/*
			 * Leaves ERROR if they fit now, else goes back to it
			 * and is tried again later.  The probe starts a new
			 * baseline once they read.
			 */
			perf_event_enable(c->cycles);
			perf_event_enable(c->instructions);
			pr_info("CPU %d: hardware counters in error, re-enabled\n",
				cpu);
		} else {
			continue;
		}
		WRITE_ONCE(c->recoveries, c->recoveries + 1);
	}
	cpus_read_unlock();
}

static int ipcmon_hw_available(void)
{
	int cpu = cpumask_first(cpu_online_mask);
	struct perf_event *ev;

	ev = ipcmon_create_event(cpu, PERF_COUNT_HW_CPU_CYCLES);
	if (IS_ERR(ev))
		return PTR_ERR(ev);
	perf_event_release_kernel(ev);
	ev = ipcmon_create_event(cpu, PERF_COUNT_HW_INSTRUCTIONS);
	if (IS_ERR(ev))
		return PTR_ERR(ev);
	perf_event_release_kernel(ev);
	return 0;
}

static int ipcmon_cpus_start(void)
{
	int ret;

	atomic_set(&ipcmon_hw_failures, 0);
	ret = cpuhp_setup_state(CPUHP_AP_ONLINE_DYN, "smtcheck/ipcmon:online",
				ipcmon_cpu_online, ipcmon_cpu_offline);
	if (ret < 0)
		return ret;
	ipcmon_hp_state = ret;
	return 0;
}

static void ipcmon_cpus_stop(void)
{
	if (ipcmon_hp_state >= 0)
		cpuhp_remove_state(ipcmon_hp_state);
	ipcmon_hp_state = -1;
}

static int ipcmon_setup_counters(void)
{
	int ret;

	if (ipcmon_req_mode == IPCMON_MODE_SOFTWARE) {
		ipcmon_mode = IPCMON_MODE_SOFTWARE;
		return ipcmon_cpus_start();
	}

	ret = ipcmon_hw_available();
	if (ret) {
		if (ipcmon_req_mode == IPCMON_MODE_HARDWARE) {
			pr_err("hardware counters requested but unavailable (%d)\n",
			       ret);
			return -ENODEV;
		}
		pr_info("no hardware counters (%d), using software mode\n", ret);
		ipcmon_mode = IPCMON_MODE_SOFTWARE;
		return ipcmon_cpus_start();
	}

	ipcmon_mode = IPCMON_MODE_HARDWARE;
	ret = ipcmon_cpus_start();
	if (ret || !atomic_read(&ipcmon_hw_failures)) {
		if (!ret)
			pr_info("Permanently consumes two hw-PMU counters (cycles, instructions) on each of %u CPUs\n",
				num_online_cpus());
		return ret;
	}

	/* Some CPU could not get counters: all or nothing. */
	ipcmon_cpus_stop();
	if (ipcmon_req_mode == IPCMON_MODE_HARDWARE)
		return -ENODEV;
	pr_info("hardware counters missing on some CPUs, using software mode\n");
	ipcmon_mode = IPCMON_MODE_SOFTWARE;
	return ipcmon_cpus_start();
}

/* ---- slot management -------------------------------------------------- */

int ipcmon_claim_slot(struct pid *pgrp, s32 pgid, s32 jobid, s32 worker_num)
{
	unsigned long key = (unsigned long)pgrp;
	struct ipcmon_node *n, *m;
	struct pgid_slot_user *k;
	int slot;

	if (!pgrp || pgid <= 0 || jobid < 0 || worker_num <= 0)
		return -EINVAL;

	n = kzalloc(sizeof(*n), GFP_KERNEL);
	if (!n)
		return -ENOMEM;
	n->counts = alloc_percpu(struct ipcmon_count);
	if (!n->counts) {
		kfree(n);
		return -ENOMEM;
	}

	mutex_lock(&ipcmon_lock);
	hash_for_each_possible(ipcmon_hash, m, hnode, key) {
		if (m->pid == pgrp) {
			slot = -EEXIST;
			goto out_free;
		}
	}
	slot = find_first_zero_bit(ipcmon_mask(), IPCMON_MAX_SLOTS);
	if (slot >= IPCMON_MAX_SLOTS) {
		slot = -ENOSPC;
		goto out_free;
	}
	if (!ipcmon_counting) {
		int ret = ipcmon_start_counting();

		if (ret) {
			slot = ret;
			goto out_free;
		}
	}

	n->pid = get_pid(pgrp);
	n->slot = slot;
	k = &ipcmon_state->slots[slot];
	k->pgid = pgid;
	k->global_jobid = jobid;
	k->worker_num = worker_num;
	k->cycles = 0;
	k->instructions = 0;
	ipcmon_publish_slot(slot);
	ipcmon_owner[slot] = n;

	hash_add_rcu(ipcmon_hash, &n->hnode, key);

	/* The slot is complete before userspace sees its bit. */
	smp_wmb();
	__set_bit(slot, ipcmon_mask());
	ipcmon_state->count++;
	ipcmon_publish_header();
	mutex_unlock(&ipcmon_lock);
	return slot;

out_free:
	mutex_unlock(&ipcmon_lock);
	free_percpu(n->counts);
	kfree(n);
	return slot;
}
EXPORT_SYMBOL_GPL(ipcmon_claim_slot);

static void ipcmon_free_node(struct rcu_head *rcu)
{
	struct ipcmon_node *n = container_of(rcu, struct ipcmon_node, rcu);

	free_percpu(n->counts);
	kfree(n);
}

/* Called with ipcmon_lock held. */
static void __ipcmon_release(int slot)
{
	struct pgid_slot_user *k = &ipcmon_state->slots[slot];
	struct ipcmon_node *n = ipcmon_owner[slot];
	struct pid *pid = n->pid;

	__clear_bit(slot, ipcmon_mask());
	ipcmon_state->count--;
	ipcmon_publish_header();
	/* the bit is clear before userspace can see the slot emptied */
	smp_wmb();

	ipcmon_owner[slot] = NULL;
	k->pgid = 0;
	k->global_jobid = 0;
	k->worker_num = 0;
	k->cycles = 0;
	k->instructions = 0;
	ipcmon_publish_slot(slot);

	hash_del_rcu(&n->hnode);
	/* Walkers only compare the pointer; none will match it again. */
	WRITE_ONCE(n->pid, NULL);
	put_pid(pid);
	call_rcu(&n->rcu, ipcmon_free_node);

	if (!ipcmon_state->count)
		ipcmon_stop_counting();
}

int ipcmon_release_slot(int slot, struct pid *pgrp)
{
	struct ipcmon_node *n;
	int ret = 0;

	if (slot < 0 || slot >= IPCMON_MAX_SLOTS)
		return -EINVAL;

	mutex_lock(&ipcmon_lock);
	n = ipcmon_owner[slot];
	if (!n || n->pid != pgrp)
		ret = -ESRCH;
	else
		__ipcmon_release(slot);
	mutex_unlock(&ipcmon_lock);
	return ret;
}
EXPORT_SYMBOL_GPL(ipcmon_release_slot);

/* Called with ipcmon_lock held: later folds count from here. */
static void ipcmon_zero_counters(int slot)
{
	struct ipcmon_node *n = ipcmon_owner[slot];

	ipcmon_sum(n, &n->base_cycles, &n->base_instructions);
	ipcmon_write_counts(slot, 0, 0);
}

static int ipcmon_reset(s32 slot)
{
	int i, ret = 0;

	if (slot != IPCMON_RESET_ALL && (slot < 0 || slot >= IPCMON_MAX_SLOTS))
		return -EINVAL;

	mutex_lock(&ipcmon_lock);
	if (slot == IPCMON_RESET_ALL) {
		for (i = 0; i < IPCMON_MAX_SLOTS; i++)
			if (ipcmon_owner[i])
				ipcmon_zero_counters(i);
	} else if (!ipcmon_owner[slot]) {
		ret = -ESRCH;
	} else {
		ipcmon_zero_counters(slot);
	}
	mutex_unlock(&ipcmon_lock);
	return ret;
}

static int ipcmon_get_cpu_info(struct ipcmon_cpu_info __user *uarg)
{
	struct ipcmon_cpu_info info;
	struct ipcmon_cpu *c;
	u32 cpu;

	if (copy_from_user(&info, uarg, sizeof(info)))
		return -EFAULT;
	if (info.reserved || info.cpu >= nr_cpu_ids)
		return -EINVAL;
	cpu = array_index_nospec(info.cpu, nr_cpu_ids);
	c = per_cpu_ptr(&ipcmon_cpus, cpu);

	info = (struct ipcmon_cpu_info){ .cpu = cpu };
	if (cpu_possible(cpu)) {
		bool online = cpu_online(cpu);

		if (online && READ_ONCE(c->active) && !READ_ONCE(c->hw_error))
			info.mode = ipcmon_mode == IPCMON_MODE_HARDWARE ?
				    IPCMON_CPU_HARDWARE : IPCMON_CPU_SOFTWARE;
		if (online)
			info.flags |= IPCMON_CPU_ONLINE;
		if (online && !READ_ONCE(c->housekeeping))
			info.flags |= IPCMON_CPU_NO_FLUSH;
		if (online && ipcmon_mode == IPCMON_MODE_HARDWARE &&
		    (!READ_ONCE(c->active) || READ_ONCE(c->hw_error)))
			info.flags |= IPCMON_CPU_HW_ERROR;
		info.flush_ticks = READ_ONCE(c->ticks);
		info.recoveries = READ_ONCE(c->recoveries);
	}
	if (copy_to_user(uarg, &info, sizeof(info)))
		return -EFAULT;
	return 0;
}

/* ---- character device ------------------------------------------------- */

static long ipcmon_ioctl(struct file *file, unsigned int cmd,
			 unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case IPCMON_IOC_RESET: {
		struct ipcmon_reset_args a;

		if (!perfmon_capable())
			return -EPERM;
		if (copy_from_user(&a, uarg, sizeof(a)))
			return -EFAULT;
		if (a.flags)
			return -EINVAL;
		return ipcmon_reset(a.slot);
	}
	case IPCMON_IOC_GET_INFO: {
		struct ipcmon_info info = {
			.abi_version = SMTCHECK_ABI_VERSION,
			.counter_mode = ipcmon_mode,
			.nr_slots = IPCMON_MAX_SLOTS,
			.table_size = sizeof(struct ipc_shared),
			.map_size = ipcmon_map_size,
			.flush_interval_ms = flush_interval_ms,
		};

		if (copy_to_user(uarg, &info, sizeof(info)))
			return -EFAULT;
		return 0;
	}
	case IPCMON_IOC_GET_CPU_INFO:
		return ipcmon_get_cpu_info(uarg);
	case IPCMON_ORIG_IOC_RESET_COUNTERS:
		/* the original's reset: every slot, the argument is ignored */
		if (!perfmon_capable())
			return -EPERM;
		return ipcmon_reset(IPCMON_RESET_ALL);
	default:
		return -ENOTTY;
	}
}

/*
 * The original SMTcheck's readers map the table writable (ctypes needs a
 * writable buffer).  The kernel never reads the mapped pages (ipcmon_state
 * is its copy), so a write there changes only what readers see until the
 * kernel next writes that part; that can still hide or fake a group from
 * every other reader meanwhile, so only a process that may reset the
 * counters may map it writable.  Shared only: a private copy would stop
 * showing live counts at its first write.
 */
static int ipcmon_mmap(struct file *file, struct vm_area_struct *vma)
{
	unsigned long size = vma->vm_end - vma->vm_start;
	unsigned long drop = VM_MAYEXEC;
	bool may_write = (vma->vm_flags & VM_SHARED) && perfmon_capable();

	if ((vma->vm_flags & VM_EXEC) ||
	    ((vma->vm_flags & VM_WRITE) && !may_write))
		return -EACCES;
	if (vma->vm_pgoff || size > ipcmon_map_size)
		return -EINVAL;
	if (!may_write)
		drop |= VM_MAYWRITE;
	/* vm_flags became read-only (vm_flags_clear()) in 6.3 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	vm_flags_clear(vma, drop);
#else
	vma->vm_flags &= ~drop;
#endif
	return remap_vmalloc_range(vma, ipcmon_table, 0);
}

static const struct file_operations ipcmon_fops = {
	.owner = THIS_MODULE,
	.open = nonseekable_open,
	.unlocked_ioctl = ipcmon_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.mmap = ipcmon_mmap,
};

static struct miscdevice ipcmon_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "IPC_monitor",
	.fops = &ipcmon_fops,
	.mode = 0600,
};

/* ---- load / unload ---------------------------------------------------- */

static void ipcmon_find_tp(struct tracepoint *tp, void *priv)
{
	if (!strcmp(tp->name, "sched_switch"))
		*(struct tracepoint **)priv = tp;
}

static void ipcmon_free_all_slots(void)
{
	int i;

	mutex_lock(&ipcmon_lock);
	for (i = 0; i < IPCMON_MAX_SLOTS; i++)
		if (ipcmon_owner[i])
			__ipcmon_release(i);
	mutex_unlock(&ipcmon_lock);
}

static int __init ipcmon_init(void)
{
	int cpu, ret;

	BUILD_BUG_ON(sizeof(unsigned long) != sizeof(__u64));
	BUILD_BUG_ON(sizeof(struct ipc_shared) != IPCMON_SHARED_SIZE);
	BUILD_BUG_ON(offsetof(struct ipc_shared, slots) != IPCMON_OFF_SLOTS);
	/* the prototype tracepoint_probe_register() cannot check */
	check_trace_callback_type_sched_switch(ipcmon_sched_switch);

	if (flush_interval_ms > IPCMON_FLUSH_MAX_MS) {
		pr_err("flush_interval_ms must be 0..%u\n", IPCMON_FLUSH_MAX_MS);
		return -EINVAL;
	}

	ipcmon_tp = NULL;
	for_each_kernel_tracepoint(ipcmon_find_tp, &ipcmon_tp);
	if (!ipcmon_tp) {
		pr_err("sched_switch tracepoint not found\n");
		return -ENOENT;
	}

	ipcmon_map_size = PAGE_ALIGN(sizeof(struct ipc_shared));
	ipcmon_table = vmalloc_user(ipcmon_map_size);
	ipcmon_state = vzalloc(sizeof(*ipcmon_state));
	if (!ipcmon_table || !ipcmon_state) {
		ret = -ENOMEM;
		goto err_table;
	}
	for_each_possible_cpu(cpu) {
		struct ipcmon_cpu *c = per_cpu_ptr(&ipcmon_cpus, cpu);

		hrtimer_init(&c->tick, CLOCK_MONOTONIC,
			     HRTIMER_MODE_REL_PINNED_HARD);
		c->tick.function = ipcmon_tick;
	}

	ret = ipcmon_setup_counters();
	if (ret)
		goto err_table;

	ret = misc_register(&ipcmon_dev);
	if (ret)
		goto err_cpus;

	ipcmon_mode_final = true;
	pr_info("loaded: %s counters, %zu byte table\n",
		ipcmon_mode == IPCMON_MODE_HARDWARE ? "hardware" : "software",
		sizeof(struct ipc_shared));
	return 0;

err_cpus:
	ipcmon_cpus_stop();
err_table:
	vfree(ipcmon_state);
	ipcmon_state = NULL;
	vfree(ipcmon_table);
	ipcmon_table = NULL;
	return ret;
}

static void __exit ipcmon_exit(void)
{
	/*
	 * Open files and mappings pin this module (fops.owner; a mapping
	 * holds its file), so no user of the table is left by now.
	 * runtime_monitor released its slots before it could go away; the
	 * last release unregisters the probe.
	 */
	misc_deregister(&ipcmon_dev);
	ipcmon_free_all_slots();
	tracepoint_synchronize_unregister();
	cancel_delayed_work_sync(&ipcmon_fold_work);
	cancel_work_sync(&ipcmon_recover_work);
	ipcmon_cpus_stop();
	/* nodes freed by call_rcu(); their callback is this module's code */
	rcu_barrier();
	vfree(ipcmon_state);
	ipcmon_state = NULL;
	vfree(ipcmon_table);
	ipcmon_table = NULL;
	pr_info("unloaded\n");
}

module_init(ipcmon_init);
module_exit(ipcmon_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("smtcheck developers");
MODULE_DESCRIPTION("Per process group cycle/instruction counters for smtcheck");
