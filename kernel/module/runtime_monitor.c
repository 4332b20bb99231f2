// SPDX-License-Identifier: GPL-2.0
/*
 * runtime_monitor - finds long-running process groups and hands them to
 * the smtcheck daemon.
 *
 * Process groups are registered with RTMON_IOC_ADD_PGID.  A delayed work
 * item scans them every scan_interval_ms: a group whose oldest process has
 * run longer than the threshold is reported once (RTMON_NL_LONG_RUNNING) by
 * netlink unicast to the data loader; when the data loader acknowledges
 * (RTMON_NL_ACK) the group gets a slot in IPC_monitor's table and the
 * answer (RTMON_NL_REGISTERED) tells which.  Groups whose processes have
 * all exited lose their slot and the data loader gets RTMON_NL_RELEASED.
 *
 * The data loader is the netlink socket that registered itself with
 * RTMON_NL_REGISTER (as auditd does with the audit unit): messages go to
 * the port that socket really has, never to a number userspace names, so
 * another user binding some port first receives nothing.
 *
 * Locking: rtmon_lock (mutex) protects the group table, the settings and
 * the registration; it is taken by the ioctls, the netlink input (sender's
 * context), the netlink release notifier and the scan work, and nests
 * outside IPC_monitor's own lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/delay.h>
#include <linux/fs.h>
#include <linux/hashtable.h>
#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/netlink.h>
#include <linux/notifier.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>
#include <net/net_namespace.h>
#include <net/netlink.h>
#include <net/sock.h>

#include "smtcheck_uapi.h"
#include "ipc_monitor_kapi.h"

#define RTMON_HASH_BITS		10
#define RTMON_MAX_GROUPS_LIMIT	65536
#define RTMON_SCAN_MIN_MS	10
#define RTMON_SCAN_MAX_MS	60000
/* Scans a RELEASED message is retried for while the reader is full. */
#define RTMON_RELEASE_RETRIES	10

struct rtmon_group {
	struct hlist_node hnode;	/* rtmon_groups, keyed by pgid */
	struct pid *pgrp;		/* reference held */
	s32 pgid;
	s32 jobid;
	s32 worker_num;
	int slot;			/* IPC_monitor slot or -1 */
	u64 start_ns;			/* boottime of oldest process */
	bool reported;			/* LONG_RUNNING delivered */
	bool exited;			/* waiting to deliver RELEASED */
	bool pending;			/* a process not yet leading its group */
	int release_slot;		/* slot that RELEASED reports */
	int release_tries;
};

static DEFINE_MUTEX(rtmon_lock);
static DEFINE_HASHTABLE(rtmon_groups, RTMON_HASH_BITS);
static unsigned int rtmon_nr_groups;
static struct sock *rtmon_nl;
static u32 rtmon_nl_seq;
static struct delayed_work rtmon_scan_work;

/*
 * The registered data loader: its socket's port in init_net (0 = none) and
 * its process.  Dropped when that socket closes or refuses a message.
 */
static u32 rtmon_loader_port;
static struct pid *rtmon_loader;	/* thread group, reference held */

/* ---- module parameters ------------------------------------------------ */

static unsigned int threshold = RTMON_THRESHOLD_DEFAULT;
module_param(threshold, uint, 0444);
MODULE_PARM_DESC(threshold,
		 "seconds a group runs before it is reported (RTMON_IOC_SET_THRESHOLD)");

static int data_loader_pid;
module_param(data_loader_pid, int, 0444);
MODULE_PARM_DESC(data_loader_pid,
		 "only this process may register as the data loader, 0 = any with CAP_PERFMON (RTMON_IOC_SET_DATA_LOADER_PID)");

static unsigned int max_groups = 16384;
module_param(max_groups, uint, 0444);
MODULE_PARM_DESC(max_groups, "most groups registered at once (load time)");

static unsigned int scan_interval_ms = 1000;
module_param(scan_interval_ms, uint, 0444);
MODULE_PARM_DESC(scan_interval_ms, "how often groups are checked, ms (load time)");

