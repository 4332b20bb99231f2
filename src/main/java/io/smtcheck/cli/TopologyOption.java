// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.cli;

import io.smtcheck.sched.Topology;
import picocli.CommandLine.Option;

/** {@code --topology}, for every command that plans or measures on cores. */
final class TopologyOption {
    @Option(names = "--topology", paramLabel = "SPEC",
            description = "Cores separated by ';', siblings by ',' (e.g. \"0,4;1,5\"). Default: this machine's.")
    String spec;

    /** The topology named, or this machine's. */
    Topology topology() {
        return spec == null ? Topology.ofThisMachine() : Topology.parse(spec);
    }
}
