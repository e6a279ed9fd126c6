package dev.tailbus.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tailbus.tailsrv.FileStats;
import dev.tailbus.tailsrv.HeaderRefusal;
import dev.tailbus.tailsrv.ServedFile;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TailsrvMetricsTest {
    private static FileStats stats(String path, int port, int clients, long sent, long mostBehind, long tooLong) {
        Map<HeaderRefusal, Long> refused = new EnumMap<>(HeaderRefusal.class);
        for (HeaderRefusal why : HeaderRefusal.values()) {
            refused.put(why, why == HeaderRefusal.TOO_LONG ? tooLong : 0L);
        }
        return new FileStats(new ServedFile(Path.of(path), port), clients, clients, sent, 1, mostBehind, mostBehind,
                refused);
    }

    @Test
    void shouldMakeOneSeriesOfAFileServedOnSeveralPorts() {
        List<FileStats> merged = TailsrvMetrics.byPath(List.of(stats("/a", 1, 2, 10, 5, 1),
                stats("/b", 2, 1, 7, 0, 0), stats("/a", 3, 3, 20, 9, 2)));

        assertThat(merged).hasSize(2);
        FileStats a = merged.getFirst();
        assertThat(a.file().path()).isEqualTo(Path.of("/a"));
        assertThat(a.clients()).isEqualTo(5);
        assertThat(a.bytesSent()).isEqualTo(30);
        assertThat(a.clientsBehind()).isEqualTo(2);
        assertThat(a.bytesBehind()).isEqualTo(14);
        assertThat(a.mostBehind()).isEqualTo(9);
        assertThat(a.headersRefused()).containsEntry(HeaderRefusal.TOO_LONG, 3L);
        assertThat(merged.get(1).bytesSent()).isEqualTo(7);
    }
}
