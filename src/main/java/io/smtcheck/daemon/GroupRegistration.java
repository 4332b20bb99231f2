// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smtcheck.control.ControlServer;
import io.smtcheck.kernel.Uapi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control socket's {@code launch}: {@code {"command":"launch","pgid":P,"job":J,"workers":W}}
 * registers a group that {@code smtcheck launch} started for a user who may not register it
 * themselves (the launch records directory and runtime_monitor are root's). The socket lets only
 * root, or the uid the group's leader runs as, ask it; the daemon then registers the group with
 * its monitor.
 */
final class GroupRegistration {
    private static final Logger LOG = LoggerFactory.getLogger(GroupRegistration.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private GroupRegistration() {
    }

    static ControlServer.Command command(Monitor monitor) {
        return ControlServer.Command.onOwnGroup((request, peer) -> {
            int pgid = field(request, "pgid", 1, Integer.MAX_VALUE);
            int job = field(request, "job", 0, Integer.MAX_VALUE);
            int workers = request.has("workers") ? field(request, "workers", 1, Uapi.WORKERS_MAX) : 1;
            String where = monitor.register(pgid, job, workers);
            LOG.info("group {} (job {}, {} workers) registered for uid {}: {}", pgid, job, workers, peer.uid(), where);
            ObjectNode r = JSON.createObjectNode();
            r.put("pgid", pgid);
            r.put("job", job);
            r.put("workers", workers);
            r.put("registered", where);
            return r;
        });
    }

    private static int field(JsonNode request, String name, int min, int max) {
        JsonNode v = request.path(name);
        if (!v.isInt() || v.asInt() < min || v.asInt() > max) {
            throw new IllegalArgumentException(name + ": an integer " + min + ".." + max + " is required, not "
                    + (v.isMissingNode() ? "nothing" : v.toString()));
        }
        return v.asInt();
    }
}
