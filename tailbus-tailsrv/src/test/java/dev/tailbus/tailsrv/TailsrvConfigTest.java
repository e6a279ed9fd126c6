package dev.tailbus.tailsrv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tailbus.core.TailbusException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class TailsrvConfigTest {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    @Test
    void shouldParsePortColonPathKeepingColonsInThePath() {
        ServedFile served = ServedFile.parse("4321:/var/log/a:b.log");
        assertThat(served.port()).isEqualTo(4321);
        assertThat(served.path()).isEqualTo(Path.of("/var/log/a:b.log"));
    }

    @Test
    void shouldRefuseServeArgumentsThatAreNotPortColonPath() {
        for (String bad : List.of("4321", ":/a", "4321:", "x:/a", "70000:/a", "-1:/a")) {
            assertThatThrownBy(() -> ServedFile.parse(bad)).as(bad)
                    .isInstanceOfSatisfying(TailsrvException.class, e -> assertThat(e.kind()).isEqualTo(TailbusException.Kind.BAD_INPUT));
        }
    }

    @Test
    void shouldRefuseTheSamePortForTwoFilesButAllowSeveralAnyPorts() {
        List<ServedFile> twice = List.of(new ServedFile(Path.of("/a"), 5000), new ServedFile(Path.of("/b"), 5000));
        assertThatThrownBy(() -> new TailsrvConfig(LOOPBACK, twice, false, Duration.ofSeconds(1), 64))
                .hasMessageContaining("port 5000");
        List<ServedFile> any = List.of(new ServedFile(Path.of("/a"), 0), new ServedFile(Path.of("/b"), 0));
        assertThat(new TailsrvConfig(LOOPBACK, any, false, Duration.ofSeconds(1), 64).files()).hasSize(2);
    }

    @Test
    void shouldRefuseLimitsThatCannotWork() {
        List<ServedFile> one = List.of(new ServedFile(Path.of("/a"), 0));
        assertThatThrownBy(() -> new TailsrvConfig(LOOPBACK, one, false, Duration.ZERO, 64)).hasMessageContaining("timeout");
        assertThatThrownBy(() -> new TailsrvConfig(LOOPBACK, one, false, Duration.ofSeconds(1), 1)).hasMessageContaining("limit");
        assertThatThrownBy(() -> new TailsrvConfig(LOOPBACK, List.of(), false, Duration.ofSeconds(1), 64)).hasMessageContaining("at least one");
    }

    @Test
    void shouldTakeKeepaliveTimesInWholeSecondsRoundedUpFromOneSecondOn() {
        List<ServedFile> one = List.of(new ServedFile(Path.of("/a"), 0));
        assertThat(new TailsrvConfig(LOOPBACK, one, false, Duration.ofSeconds(1), 64, Duration.ofMillis(1500))
                .keepaliveSeconds()).isEqualTo(2);
        assertThat(new TailsrvConfig(LOOPBACK, one, false, Duration.ofSeconds(1), 64, Duration.ofMinutes(2))
                .keepaliveSeconds()).isEqualTo(120);
        assertThatThrownBy(() -> new TailsrvConfig(LOOPBACK, one, false, Duration.ofSeconds(1), 64, Duration.ofMillis(999)))
                .hasMessageContaining("keepalive");
        assertThatThrownBy(() -> new TailsrvConfig(LOOPBACK, one, false, Duration.ofSeconds(1), 64, Duration.ofHours(10)))
                .hasMessageContaining("keepalive");
    }

    @Test
    void shouldDefaultToTheReferenceBehaviour() {
        TailsrvConfig config = TailsrvConfig.of(new ServedFile(Path.of("/a"), 4321));
        assertThat(config.bindAddress().isAnyLocalAddress()).isTrue();
        assertThat(config.linger()).isFalse();
        assertThat(config.headerTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(config.headerLimit()).isEqualTo(64);
        assertThat(config.keepalive()).isEqualTo(Duration.ofSeconds(10));
    }
}
