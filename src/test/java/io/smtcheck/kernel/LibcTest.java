// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class LibcTest {
    /** The number the kernel's own headers give (linux-libc-dev, a build dependency of the native part). */
    private static long headerNumber(String header) throws Exception {
        Matcher m = Pattern.compile("#define __NR_perf_event_open (\\d+)").matcher(Files.readString(Path.of(header)));
        return m.find() ? Long.parseLong(m.group(1)) : -2;
    }

    @Test
    void perfEventOpenHasEachArchitecturesNumber() throws Exception {
        assertEquals(headerNumber("/usr/include/x86_64-linux-gnu/asm/unistd_64.h"), Libc.perfEventOpenNumber("amd64"));
        // arm64 uses the generic table
        assertEquals(headerNumber("/usr/include/asm-generic/unistd.h"), Libc.perfEventOpenNumber("aarch64"));
        assertEquals(-1, Libc.perfEventOpenNumber("riscv64"));
    }
}
