package dev.tailbus.systemtest.tailsrv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tailbus.systemtest.MetricsScrape;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.regex.Matcher;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** tailsrv's /metrics, scraped over HTTP from a real tailsrv process while real clients read. */
class TailsrvMetricsTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    @Test
    void shouldCountClientsBytesSentAndRefusedHeadersPerFile() throws Exception {
        Path file = Files.writeString(dir.resolve("app.log"), "0123456789");
        try (TailsrvProcess tailsrv = TailsrvProcess.serve(file, "--metrics-address", "127.0.0.1:0");
             TailClient reader = TailClient.connect(tailsrv.port(), 4);
             TailClient bad = TailClient.connect(tailsrv.port())) {
            await().atMost(WAIT).until(() -> String.join("\n", tailsrv.stderr()).contains("metrics on"));
            Matcher m = MetricsScrape.ANNOUNCED.matcher(String.join("\n", tailsrv.stderr()));
            assertThat(m.find()).isTrue();
            String url = m.group(1);
            String name = file.toString();

            assertThat(reader.readText(6, WAIT)).isEqualTo("456789");
            bad.send("four\n");
            Files.writeString(file, "abc", StandardOpenOption.APPEND);
            assertThat(reader.readText(3, WAIT)).isEqualTo("abc");

            await().atMost(WAIT).untilAsserted(() -> {
                MetricsScrape s = MetricsScrape.of(url);
                assertThat(s.value("tailsrv_bytes_sent_total", "file", name)).isEqualTo(9);
                assertThat(s.value("tailsrv_clients", "file", name)).isEqualTo(1);
                assertThat(s.value("tailsrv_clients_accepted_total", "file", name)).isEqualTo(2);
                assertThat(s.value("tailsrv_headers_refused_total", "file", name, "reason", "not_an_integer")).isEqualTo(1);
                assertThat(s.value("tailsrv_headers_refused_total", "file", name, "reason", "timeout")).isZero();
                assertThat(s.value("tailsrv_clients_behind", "file", name)).isZero();
                assertThat(s.value("tailsrv_bytes_behind", "file", name)).isZero();
                assertThat(s.names()).contains("jvm_memory_used_bytes");
            });
        }
    }
}