static int rtmon_registered_get(char *buf, const struct kernel_param *kp)
{
	pid_t nr;

	mutex_lock(&rtmon_lock);
	nr = pid_nr(rtmon_loader);
	mutex_unlock(&rtmon_lock);
	return sysfs_emit(buf, "%d\n", nr);
}

static int rtmon_registered_set(const char *val, const struct kernel_param *kp)
{
	return -EPERM;	/* only a registration sets it */
}

static const struct kernel_param_ops rtmon_registered_ops = {
	.set = rtmon_registered_set,
	.get = rtmon_registered_get,
};
module_param_cb(registered_pid, &rtmon_registered_ops, NULL, 0444);
MODULE_PARM_DESC(registered_pid,
		 "process registered as the data loader over netlink, 0 = none (read-only)");

/* ---- helpers ---------------------------------------------------------- */

/*
 * Pids and pgids are numbers of the initial pid namespace (find_get_pid()
 * resolves them in the caller's), so callers elsewhere are refused, as
 * taskstats does.
 */
static bool rtmon_in_init_pid_ns(void)
{
	return task_active_pid_ns(current) == &init_pid_ns;
}

static void rtmon_loader_reset(void)
{
	lockdep_assert_held(&rtmon_lock);
	if (rtmon_loader_port)
		pr_info("data loader %d unregistered\n", pid_nr(rtmon_loader));
	rtmon_loader_port = 0;
	put_pid(rtmon_loader);
	rtmon_loader = NULL;
}

static struct rtmon_group *rtmon_find(s32 pgid)
{
	struct rtmon_group *g;

	hash_for_each_possible(rtmon_groups, g, hnode, pgid)
		if (g->pgid == pgid && !g->exited)
			return g;
	return NULL;
}

/*
 * A pending group is alive while its process lives; it becomes a group when
 * that process leads one (setsid() or setpgid(0, 0)), and only then is it
 * reported, acknowledged or counted.
 */
static bool rtmon_group_alive(struct rtmon_group *g)
{
	bool alive;

	rcu_read_lock();
	alive = pid_task(g->pgrp, PIDTYPE_PGID) ||
		(g->pending && pid_task(g->pgrp, PIDTYPE_PID));
	rcu_read_unlock();
	return alive;
}

static bool rtmon_group_settled(struct rtmon_group *g)
{
	bool led;

	if (!g->pending)
		return true;
	rcu_read_lock();
	led = !!pid_task(g->pgrp, PIDTYPE_PGID);
	rcu_read_unlock();
	if (led)
		g->pending = false;
	return led;
}

/* Boottime at which the oldest process of @pgrp started; false if empty. */
static bool rtmon_group_start(struct pid *pgrp, u64 *start)
{
	struct task_struct *t;
	bool found = false;

	*start = U64_MAX;
	rcu_read_lock();
	do_each_pid_task(pgrp, PIDTYPE_PGID, t) {
		found = true;
		if (t->start_boottime < *start)
			*start = t->start_boottime;
	} while_each_pid_task(pgrp, PIDTYPE_PGID, t);
	rcu_read_unlock();
	return found;
}

static int rtmon_send(int type, u32 seq, const void *payload, size_t len)
{
	struct sk_buff *skb;
	struct nlmsghdr *nlh;
	int ret;

	lockdep_assert_held(&rtmon_lock);
	if (!rtmon_loader_port)
		return -ENOTCONN;
	skb = nlmsg_new(len, GFP_KERNEL);
	if (!skb)
		return -ENOMEM;
	nlh = nlmsg_put(skb, 0, seq, type, len, 0);
	if (!nlh) {
		kfree_skb(skb);
		return -EMSGSIZE;
	}
	memcpy(nlmsg_data(nlh), payload, len);
	/* Consumes skb; never blocks on a full receiver. */
	ret = nlmsg_unicast(rtmon_nl, skb, rtmon_loader_port);
	/* Nobody has the port any more (audit does the same). */
	if (ret == -ECONNREFUSED)
		rtmon_loader_reset();
	return ret;
}

