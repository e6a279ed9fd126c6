package dev.tailbus.core.fs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HangupTest {
    @TempDir
    Path folder;

    @Test
    void shouldEndAWaitThatNoHangUpWouldEverEndWhenClosed() throws Exception {
        // A regular file never reports a hang-up: only close can end this wait.
        Libc.Result opened = Libc.open(folder.resolve("file").toString(), Libc.O_RDWR | Libc.O_CREAT | Libc.O_CLOEXEC, 0600);
        assertThat(opened.failed()).isFalse();
        try {
            Hangup hangup = Hangup.of((int) opened.value());
            CompletableFuture<Boolean> waiting = CompletableFuture.supplyAsync(hangup::await);
            await().atMost(Duration.ofSeconds(10)).until(hangup::waiting);

            hangup.close();

            assertThat(waiting.get(10, TimeUnit.SECONDS)).isFalse();
        } finally {
            Libc.close((int) opened.value());
        }
    }
}
