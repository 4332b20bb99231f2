// SPDX-License-Identifier: GPL-2.0
/*
 * IPC_monitor - per process group cycle and instruction counters.
 *
 * Every CPU owns two pinned perf counters (cycles, instructions).  At each
 * sched_switch the counters are read and the difference since the last
 * read on that CPU is charged to the outgoing task's process group, if that
 * group holds a slot of the shared table.  A per-CPU hrtimer charges the
 * running task every flush_interval_ms so that a task that is never
 * switched out still shows progress.  Without hardware counters (virtual
 * machines, emulators) the module runs in software mode: on-CPU
 * nanoseconds are charged to "cycles" and "instructions" stays 0.
 *
 * The table (struct ipc_shared, see smtcheck_uapi.h) lives in vmalloc_user()
 * memory that userspace maps read-only.  Slots are claimed and released by
 * runtime_monitor through the exported ipcmon_claim_slot() and
 * ipcmon_release_slot().  The sched_switch probe and the flush timer find a
 * group's slot through an RCU hash keyed by struct pid pointer; a per-slot
 * raw spinlock serialises writers, and the slot's seq field is a seqcount
 * for the lockless readers in userspace.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/cpuhotplug.h>
#include <linux/fs.h>
#include <linux/hashtable.h>
#include <linux/hrtimer.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/perf_event.h>
#include <linux/pid.h>
#include <linux/rculist.h>
#include <linux/sched.h>
#include <linux/sched/clock.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/tracepoint.h>
#include <linux/uaccess.h>
#include <linux/version.h>
#include <linux/vmalloc.h>

#include "smtcheck_uapi.h"
#include "ipc_monitor_kapi.h"

#define IPCMON_MODE_AUTO	(-1)
#define IPCMON_HASH_BITS	10
#define IPCMON_FLUSH_MAX_MS	60000

/* One per claimed slot; lives in the hash, freed after a grace period. */
struct ipcmon_node {
	struct hlist_node hnode;
	struct pid *pid;
	int slot;
	struct rcu_head rcu;
};

/* Kernel-private side of a slot. */
struct ipcmon_kslot {
	raw_spinlock_t lock;		/* serialises writers of the slot */
	struct ipcmon_node *owner;	/* NULL when free; under lock */
};

struct ipcmon_cpu {
	struct perf_event *cycles;
	struct perf_event *instructions;
	u64 last_cycles;
	u64 last_instructions;
	u64 last_ns;
	bool active;
	struct hrtimer flush;
};

static struct ipc_shared *ipcmon_table;
static size_t ipcmon_map_size;
static struct ipcmon_kslot ipcmon_kslots[IPCMON_MAX_SLOTS];
static DEFINE_HASHTABLE(ipcmon_hash, IPCMON_HASH_BITS);
static DEFINE_MUTEX(ipcmon_lock);	/* claim, release, reset */
static DEFINE_PER_CPU(struct ipcmon_cpu, ipcmon_cpus);
static struct tracepoint *ipcmon_tp;
static int ipcmon_hp_state = -1;
static atomic_t ipcmon_hw_failures = ATOMIC_INIT(0);

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

/* ---- seqcount writers ------------------------------------------------- */

static inline void slot_write_begin(struct pgid_slot_user *u)
{
	WRITE_ONCE(u->seq, u->seq + 1);
	/* odd seq is visible before any field changes; pairs with reader */
	smp_wmb();
}

static inline void slot_write_end(struct pgid_slot_user *u)
{
	/* fields are visible before seq turns even again */
	smp_wmb();
	WRITE_ONCE(u->seq, u->seq + 1);
}

static inline unsigned long *ipcmon_mask(void)
{
	return (unsigned long *)ipcmon_table->active_mask;
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
	 * Called with IRQs disabled (scheduler or hardirq), which is an RCU
	 * read-side critical section; the _notrace walk avoids calling into
	 * RCU from under the runqueue lock.
	 */
	hash_for_each_possible_rcu_notrace(ipcmon_hash, n, hnode,
					   (unsigned long)pgrp) {
		struct ipcmon_kslot *ks;
		struct pgid_slot_user *u;
		bool charged = false;

		if (READ_ONCE(n->pid) != pgrp)
			continue;
		ks = &ipcmon_kslots[n->slot];
		u = &ipcmon_table->slots[n->slot];
		raw_spin_lock(&ks->lock);
		if (ks->owner == n) {
			slot_write_begin(u);
			WRITE_ONCE(u->cycles, u->cycles + dcycles);
			WRITE_ONCE(u->instructions, u->instructions + dinstr);
			slot_write_end(u);
			charged = true;
		}
		raw_spin_unlock(&ks->lock);
		if (charged)
			break;
	}
}

