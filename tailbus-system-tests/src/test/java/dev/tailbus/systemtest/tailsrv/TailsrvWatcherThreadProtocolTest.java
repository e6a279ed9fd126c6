package dev.tailbus.systemtest.tailsrv;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
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

    private static TailsrvProcess usesTheWatcherThread(TailsrvProcess server) throws IOException {
        try {
            // The thread is started before the port is announced, so it is there by now.
            assertThat(server.threadNames()).as("threads of the server").contains("tailsrv-inotify");
            return server;
        } catch (AssertionError | IOException e) {
            try {
                server.close();
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
            }
            throw e;
        }
    }
}
