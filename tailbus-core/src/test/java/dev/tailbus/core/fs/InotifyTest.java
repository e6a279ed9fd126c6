package dev.tailbus.core.fs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InotifyTest {
    @TempDir
    Path folder;

    @Test
    void shouldReportARenameOntoAWatchedFolderByName() throws Exception {
        try (Inotify inotify = Inotify.open()) {
            int watch = inotify.addWatch(folder, Inotify.MOVED_TO);
            Files.writeString(folder.resolve("bus.__new__"), "chunk");
            Files.move(folder.resolve("bus.__new__"), folder.resolve("bus"));

            List<Inotify.Event> events = inotify.poll(5_000);

            assertThat(events).singleElement().satisfies(event -> {
                assertThat(event.watch()).isEqualTo(watch);
                assertThat(event.is(Inotify.MOVED_TO)).isTrue();
                assertThat(event.name()).isEqualTo("bus");
            });
        }
    }

    @Test
    void shouldReportAppendsToAWatchedFile() throws Exception {
        Path file = Files.writeString(folder.resolve("log"), "a");
        try (Inotify inotify = Inotify.open()) {
            inotify.addWatch(file, Inotify.MODIFY);
            Files.writeString(file, "b", java.nio.file.StandardOpenOption.APPEND);

            assertThat(inotify.poll(5_000)).extracting(Inotify.Event::mask)
                    .allSatisfy(mask -> assertThat(mask & Inotify.MODIFY).isNotZero())
                    .isNotEmpty();
        }
    }

    @Test
    void shouldReturnNothingWhenTheTimeRunsOut() throws Exception {
        try (Inotify inotify = Inotify.open()) {
            inotify.addWatch(folder, Inotify.CREATE);

            assertThat(inotify.poll(10)).isEmpty();
        }
    }

    @Test
    void shouldReturnAWaitingPollWhenWokenUp() throws Exception {
        try (Inotify inotify = Inotify.open()) {
            inotify.addWatch(folder, Inotify.CREATE);
            CompletableFuture<List<Inotify.Event>> waiting = CompletableFuture.supplyAsync(() -> {
                try {
                    return inotify.poll(-1);
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });

            inotify.wakeup();

            assertThat(waiting.get(10, TimeUnit.SECONDS)).isEmpty();
        }
    }

    @Test
    void shouldEndAWaitingPollWhenClosed() throws Exception {
        Inotify inotify = Inotify.open();
        inotify.addWatch(folder, Inotify.CREATE);
        CompletableFuture<List<Inotify.Event>> waiting = CompletableFuture.supplyAsync(() -> {
            try {
                return inotify.poll(-1);
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });

        inotify.close();
        inotify.close();

        assertThat(waiting.get(10, TimeUnit.SECONDS)).isEmpty();
    }

    @Test
    void shouldReadEveryEventOfABurstLargerThanOneRead() throws Exception {
        try (Inotify inotify = Inotify.open()) {
            inotify.addWatch(folder, Inotify.CREATE);
            int files = 5_000;
            for (int i = 0; i < files; i++) {
                Files.createFile(folder.resolve("file-with-a-long-name-to-fill-the-buffer-" + i));
            }

            List<String> names = new ArrayList<>();
            while (names.size() < files) {
                List<Inotify.Event> events = inotify.poll(5_000);
                assertThat(events).isNotEmpty();
                events.forEach(e -> names.add(e.name()));
            }

            assertThat(names).hasSize(files).doesNotHaveDuplicates();
        }
    }
}