static int rtmon_send_long_running(struct rtmon_group *g, u32 reason)
{
	struct rtmon_nl_long_running m = {
		.pgid = g->pgid,
		.global_jobid = g->jobid,
		.worker_num = g->worker_num,
		.reason = reason,
	};
	u64 now = ktime_get_boottime_ns();

	if (now > g->start_ns)
		m.runtime_sec = div_u64(now - g->start_ns, NSEC_PER_SEC);
	return rtmon_send(RTMON_NL_LONG_RUNNING, ++rtmon_nl_seq, &m, sizeof(m));
}

static int rtmon_send_released(struct rtmon_group *g, u32 reason)
{
	struct rtmon_nl_released m = {
		.pgid = g->pgid,
		.global_jobid = g->jobid,
		.slot = g->release_slot,
		.reason = reason,
	};

	return rtmon_send(RTMON_NL_RELEASED, ++rtmon_nl_seq, &m, sizeof(m));
}

static void rtmon_free_group(struct rtmon_group *g)
{
	hash_del(&g->hnode);
	rtmon_nr_groups--;
	put_pid(g->pgrp);
	kfree(g);
}

static void rtmon_drop_slot(struct rtmon_group *g)
{
	g->release_slot = g->slot;
	if (g->slot >= 0)
		WARN_ON(ipcmon_release_slot(g->slot, g->pgrp));
	g->slot = -1;
}

/*
 * The group is gone (all processes exited, or removed): free its slot and
 * tell the data loader if it knew about the group.  Keeps the entry only
 * while a RELEASED message waits for room in the reader's socket.
 */
static void rtmon_retire(struct rtmon_group *g, u32 reason)
{
	int ret;

	rtmon_drop_slot(g);
	if (!g->reported && g->release_slot < 0) {
		rtmon_free_group(g);
		return;
	}
	ret = rtmon_send_released(g, reason);
	if (ret == -EAGAIN && reason == RTMON_RELEASE_EXITED &&
	    ++g->release_tries < RTMON_RELEASE_RETRIES) {
		g->exited = true;
		return;
	}
	rtmon_free_group(g);
}

/* ---- periodic scan ---------------------------------------------------- */

static void rtmon_scan(struct work_struct *work)
{
	u64 limit_ns, now = ktime_get_boottime_ns();
	struct rtmon_group *g;
	struct hlist_node *tmp;
	int bkt;

	mutex_lock(&rtmon_lock);
	limit_ns = (u64)threshold * NSEC_PER_SEC;
	hash_for_each_safe(rtmon_groups, bkt, tmp, g, hnode) {
		if (g->exited) {
			if (rtmon_send_released(g, RTMON_RELEASE_EXITED) != -EAGAIN ||
			    ++g->release_tries >= RTMON_RELEASE_RETRIES)
				rtmon_free_group(g);
			continue;
		}
		if (!rtmon_group_alive(g)) {
			rtmon_retire(g, RTMON_RELEASE_EXITED);
			continue;
		}
		if (!g->reported && rtmon_loader_port &&
		    rtmon_group_settled(g) && now - g->start_ns >= limit_ns &&
		    !rtmon_send_long_running(g, RTMON_REASON_THRESHOLD))
			g->reported = true;
	}
	mutex_unlock(&rtmon_lock);

	schedule_delayed_work(&rtmon_scan_work,
			      msecs_to_jiffies(scan_interval_ms));
}

/* ---- netlink input ---------------------------------------------------- */

/* What the data loader needs: CAP_PERFMON (or CAP_SYS_ADMIN) when it sent. */
static bool rtmon_nl_perfmon(const struct sk_buff *skb)
{
	return netlink_capable(skb, CAP_PERFMON) ||
	       netlink_capable(skb, CAP_SYS_ADMIN);
}

