// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The affinity policy options of `run`: a malformed rule is one line naming the option, exit 1. */
class RunCommandPolicyTest {
    @TempDir
    Path dir;

    private String run(int expectedCode, String... policy) {
        String[] base = {"run", "--userspace", "--state-dir", dir.resolve("run").toString(), "--socket",
            dir.resolve("s.sock").toString(), "--data-dir", dir.resolve("data").toString(), "--topology", "0"};
        String[] args = new String[base.length + policy.length];
        System.arraycopy(base, 0, args, 0, base.length);
        System.arraycopy(policy, 0, args, base.length, policy.length);
        StringWriter err = new StringWriter();
        int code = Main.execute(args, new PrintWriter(new StringWriter(), true), new PrintWriter(err, true));
        assertEquals(expectedCode, code, err.toString());
        return err.toString().trim();
    }

    @Test
    void malformedRulesAreRefusedBeforeAnythingStarts() {
        assertEquals("run: --exclude: rule user=root: the key must be uid, cgroup or comm",
                run(ExitCodes.BAD_INPUT, "--exclude", "comm=sshd,user=root"));
        assertEquals("run: --include: rule uid=alice: the uid must be a number",
                run(ExitCodes.BAD_INPUT, "--include", "uid=alice"));
        assertEquals("run: --include: rule \"ffmpeg\": expected uid=N, cgroup=GLOB or comm=GLOB",
                run(ExitCodes.BAD_INPUT, "--include", "ffmpeg"));
        assertEquals("run: --narrowed must be skip or manage, not sometimes",
                run(ExitCodes.BAD_INPUT, "--narrowed", "sometimes"));
        assertEquals(false, dir.resolve("run").toFile().exists(), "nothing was started");
    }
}
