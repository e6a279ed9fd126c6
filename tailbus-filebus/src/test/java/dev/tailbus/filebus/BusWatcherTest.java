package dev.tailbus.filebus;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BusWatcherTest {
    @TempDir
    Path folder;

    private void chunkArrives(BusPaths paths) throws Exception {
        Files.writeString(paths.staging(), "chunk");
        Files.move(paths.staging(), paths.data(), StandardCopyOption.ATOMIC_MOVE);
    }

    @Test
    void shouldTellAConsumerOfAChunkRenamedOntoFButNotOfItsDeletion() throws Exception {
        BusPaths paths = BusPaths.of(folder.resolve("bus"));
        try (BusWatcher watcher = BusWatcher.open(paths, true, Duration.ofMillis(100), BusWatcher.Awaited.APPEARS, 0)) {
            assertThat(watcher.monitoring()).isTrue();
            chunkArrives(paths);
            assertThat(watcher.drain()).as("a rename onto F").isTrue();

            Files.delete(paths.data());
            assertThat(watcher.drain()).as("F deleted").isFalse();
        }
    }

    @Test
    void shouldTellAProducerThatFWasTakenButNotThatAChunkArrived() throws Exception {
        BusPaths paths = BusPaths.of(folder.resolve("bus"));
        try (BusWatcher watcher = BusWatcher.open(paths, true, Duration.ofMillis(100), BusWatcher.Awaited.GOES, 0)) {
            chunkArrives(paths);
            assertThat(watcher.drain()).as("a rename onto F").isFalse();

            Files.delete(paths.data());
            assertThat(watcher.drain()).as("F deleted").isTrue();
        }
    }

    @Test
    void shouldGoOnWaitingPastEventsAboutOtherNames() throws Exception {
        BusPaths paths = BusPaths.of(folder.resolve("bus"));
        try (BusWatcher watcher = BusWatcher.open(paths, true, Duration.ofMillis(100), BusWatcher.Awaited.GOES, 0)) {
            chunkArrives(paths);
            // Queued before the wait: the staging file renamed away (its MOVED_FROM), not about F.
            CompletableFuture<Boolean> waiting = CompletableFuture.supplyAsync(() -> {
                try {
                    return watcher.await();
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });

            Files.delete(paths.data());

            assertThat(waiting.get(10, TimeUnit.SECONDS)).as("the wait ended on F's deletion").isTrue();
        }
    }
}