static void rtmon_handle_ack(const struct sk_buff *skb,
			     const struct nlmsghdr *nlh)
{
	const struct rtmon_nl_ack *ack = nlmsg_data(nlh);
	struct rtmon_nl_registered r = {
		.pgid = ack->pgid,
		.global_jobid = ack->global_jobid,
	};
	struct rtmon_group *g;

	mutex_lock(&rtmon_lock);
	/* Only the registered data loader may claim slots. */
	if (!rtmon_loader_port || NETLINK_CB(skb).portid != rtmon_loader_port) {
		mutex_unlock(&rtmon_lock);
		return;
	}
	g = ack->pgid > 0 ? rtmon_find(ack->pgid) : NULL;
	if (!g || !rtmon_group_alive(g) || !rtmon_group_settled(g)) {
		r.slot = -ESRCH;
	} else if (g->jobid != ack->global_jobid) {
		r.slot = -EINVAL;
	} else if (g->slot >= 0) {
		r.slot = g->slot;
	} else {
		r.slot = ipcmon_claim_slot(g->pgrp, g->pgid, g->jobid,
					   g->worker_num);
		if (r.slot >= 0)
			g->slot = r.slot;
	}
	rtmon_send(RTMON_NL_REGISTERED, nlh->nlmsg_seq, &r, sizeof(r));
	mutex_unlock(&rtmon_lock);
}

static int rtmon_register(const struct sk_buff *skb,
			  const struct rtmon_nl_register *req)
{
	u32 port = NETLINK_CB(skb).portid;
	struct pid *tgid = task_tgid(current);
	struct rtmon_group *g;
	int bkt;

	lockdep_assert_held(&rtmon_lock);
	if (!rtmon_nl_perfmon(skb) || !rtmon_in_init_pid_ns())
		return -EPERM;
	if (req->flags || req->reserved)
		return -EINVAL;
	/* Our only socket is in init_net; say so rather than assume it. */
	if (!net_eq(sock_net(NETLINK_CB(skb).sk), &init_net) || !port)
		return -EINVAL;
	if (data_loader_pid && pid_nr(tgid) != data_loader_pid)
		return -EPERM;
	/* Another live process is the data loader. */
	if (rtmon_loader_port && rtmon_loader != tgid)
		return -EEXIST;

	put_pid(rtmon_loader);
	rtmon_loader = get_pid(tgid);
	rtmon_loader_port = port;
	/* A new data loader hears about every long-running group. */
	hash_for_each(rtmon_groups, bkt, g, hnode)
		g->reported = false;
	pr_info("data loader %d registered (port %u)\n", pid_nr(tgid), port);
	return 0;
}

/*
 * RTMON_NL_REGISTER is answered as netlink requests are: an NLMSG_ERROR
 * with the error, or with 0 when NLM_F_ACK asks for it.  The answer is
 * queued under rtmon_lock, so it is the first message a new data loader
 * gets.
 */
static void rtmon_handle_register(struct sk_buff *skb, struct nlmsghdr *nlh)
{
	int err;

	mutex_lock(&rtmon_lock);
	err = rtmon_register(skb, nlmsg_data(nlh));
	if (err || (nlh->nlmsg_flags & NLM_F_ACK))
		netlink_ack(skb, nlh, err, NULL);
	mutex_unlock(&rtmon_lock);
}

static bool rtmon_nl_is(const struct nlmsghdr *nlh, u16 type, size_t len)
{
	return nlh->nlmsg_type == type && nlh->nlmsg_len == NLMSG_LENGTH(len);
}

