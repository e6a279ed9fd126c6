package dev.tailbus.systemtest;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LauncherTest {
    @Test
    void shouldPrintTheVersion() throws Exception {
        Launcher.Result result = Launcher.run("--version");

        assertThat(result.exitStatus()).isZero();
        assertThat(result.stdoutText()).startsWith("tailbus ");
        assertThat(result.stderr()).isEmpty();
    }

    @Test
    void shouldRefuseAnUnknownToolWithOneLineAndStatusTwo() throws Exception {
        Launcher.Result result = Launcher.run("no-such-tool");

        assertThat(result.exitStatus()).isEqualTo(2);
        assertThat(result.stderr()).contains("no-such-tool").doesNotContain("Exception").doesNotContain("\tat ");
    }
}
