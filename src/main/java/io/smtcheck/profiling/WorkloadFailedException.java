// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.profiling;

import java.io.IOException;

/** A workload's command could not be started, or failed: nothing can be measured of it. */
public final class WorkloadFailedException extends IOException {
    private static final long serialVersionUID = 1L;

    WorkloadFailedException(String message) {
        super(message);
    }
}