static void rtmon_nl_input(struct sk_buff *skb)
{
	struct nlmsghdr *nlh = nlmsg_hdr(skb);
	int remaining = skb->len;

	while (nlmsg_ok(nlh, remaining)) {
		if (rtmon_nl_is(nlh, RTMON_NL_REGISTER,
				sizeof(struct rtmon_nl_register)))
			rtmon_handle_register(skb, nlh);
		else if (rtmon_nl_is(nlh, RTMON_NL_ACK,
				     sizeof(struct rtmon_nl_ack)) &&
			 rtmon_nl_perfmon(skb) && rtmon_in_init_pid_ns())
			rtmon_handle_ack(skb, nlh);
		else
			pr_debug("dropped netlink message type %u len %u\n",
				 nlh->nlmsg_type, nlh->nlmsg_len);
		nlh = nlmsg_next(nlh, &remaining);
	}
}

/* The data loader's socket is closing: nobody may have its port after it. */
static int rtmon_nl_notify(struct notifier_block *nb, unsigned long event,
			   void *ptr)
{
	const struct netlink_notify *n = ptr;

	if (event != NETLINK_URELEASE || n->protocol != SMTCHECK_NETLINK_PROTO ||
	    !net_eq(n->net, &init_net))
		return NOTIFY_DONE;
	mutex_lock(&rtmon_lock);
	if (rtmon_loader_port && n->portid == rtmon_loader_port)
		rtmon_loader_reset();
	mutex_unlock(&rtmon_lock);
	return NOTIFY_DONE;
}

static struct notifier_block rtmon_nl_notifier = {
	.notifier_call = rtmon_nl_notify,
};

/* ---- ioctls ----------------------------------------------------------- */

/* Boottime at which process @pid started; false if it has exited. */
static bool rtmon_process_start(struct pid *pid, u64 *start)
{
	struct task_struct *t;

	rcu_read_lock();
	t = pid_task(pid, PIDTYPE_PID);
	if (t)
		*start = t->start_boottime;
	rcu_read_unlock();
	return t;
}

/*
 * @may_wait: a live process that does not lead a group yet is watched as
 * pending until it does (the original's launchers register a child before
 * the child's setsid()).
 */
static int rtmon_add(const struct rtmon_add_pgid_args *a, bool may_wait)
{
	struct rtmon_group *g, *old;
	struct pid *pgrp;
	bool pending = false;
	u64 start;
	int ret = 0;

	if (a->flags || a->pgid <= 0 || a->global_jobid < 0 ||
	    a->worker_num < 1 || a->worker_num > RTMON_WORKERS_MAX)
		return -EINVAL;

	pgrp = find_get_pid(a->pgid);
	if (!pgrp)
		return -ESRCH;
	if (!rtmon_group_start(pgrp, &start)) {
		pending = may_wait && rtmon_process_start(pgrp, &start);
		if (!pending) {
			ret = -ESRCH;
			goto out_put;
		}
	}

	g = kzalloc(sizeof(*g), GFP_KERNEL);
	if (!g) {
		ret = -ENOMEM;
		goto out_put;
	}

	mutex_lock(&rtmon_lock);
	old = rtmon_find(a->pgid);
	if (old) {
		if (old->pgrp == pgrp && rtmon_group_alive(old)) {
			ret = -EEXIST;
			goto out_unlock;
		}
		/* The pgid number was reused: the old group is gone. */
		rtmon_retire(old, RTMON_RELEASE_EXITED);
	}
	if (rtmon_nr_groups >= max_groups) {
		ret = -ENOSPC;
		goto out_unlock;
	}

	g->pgrp = pgrp;
	g->pgid = a->pgid;
	g->jobid = a->global_jobid;
	g->worker_num = a->worker_num;
	g->slot = -1;
	g->release_slot = -1;
	g->start_ns = start;
	g->pending = pending;
	hash_add(rtmon_groups, &g->hnode, g->pgid);
	rtmon_nr_groups++;
	mutex_unlock(&rtmon_lock);
	return 0;

out_unlock:
	mutex_unlock(&rtmon_lock);
	kfree(g);
out_put:
	put_pid(pgrp);
	return ret;
}

static int rtmon_remove(s32 pgid)
{
	struct rtmon_group *g;
	int ret = 0;

	mutex_lock(&rtmon_lock);
	g = rtmon_find(pgid);
	if (g)
		rtmon_retire(g, RTMON_RELEASE_REMOVED);
	else
		ret = -ESRCH;
	mutex_unlock(&rtmon_lock);
	return ret;
}

