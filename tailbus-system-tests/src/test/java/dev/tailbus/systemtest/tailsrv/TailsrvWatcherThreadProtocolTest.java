package dev.tailbus.systemtest.tailsrv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Every case of {@link TailsrvProtocolTest} again, with the watcher-thread fallback forced
 * ({@code -Dtailbus.tailsrv.inotifyThread=true}): the path a JDK takes whose selector cannot be
 * joined to inotify, tested on every run rather than only there.
 */
class TailsrvWatcherThreadProtocolTest extends TailsrvProtocolTest {
    private static final List<String> FALLBACK = List.of("-Dtailbus.tailsrv.inotifyThread=true");

    @Override
    TailsrvProcess serve(Path path, String... args) throws IOException {
        return usesTheWatcherThread(TailsrvProcess.serve(FALLBACK, path, args));
    }

    @Override
    TailsrvProcess start(int files, String... args) throws IOException {
        return usesTheWatcherThread(TailsrvProcess.start(FALLBACK, files, args));
    }

    private static TailsrvProcess usesTheWatcherThread(TailsrvProcess server) {
        try {
            // Started before the port is announced, though the kernel may learn its name a little later.
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThat(server.threadNames()).as("threads of the server").contains("tailsrv-inotify"));
            return server;
        } catch (RuntimeException | AssertionError e) {
            try {
                server.close();
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
            }
            throw e;
        }
    }
}