static void ipcmon_account(struct task_struct *p)
{
	struct ipcmon_cpu *c = this_cpu_ptr(&ipcmon_cpus);
	u64 dcycles, dinstr;

	if (!READ_ONCE(c->active))
		return;

	if (ipcmon_mode == IPCMON_MODE_HARDWARE) {
		u64 cyc, ins;

		if (ipcmon_read_counter(c->cycles, &cyc) ||
		    ipcmon_read_counter(c->instructions, &ins))
			return;
		dcycles = cyc - c->last_cycles;
		dinstr = ins - c->last_instructions;
		c->last_cycles = cyc;
		c->last_instructions = ins;
	} else {
		u64 now = local_clock();

		dcycles = now - c->last_ns;
		dinstr = 0;
		c->last_ns = now;
	}

	if (!p || is_idle_task(p) || !READ_ONCE(ipcmon_table->count))
		return;
	ipcmon_charge(p, dcycles, dinstr);
}

static void ipcmon_sched_switch(void *data, bool preempt,
				struct task_struct *prev,
				struct task_struct *next,
				unsigned int prev_state)
{
	ipcmon_account(prev);
}

static enum hrtimer_restart ipcmon_flush(struct hrtimer *t)
{
	ipcmon_account(current);
	hrtimer_forward_now(t, ms_to_ktime(flush_interval_ms));
	return HRTIMER_RESTART;
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

static int ipcmon_cpu_online(unsigned int cpu)
{
	struct ipcmon_cpu *c = per_cpu_ptr(&ipcmon_cpus, cpu);
	unsigned long flags;

	if (ipcmon_mode == IPCMON_MODE_HARDWARE) {
		struct perf_event *ev;

		ev = ipcmon_create_event(cpu, PERF_COUNT_HW_CPU_CYCLES);
		if (IS_ERR(ev))
			goto fail;
		c->cycles = ev;
		ev = ipcmon_create_event(cpu, PERF_COUNT_HW_INSTRUCTIONS);
		if (IS_ERR(ev))
			goto fail;
		c->instructions = ev;
	}

	local_irq_save(flags);
	if (ipcmon_mode == IPCMON_MODE_HARDWARE) {
		if (ipcmon_read_counter(c->cycles, &c->last_cycles) ||
		    ipcmon_read_counter(c->instructions,
					&c->last_instructions)) {
			local_irq_restore(flags);
			goto fail;
		}
	}
	c->last_ns = local_clock();
	WRITE_ONCE(c->active, true);
	local_irq_restore(flags);

	if (flush_interval_ms) {
		hrtimer_init(&c->flush, CLOCK_MONOTONIC, HRTIMER_MODE_REL_PINNED);
		c->flush.function = ipcmon_flush;
		hrtimer_start(&c->flush, ms_to_ktime(flush_interval_ms),
			      HRTIMER_MODE_REL_PINNED);
	}
	return 0;

fail:
	/* Leave the CPU uncounted rather than refuse to bring it up. */
	ipcmon_release_events(c);
	atomic_inc(&ipcmon_hw_failures);
	pr_warn("no hardware counters on CPU %u, not counting there\n", cpu);
	return 0;
}

static int ipcmon_cpu_offline(unsigned int cpu)
{
	struct ipcmon_cpu *c = per_cpu_ptr(&ipcmon_cpus, cpu);
	unsigned long flags;
	bool was_active;

	local_irq_save(flags);
	was_active = c->active;
	WRITE_ONCE(c->active, false);
	local_irq_restore(flags);

	if (was_active && flush_interval_ms)
		hrtimer_cancel(&c->flush);
	ipcmon_release_events(c);
	return 0;
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
	if (ret || !atomic_read(&ipcmon_hw_failures))
		return ret;

	/* Some CPU could not get counters: all or nothing. */
	ipcmon_cpus_stop();
	if (ipcmon_req_mode == IPCMON_MODE_HARDWARE)
		return -ENODEV;
	pr_info("hardware counters missing on some CPUs, using software mode\n");
	ipcmon_mode = IPCMON_MODE_SOFTWARE;
	return ipcmon_cpus_start();
}

/* ---- slot management -------------------------------------------------- */

static void ipcmon_zero_counters(int slot)
{
	struct ipcmon_kslot *ks = &ipcmon_kslots[slot];
	struct pgid_slot_user *u = &ipcmon_table->slots[slot];
	unsigned long flags;

	raw_spin_lock_irqsave(&ks->lock, flags);
	slot_write_begin(u);
	WRITE_ONCE(u->cycles, 0);
	WRITE_ONCE(u->instructions, 0);
	slot_write_end(u);
	raw_spin_unlock_irqrestore(&ks->lock, flags);
}

int ipcmon_claim_slot(struct pid *pgrp, s32 pgid, s32 jobid, s32 worker_num)
{
	unsigned long key = (unsigned long)pgrp;
	struct ipcmon_node *n, *m;
	struct ipcmon_kslot *ks;
	struct pgid_slot_user *u;
	unsigned long flags;
	int slot;

	if (!pgrp || pgid <= 0 || jobid < 0 || worker_num <= 0)
		return -EINVAL;

	n = kzalloc(sizeof(*n), GFP_KERNEL);
	if (!n)
		return -ENOMEM;

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

	n->pid = get_pid(pgrp);
	n->slot = slot;
	ks = &ipcmon_kslots[slot];
	u = &ipcmon_table->slots[slot];

	raw_spin_lock_irqsave(&ks->lock, flags);
	slot_write_begin(u);
	WRITE_ONCE(u->pgid, pgid);
	WRITE_ONCE(u->global_jobid, jobid);
	WRITE_ONCE(u->worker_num, worker_num);
	WRITE_ONCE(u->cycles, 0);
	WRITE_ONCE(u->instructions, 0);
	slot_write_end(u);
	ks->owner = n;
	raw_spin_unlock_irqrestore(&ks->lock, flags);

	hash_add_rcu(ipcmon_hash, &n->hnode, key);

	/* The slot is complete before userspace sees its bit. */
	smp_mb__before_atomic();
	set_bit(slot, ipcmon_mask());
	WRITE_ONCE(ipcmon_table->count, ipcmon_table->count + 1);
	mutex_unlock(&ipcmon_lock);
	return slot;

out_free:
	mutex_unlock(&ipcmon_lock);
	kfree(n);
	return slot;
}
EXPORT_SYMBOL_GPL(ipcmon_claim_slot);

/* Called with ipcmon_lock held. */
static void __ipcmon_release(int slot)
{
	struct ipcmon_kslot *ks = &ipcmon_kslots[slot];
	struct pgid_slot_user *u = &ipcmon_table->slots[slot];
	struct ipcmon_node *n = ks->owner;
	unsigned long flags;

	clear_bit(slot, ipcmon_mask());
	WRITE_ONCE(ipcmon_table->count, ipcmon_table->count - 1);
	/* the bit is clear before userspace can see the slot emptied */
	smp_mb__after_atomic();

	raw_spin_lock_irqsave(&ks->lock, flags);
	ks->owner = NULL;
	slot_write_begin(u);
	WRITE_ONCE(u->pgid, 0);
	WRITE_ONCE(u->global_jobid, 0);
	WRITE_ONCE(u->worker_num, 0);
	WRITE_ONCE(u->cycles, 0);
	WRITE_ONCE(u->instructions, 0);
	slot_write_end(u);
	raw_spin_unlock_irqrestore(&ks->lock, flags);

	hash_del_rcu(&n->hnode);
	/* Readers only compare the pointer; owner == NULL stops them. */
	put_pid(n->pid);
	kfree_rcu(n, rcu);
}

int ipcmon_release_slot(int slot, struct pid *pgrp)
{
	struct ipcmon_node *n;
	int ret = 0;

	if (slot < 0 || slot >= IPCMON_MAX_SLOTS)
		return -EINVAL;

	mutex_lock(&ipcmon_lock);
	n = ipcmon_kslots[slot].owner;
	if (!n || n->pid != pgrp)
		ret = -ESRCH;
	else
		__ipcmon_release(slot);
	mutex_unlock(&ipcmon_lock);
	return ret;
}
EXPORT_SYMBOL_GPL(ipcmon_release_slot);

static int ipcmon_reset(s32 slot)
{
	int i, ret = 0;

	if (slot != IPCMON_RESET_ALL && (slot < 0 || slot >= IPCMON_MAX_SLOTS))
		return -EINVAL;

	mutex_lock(&ipcmon_lock);
	if (slot == IPCMON_RESET_ALL) {
		for (i = 0; i < IPCMON_MAX_SLOTS; i++)
			if (ipcmon_kslots[i].owner)
				ipcmon_zero_counters(i);
	} else if (!ipcmon_kslots[slot].owner) {
		ret = -ESRCH;
	} else {
		ipcmon_zero_counters(slot);
	}
	mutex_unlock(&ipcmon_lock);
	return ret;
}

/* ---- character device ------------------------------------------------- */

static long ipcmon_ioctl(struct file *file, unsigned int cmd,
			 unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case IPCMON_IOC_RESET: {
		struct ipcmon_reset_args a;

		if (!capable(CAP_SYS_ADMIN))
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
	default:
		return -ENOTTY;
	}
}

static int ipcmon_mmap(struct file *file, struct vm_area_struct *vma)
{
	unsigned long size = vma->vm_end - vma->vm_start;

	if (vma->vm_flags & (VM_WRITE | VM_EXEC))
		return -EACCES;
	if (vma->vm_pgoff || size > ipcmon_map_size)
		return -EINVAL;
	/* vm_flags became read-only (vm_flags_clear()) in 6.3 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	vm_flags_clear(vma, VM_MAYWRITE | VM_MAYEXEC);
#else
	vma->vm_flags &= ~(VM_MAYWRITE | VM_MAYEXEC);
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
		if (ipcmon_kslots[i].owner)
			__ipcmon_release(i);
	mutex_unlock(&ipcmon_lock);
}

static int __init ipcmon_init(void)
{
	int i, ret;

	BUILD_BUG_ON(sizeof(unsigned long) != sizeof(__u64));
	BUILD_BUG_ON(sizeof(struct ipc_shared) != IPCMON_SHARED_SIZE);
	BUILD_BUG_ON(offsetof(struct ipc_shared, slots) != IPCMON_OFF_SLOTS);

	if (flush_interval_ms > IPCMON_FLUSH_MAX_MS) {
		pr_err("flush_interval_ms must be 0..%u\n", IPCMON_FLUSH_MAX_MS);
		return -EINVAL;
	}

	ipcmon_map_size = PAGE_ALIGN(sizeof(struct ipc_shared));
	ipcmon_table = vmalloc_user(ipcmon_map_size);
	if (!ipcmon_table)
		return -ENOMEM;
	for (i = 0; i < IPCMON_MAX_SLOTS; i++) {
		raw_spin_lock_init(&ipcmon_kslots[i].lock);
		ipcmon_kslots[i].owner = NULL;
	}

	ret = ipcmon_setup_counters();
	if (ret)
		goto err_table;

	ipcmon_tp = NULL;
	for_each_kernel_tracepoint(ipcmon_find_tp, &ipcmon_tp);
	if (!ipcmon_tp) {
		pr_err("sched_switch tracepoint not found\n");
		ret = -ENOENT;
		goto err_cpus;
	}
	ret = tracepoint_probe_register(ipcmon_tp, ipcmon_sched_switch, NULL);
	if (ret)
		goto err_cpus;

	ret = misc_register(&ipcmon_dev);
	if (ret)
		goto err_probe;

	ipcmon_mode_final = true;
	pr_info("loaded: %s counters, %zu byte table\n",
		ipcmon_mode == IPCMON_MODE_HARDWARE ? "hardware" : "software",
		sizeof(struct ipc_shared));
	return 0;

err_probe:
	tracepoint_probe_unregister(ipcmon_tp, ipcmon_sched_switch, NULL);
	tracepoint_synchronize_unregister();
err_cpus:
	ipcmon_cpus_stop();
err_table:
	vfree(ipcmon_table);
	ipcmon_table = NULL;
	return ret;
}

static void __exit ipcmon_exit(void)
{
	/*
	 * Open files and mappings pin this module (fops.owner; a mapping
	 * holds its file), so no user of the table is left by now.
	 */
	misc_deregister(&ipcmon_dev);
	tracepoint_probe_unregister(ipcmon_tp, ipcmon_sched_switch, NULL);
	tracepoint_synchronize_unregister();
	ipcmon_cpus_stop();
	/* runtime_monitor released its slots before it could go away. */
	ipcmon_free_all_slots();
	synchronize_rcu();
	vfree(ipcmon_table);
	ipcmon_table = NULL;
	pr_info("unloaded\n");
}

module_init(ipcmon_init);
module_exit(ipcmon_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("smtcheck developers");
MODULE_DESCRIPTION("Per process group cycle/instruction counters for smtcheck");