static int rtmon_request_profile(s32 pgid)
{
	struct rtmon_group *g;
	int ret;

	mutex_lock(&rtmon_lock);
	g = rtmon_find(pgid);
	if (!g || !rtmon_group_alive(g) || !rtmon_group_settled(g)) {
		ret = -ESRCH;
	} else if (!rtmon_loader_port) {
		ret = -ENOTCONN;
	} else {
		ret = rtmon_send_long_running(g, RTMON_REASON_REQUEST);
		if (!ret)
			g->reported = true;
	}
	mutex_unlock(&rtmon_lock);
	return ret;
}

/*
 * Names the only process that may register as the data loader (0: any
 * with CAP_PERFMON).  It no longer says where messages go: a registered
 * loader that is not this process loses its registration.
 */
static int rtmon_check_loader_pid(s32 pid)
{
	struct pid *p;

	if (pid < 0)
		return -EINVAL;
	if (pid) {
		p = find_get_pid(pid);
		if (!p)
			return -ESRCH;
		put_pid(p);
	}
	return 0;
}

static int rtmon_set_data_loader(s32 pid)
{
	int ret = rtmon_check_loader_pid(pid);

	if (ret)
		return ret;
	mutex_lock(&rtmon_lock);
	WRITE_ONCE(data_loader_pid, pid);
	if (pid && rtmon_loader && pid_nr(rtmon_loader) != pid)
		rtmon_loader_reset();
	mutex_unlock(&rtmon_lock);
	return 0;
}

static int rtmon_set_threshold(s64 secs)
{
	if (secs < 1 || secs > RTMON_THRESHOLD_MAX)
		return -EINVAL;
	mutex_lock(&rtmon_lock);
	threshold = secs;
	mutex_unlock(&rtmon_lock);
	return 0;
}

/* The process group of process @nr (initial pid namespace), or -ESRCH. */
static s32 rtmon_pgid_of(s32 nr)
{
	struct task_struct *t;
	pid_t pgid = 0;

	rcu_read_lock();
	t = pid_task(find_pid_ns(nr, &init_pid_ns), PIDTYPE_PID);
	if (t)
		pgid = task_pgrp_nr_ns(t, &init_pid_ns);
	rcu_read_unlock();
	return pgid > 0 ? pgid : -ESRCH;
}

/*
 * The original SMTcheck's commands (smtcheck_uapi.h): the same groups,
 * settings and checks as ours.  Its argument is one int but for ADD_PGID.
 */
static long rtmon_orig_ioctl(unsigned int cmd, void __user *uarg)
{
	struct rtmon_orig_add_pgid_args o;
	s32 v;
	int ret;

	if (cmd == RTMON_ORIG_IOC_ADD_PGID) {
		struct rtmon_add_pgid_args a;

		if (copy_from_user(&o, uarg, sizeof(o)))
			return -EFAULT;
		a = (struct rtmon_add_pgid_args){
			.pgid = o.pgid,
			.global_jobid = o.global_jobid,
			.worker_num = o.worker_num,
		};
		return rtmon_add(&a, true);
	}

	if (copy_from_user(&v, uarg, sizeof(v)))
		return -EFAULT;
	switch (cmd) {
	case RTMON_ORIG_IOC_REMOVE_PGID:
		if (v <= 0)
			return -EINVAL;
		ret = rtmon_remove(v);
		return ret == -ESRCH ? -ENOENT : ret;
	case RTMON_ORIG_IOC_SET_THRESHOLD:
		return rtmon_set_threshold(v);
	case RTMON_ORIG_IOC_REQUEST_PROFILE:
		if (v <= 0)
			return -EINVAL;
		ret = rtmon_pgid_of(v);
		if (ret < 0)
			return ret;
		ret = rtmon_request_profile(ret);
		return ret == -ESRCH ? -ENOENT : ret;
	case RTMON_ORIG_IOC_SET_DATA_LOADER_PID:
		/*
		 * It named the receiver of the original's text netlink
		 * protocol, which we do not speak: the daemon registers
		 * itself (RTMON_NL_REGISTER).  Applying it as ours would
		 * lock the daemon out; accepting it silently would leave
		 * the caller waiting for messages that never come.
		 */
		ret = rtmon_check_loader_pid(v);
		if (ret)
			return ret;
		pr_info_once("the original SMTcheck's SET_DATA_LOADER_PID is refused: its netlink protocol is not supported, the smtcheck daemon is the data loader\n");
		return -EOPNOTSUPP;
	}
	return -ENOTTY;
}

