// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.procfs;

import java.util.List;

/**
 * A process group as /proc shows it at one moment.
 *
 * @param pgid          the group id
 * @param leaderComm    the command name of the leader, or of the oldest member when the leader has exited
 * @param leaderCmdline the command line of that process, arguments joined by spaces (empty for kernel threads)
 * @param ageSeconds    how long the group's oldest process has run
 * @param pids          its processes
 */
public record ProcessGroup(int pgid, String leaderComm, String leaderCmdline, double ageSeconds, List<Integer> pids) {
}
