package dev.tailbus.core.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tailbus.core.TailbusException.Kind;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A process short of descriptors or of memory: the log neither breaks nor throws anything but one
 * clear line. Below the open-file bound, a shortage of descriptors makes the cache close files
 * and go on; with none to close, or out of memory, the append is refused ({@link Kind#EXHAUSTED},
 * nothing of it stored) and the next one is tried as usual. Simulated by a file layer that fails
 * opens as the kernel does (EMFILE) or an allocation.
 */
class ResourceShortageTest {
    @TempDir
    Path root;

    /** Opens real files, as a process whose {@code ulimit -n} leaves {@code limit} descriptors would. */
    private static final class ScarceFiles implements FileLayer {
        final AtomicInteger open = new AtomicInteger();
        volatile int limit = Integer.MAX_VALUE;
        final AtomicBoolean outOfMemory = new AtomicBoolean();

        @Override
        public FileChannel open(Path path, boolean writable) throws IOException {
            if (outOfMemory.getAndSet(false)) {
                throw new OutOfMemoryError("Java heap space");
            }
            if (open.get() >= limit) {
                throw new FileSystemException(path.toString(), null, "Too many open files");
            }
            open.incrementAndGet();
            return new ForwardingChannel(FileLayer.FILES.open(path, writable)) {
                @Override
                void closed() {
                    open.decrementAndGet();
                }
            };
        }
    }

    @Test
    void shouldCloseItsOwnFilesAndGoOnWhenTheProcessRunsOutOfDescriptorsBelowTheBound() {
        ScarceFiles files = new ScarceFiles();
        files.limit = 40; // far below the bound of 1,000
        try (EventLog log = EventLog.open(LogConfig.builder(root).fileLayer(files).build())) {
            for (int round = 0; round < 3; round++) {
                List<EventToAppend> batch = new ArrayList<>();
                for (int t = 0; t < 100; t++) {
                    batch.add(EventLogTest.event("t/" + t, round, "r" + round));
                }
                log.append(batch);
            }
            assertThat(EventLogTest.drain(log.readAfter(t -> true, 0))).hasSize(300);
            assertThat(files.open.get()).isLessThanOrEqualTo(40);
        }
    }

    @Test
    void shouldRefuseAnAppendWithOneLineWhenNoDescriptorCanBeHadAndTakeTheNextOnce() {
        ScarceFiles files = new ScarceFiles();
        try (EventLog log = EventLog.open(LogConfig.builder(root).fileLayer(files).build())) {
            log.append(List.of(EventLogTest.event("kept", 1, "before")));
            files.limit = 0; // every descriptor is taken, none by the log's cache to give back
            log.append(List.of(EventLogTest.event("kept", 1, "still open")));
            assertThatThrownBy(() -> log.append(List.of(EventLogTest.event("new", 2, "lost"),
                    EventLogTest.event("kept", 2, "lost"))))
                    .isInstanceOfSatisfying(LogException.class, e -> {
                        assertThat(e.kind()).isEqualTo(Kind.EXHAUSTED);
                        assertThat(e.getMessage()).contains("ran out of file descriptors").contains("new.pb")
                                .doesNotContain("\n");
                    });
            files.limit = Integer.MAX_VALUE;
            log.append(List.of(EventLogTest.event("new", 3, "after")));
            // positions 3 and 4 went to the refused append: a gap, never given again
            assertThat(EventLogTest.drain(log.readAfter(t -> true, 0))).extracting(StoredEvent::position)
                    .containsExactly(1L, 2L, 5L);
        }
    }

    @Test
    void shouldTakeBackAFileTheGroupWroteBeforeTheShortageWithoutADescriptor() throws Exception {
        ScarceFiles files = new ScarceFiles();
        try (EventLog log = EventLog.open(LogConfig.builder(root).fileLayer(files).build())) {
            log.append(List.of(EventLogTest.event("kept", 1, "before")));
            long size = java.nio.file.Files.size(root.resolve("kept.pb"));
            files.limit = 0;
            // kept.pb is written first; the shortage then closes it to make room, so taking it
            // back must need no descriptor
            assertThatThrownBy(() -> log.append(List.of(EventLogTest.event("kept", 2, "lost"),
                    EventLogTest.event("new", 2, "lost"))))
                    .isInstanceOfSatisfying(LogException.class, e -> assertThat(e.kind()).isEqualTo(Kind.EXHAUSTED));
            assertThat(java.nio.file.Files.size(root.resolve("kept.pb"))).isEqualTo(size);
            files.limit = Integer.MAX_VALUE;
            log.append(List.of(EventLogTest.event("kept", 3, "after")));
            assertThat(EventLogTest.drain(log.readAfter(t -> true, 0))).extracting(StoredEvent::position)
                    .containsExactly(1L, 4L);
        }
    }

    @Test
    void shouldRefuseAnAppendThatRanOutOfMemoryWithOneLineAndTakeTheNext() {
        ScarceFiles files = new ScarceFiles();
        try (EventLog log = EventLog.open(LogConfig.builder(root).fileLayer(files).build())) {
            log.append(List.of(EventLogTest.event("a", 1, "before")));
            files.outOfMemory.set(true);
            assertThatThrownBy(() -> log.append(List.of(EventLogTest.event("a", 2, "lost"),
                    EventLogTest.event("b", 2, "lost"))))
                    .isInstanceOfSatisfying(LogException.class, e -> {
                        assertThat(e.kind()).isEqualTo(Kind.EXHAUSTED);
                        assertThat(e.getMessage()).contains("ran out of memory").doesNotContain("\n");
                    });
            log.append(List.of(EventLogTest.event("b", 3, "after")));
            assertThat(EventLogTest.drain(log.readAfter(t -> true, 0))).extracting(StoredEvent::position)
                    .containsExactly(1L, 4L);
        }
    }
}