static long rtmon_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	/*
	 * Watching groups is performance monitoring (CAP_PERFMON); choosing
	 * who may receive the reports stays with the administrator.
	 */
	switch (cmd) {
	case RTMON_IOC_ADD_PGID:
	case RTMON_IOC_REMOVE_PGID:
	case RTMON_IOC_SET_THRESHOLD:
	case RTMON_IOC_REQUEST_PROFILE:
	case RTMON_ORIG_IOC_ADD_PGID:
	case RTMON_ORIG_IOC_REMOVE_PGID:
	case RTMON_ORIG_IOC_SET_THRESHOLD:
	case RTMON_ORIG_IOC_REQUEST_PROFILE:
		if (!perfmon_capable())
			return -EPERM;
		break;
	case RTMON_IOC_SET_DATA_LOADER_PID:
	case RTMON_ORIG_IOC_SET_DATA_LOADER_PID:
		if (!capable(CAP_SYS_ADMIN))
			return -EPERM;
		break;
	default:
		return -ENOTTY;
	}
	if (!rtmon_in_init_pid_ns())
		return -EPERM;
	if (_IOC_TYPE(cmd) == RTMON_ORIG_IOC_MAGIC)
		return rtmon_orig_ioctl(cmd, uarg);

	switch (cmd) {
	case RTMON_IOC_ADD_PGID: {
		struct rtmon_add_pgid_args a;

		if (copy_from_user(&a, uarg, sizeof(a)))
			return -EFAULT;
		return rtmon_add(&a, false);
	}
	case RTMON_IOC_REMOVE_PGID:
	case RTMON_IOC_REQUEST_PROFILE: {
		struct rtmon_pgid_args a;

		if (copy_from_user(&a, uarg, sizeof(a)))
			return -EFAULT;
		if (a.reserved || a.pgid <= 0)
			return -EINVAL;
		if (cmd == RTMON_IOC_REMOVE_PGID)
			return rtmon_remove(a.pgid);
		return rtmon_request_profile(a.pgid);
	}
	case RTMON_IOC_SET_THRESHOLD: {
		__u32 secs;

		if (copy_from_user(&secs, uarg, sizeof(secs)))
			return -EFAULT;
		return rtmon_set_threshold(secs);
	}
	case RTMON_IOC_SET_DATA_LOADER_PID: {
		__s32 pid;

		if (copy_from_user(&pid, uarg, sizeof(pid)))
			return -EFAULT;
		return rtmon_set_data_loader(pid);
	}
	}
	return -ENOTTY;
}

static const struct file_operations rtmon_fops = {
	.owner = THIS_MODULE,
	.open = nonseekable_open,
	.unlocked_ioctl = rtmon_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice rtmon_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "runtime_monitor",
	.fops = &rtmon_fops,
	.mode = 0600,
};

/* ---- load / unload ---------------------------------------------------- */

static void rtmon_free_all(void)
{
	struct rtmon_group *g;
	struct hlist_node *tmp;
	int bkt;

	mutex_lock(&rtmon_lock);
	hash_for_each_safe(rtmon_groups, bkt, tmp, g, hnode) {
		rtmon_drop_slot(g);
		rtmon_free_group(g);
	}
	mutex_unlock(&rtmon_lock);
}

