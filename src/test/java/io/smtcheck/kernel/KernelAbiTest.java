// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The Java mirror of the kernel ABI equals what the C compiler makes of kernel/include/smtcheck_uapi.h. */
class KernelAbiTest {
    private static final Map<String, Long> C = new HashMap<>();

    @BeforeAll
    static void readCLayout() throws IOException, InterruptedException {
        String tool = System.getProperty("smtcheck.test.tools", "target/native") + "/smtcheck-abi-layout";
        Process p = new ProcessBuilder(tool).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        for (String line : out.split("\n")) {
            String[] f = line.trim().split(" ");
            C.put(f[0] + " " + f[1], Long.parseLong(f[2]));
        }
    }

    private static long c(String key) {
        Long v = C.get(key);
        if (v == null) {
            throw new AssertionError("the C layout has no '" + key + "'");
        }
        return v;
    }

    private static void sameLayout(String cName, KernelStructs.Checked java) {
        assertEquals(c(cName + " size"), java.size(), cName + " size");
        List<String> fields = java.fields();
        for (String field : fields) {
            assertEquals(c(cName + "." + field + " offset"), java.offsetOf(field), cName + "." + field);
        }
    }

    @Test
    void structuresMatch() {
        sameLayout("pgid_slot_user", new KernelStructs.PgidSlotUser());
        sameLayout("ipcmon_reset_args", new KernelStructs.IpcmonResetArgs());
        sameLayout("ipcmon_info", new KernelStructs.IpcmonInfo());
        sameLayout("ipcmon_cpu_info", new KernelStructs.IpcmonCpuInfo());
        sameLayout("rtmon_add_pgid_args", new KernelStructs.RtmonAddPgidArgs());
        sameLayout("rtmon_pgid_args", new KernelStructs.RtmonPgidArgs());
        sameLayout("rtmon_nl_long_running", new KernelStructs.NlLongRunning());
        sameLayout("rtmon_nl_ack", new KernelStructs.NlAck());
        sameLayout("rtmon_nl_registered", new KernelStructs.NlRegistered());
        sameLayout("rtmon_nl_released", new KernelStructs.NlReleased());
        sameLayout("rtmon_nl_register", new KernelStructs.NlRegister());
        sameLayout("nlmsghdr", new KernelStructs.NlMsgHdr());
        sameLayout("sockaddr_nl", new KernelStructs.SockaddrNl());
    }

    @Test
    void sharedTableOffsetsMatch() {
        KernelStructs.PgidSlotUser slot = new KernelStructs.PgidSlotUser();
        assertEquals(c("ipc_shared size"), Uapi.SHARED_SIZE);
        assertEquals(c("ipc_shared.count offset"), Uapi.OFF_COUNT);
        assertEquals(c("ipc_shared.active_mask offset"), Uapi.OFF_ACTIVE_MASK);
        assertEquals(c("ipc_shared.slots offset"), Uapi.OFF_SLOTS);
        assertEquals(c("pgid_slot_user size"), Uapi.SLOT_SIZE);
        assertEquals(slot.offsetOf("seq"), Uapi.SLOT_OFF_SEQ);
        assertEquals(slot.offsetOf("pgid"), Uapi.SLOT_OFF_PGID);
        assertEquals(slot.offsetOf("global_jobid"), Uapi.SLOT_OFF_GLOBAL_JOBID);
        assertEquals(slot.offsetOf("worker_num"), Uapi.SLOT_OFF_WORKER_NUM);
        assertEquals(slot.offsetOf("cycles"), Uapi.SLOT_OFF_CYCLES);
        assertEquals(slot.offsetOf("instructions"), Uapi.SLOT_OFF_INSTRUCTIONS);
        assertEquals(Uapi.OFF_SLOTS + Uapi.MAX_SLOTS * Uapi.SLOT_SIZE, Uapi.SHARED_SIZE);
    }

    @Test
    void constantsMatch() throws IllegalAccessException {
        Map<String, String> javaNames = Map.ofEntries(
                Map.entry("ioctl RTMON_IOC_ADD_PGID", "RTMON_IOC_ADD_PGID"),
                Map.entry("ioctl RTMON_IOC_REMOVE_PGID", "RTMON_IOC_REMOVE_PGID"),
                Map.entry("ioctl RTMON_IOC_SET_THRESHOLD", "RTMON_IOC_SET_THRESHOLD"),
                Map.entry("ioctl RTMON_IOC_SET_DATA_LOADER_PID", "RTMON_IOC_SET_DATA_LOADER_PID"),
                Map.entry("ioctl RTMON_IOC_REQUEST_PROFILE", "RTMON_IOC_REQUEST_PROFILE"),
                Map.entry("ioctl IPCMON_IOC_RESET", "IPCMON_IOC_RESET"),
                Map.entry("ioctl IPCMON_IOC_GET_INFO", "IPCMON_IOC_GET_INFO"),
                Map.entry("ioctl IPCMON_IOC_GET_CPU_INFO", "IPCMON_IOC_GET_CPU_INFO"),
                Map.entry("const SMTCHECK_NETLINK_PROTO", "NETLINK_PROTO"),
                Map.entry("const RTMON_NL_LONG_RUNNING", "NL_LONG_RUNNING"),
                Map.entry("const RTMON_NL_ACK", "NL_ACK"),
                Map.entry("const RTMON_NL_REGISTERED", "NL_REGISTERED"),
                Map.entry("const RTMON_NL_RELEASED", "NL_RELEASED"),
                Map.entry("const RTMON_NL_REGISTER", "NL_REGISTER"),
                Map.entry("const NLMSG_ERROR", "NLMSG_ERROR"),
                Map.entry("const NLM_F_REQUEST", "NLM_F_REQUEST"),
                Map.entry("const NLM_F_ACK", "NLM_F_ACK"),
                Map.entry("const SMTCHECK_ABI_VERSION", "ABI_VERSION"),
                Map.entry("const IPCMON_MAX_SLOTS", "MAX_SLOTS"));
        for (var e : javaNames.entrySet()) {
            Field f;
            try {
                f = Uapi.class.getField(e.getValue());
            } catch (NoSuchFieldException ex) {
                throw new AssertionError("Uapi has no " + e.getValue());
            }
            long java = Integer.toUnsignedLong(f.getInt(null));
            assertEquals(c(e.getKey()), java, e.getKey());
        }
        assertTrue(C.size() > 60);
    }
}
