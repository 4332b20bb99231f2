// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.proc;

import java.util.List;

/**
 * A process group as /proc shows it at one moment.
 *
 * @param pgid       the group id
 * @param leaderPid  the leader, or the oldest member when the leader has exited
 * @param leaderComm the command name of that process
 * @param ageSeconds how long the group's oldest process has run
 * @param pids       its processes
 */
public record ProcessGroup(int pgid, int leaderPid, String leaderComm, double ageSeconds, List<Integer> pids) {
}