/*
 * Releases the kernel socket and returns once no netlink input runs in it:
 * a sender holds a reference on the socket from its lookup (under RCU)
 * until our input callback has returned, and user sockets do not hold the
 * module (see rtmon_init()).  So: keep our own reference, unhash the
 * socket, let lookups in progress finish (synchronize_net) and the
 * socket's own reference go (netlink_release drops it in an RCU callback:
 * rcu_barrier), then wait until ours is the last one.
 */
static void rtmon_nl_release(void)
{
	unsigned long warn_at = jiffies + 10 * HZ;
	struct sock *sk = rtmon_nl;
	bool warned = false;

	sock_hold(sk);
	netlink_kernel_release(sk);
	synchronize_net();
	rcu_barrier();
	/* Input still running uses the socket: we cannot go before it ends. */
	while (refcount_read(&sk->sk_refcnt) > 1) {
		if (!warned && time_after(jiffies, warn_at)) {
			pr_err("netlink input still running after 10 s\n");
			warned = true;
		}
		usleep_range(1000, 2000);
	}
	sock_put(sk);
	rtmon_nl = NULL;
}

static int __init rtmon_init(void)
{
	struct netlink_kernel_cfg cfg = {
		.input = rtmon_nl_input,
	};
	int ret;

	if (threshold < 1 || threshold > RTMON_THRESHOLD_MAX ||
	    data_loader_pid < 0 ||
	    max_groups < 1 || max_groups > RTMON_MAX_GROUPS_LIMIT ||
	    scan_interval_ms < RTMON_SCAN_MIN_MS ||
	    scan_interval_ms > RTMON_SCAN_MAX_MS) {
		pr_err("invalid module parameter\n");
		return -EINVAL;
	}

	/*
	 * No owner module: user sockets of our unit then do not pin us, so
	 * the module can be replaced under a running daemon (which notices and
	 * registers again).  We have no bind/unbind callbacks that such
	 * sockets could call later; netlink input still running when we go
	 * is waited for in rtmon_nl_release().
	 */
	rtmon_nl = __netlink_kernel_create(&init_net, SMTCHECK_NETLINK_PROTO,
					   NULL, &cfg);
	if (!rtmon_nl) {
		pr_err("netlink unit %d is taken\n", SMTCHECK_NETLINK_PROTO);
		return -EBUSY;
	}
	ret = netlink_register_notifier(&rtmon_nl_notifier);
	if (ret)
		goto err_nl;

	INIT_DELAYED_WORK(&rtmon_scan_work, rtmon_scan);
	schedule_delayed_work(&rtmon_scan_work,
			      msecs_to_jiffies(scan_interval_ms));

	ret = misc_register(&rtmon_dev);
	if (ret)
		goto err_work;

	pr_info("loaded: threshold %u s, netlink unit %d\n", threshold,
		SMTCHECK_NETLINK_PROTO);
	return 0;

err_work:
	cancel_delayed_work_sync(&rtmon_scan_work);
	netlink_unregister_notifier(&rtmon_nl_notifier);
err_nl:
	rtmon_nl_release();
	return ret;
}

static void __exit rtmon_exit(void)
{
	/*
	 * Open files pin the module, so no ioctl can run any more; netlink
	 * input that is still running is waited for.
	 */
	misc_deregister(&rtmon_dev);
	cancel_delayed_work_sync(&rtmon_scan_work);
	netlink_unregister_notifier(&rtmon_nl_notifier);
	rtmon_nl_release();
	rtmon_free_all();
	mutex_lock(&rtmon_lock);
	rtmon_loader_reset();
	mutex_unlock(&rtmon_lock);
	pr_info("unloaded\n");
}

module_init(rtmon_init);
module_exit(rtmon_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("smtcheck developers");
MODULE_DESCRIPTION("Long-running process group detection for smtcheck");
MODULE_SOFTDEP("pre: IPC_monitor");
