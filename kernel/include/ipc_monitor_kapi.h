/* SPDX-License-Identifier: GPL-2.0 */
/*
 * In-kernel interface exported by IPC_monitor.ko for runtime_monitor.ko.
 * Not part of the userspace ABI.
 */
#ifndef _SMTCHECK_IPC_MONITOR_KAPI_H
#define _SMTCHECK_IPC_MONITOR_KAPI_H

#include <linux/types.h>

struct pid;

/*
 * ipcmon_claim_slot - start counting for the process group @pgrp
 * @pgrp:	the group's struct pid; IPC_monitor takes its own reference
 * @pgid:	pgid number shown to userspace
 * @jobid:	global job id shown to userspace
 * @worker_num:	worker count shown to userspace
 *
 * Sleeps.  Returns the slot index (0..IPCMON_MAX_SLOTS-1), -EEXIST if @pgrp
 * already holds a slot, -ENOSPC if the table is full, -EINVAL on bad input.
 */
int ipcmon_claim_slot(struct pid *pgrp, s32 pgid, s32 jobid, s32 worker_num);

/*
 * ipcmon_release_slot - stop counting and free @slot, which @pgrp holds
 *
 * Sleeps.  Returns 0, or -ESRCH if @slot is not held by @pgrp.
 */
int ipcmon_release_slot(int slot, struct pid *pgrp);

#endif /* _SMTCHECK_IPC_MONITOR_KAPI_H */
