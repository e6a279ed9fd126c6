package dev.tailbus.core.fs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LockFileTest {
    @TempDir
    Path folder;

    @Test
    void shouldCreateTheLockFileAndKeepItsContent() throws IOException {
        Path path = folder.resolve("bus.lock");
        Files.writeString(path, "kept");

        try (LockFile lock = LockFile.open(path)) {
            lock.lock();
            lock.unlock();
        }

        assertThat(path).hasContent("kept");
    }

    @Test
    void shouldExcludeAnotherOpenDescriptionOfTheSameFile() throws IOException {
        // flock(2) locks belong to open file descriptions, so two opens in one process exclude
        // each other exactly as two processes do.
        Path path = folder.resolve("bus.lock");
        try (LockFile first = LockFile.open(path); LockFile second = LockFile.open(path)) {
            first.lock();
            assertThat(second.tryLock()).isFalse();

            first.unlock();
            assertThat(second.tryLock()).isTrue();
            second.unlock();
        }
    }

    @Test
    void shouldWakeABlockedLockerWhenTheHolderUnlocks() throws Exception {
        Path path = folder.resolve("bus.lock");
        try (LockFile first = LockFile.open(path); LockFile second = LockFile.open(path)) {
            first.lock();
            CompletableFuture<Void> waiter = CompletableFuture.runAsync(() -> {
                try {
                    second.lock();
                    second.unlock();
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            assertThat(waiter).isNotDone();

            first.unlock();

            waiter.get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void shouldExcludeTheFlockCommand() throws Exception {
        // The same lock that bash's `flock --exclusive` takes.
        Path path = folder.resolve("bus.lock");
        try (LockFile lock = LockFile.open(path)) {
            lock.lock();
            Process probe = new ProcessBuilder("flock", "--nonblock", "--exclusive", path.toString(), "true").start();
            assertThat(probe.waitFor(10, TimeUnit.SECONDS)).isTrue();
            assertThat(probe.exitValue()).isNotZero();

            lock.unlock();
            Process again = new ProcessBuilder("flock", "--nonblock", "--exclusive", path.toString(), "true").start();
            assertThat(again.waitFor(10, TimeUnit.SECONDS)).isTrue();
            assertThat(again.exitValue()).isZero();
        }
    }

    @Test
    void shouldSayWhyALockFileCannotBeOpened() {
        Path path = folder.resolve("missing-folder").resolve("bus.lock");

        assertThatThrownBy(() -> LockFile.open(path))
                .isInstanceOf(IOException.class)
                .hasMessageContaining(path.toString())
                .hasMessageContaining("No such file or directory");
    }

    @Test
    void shouldCloseTwiceWithoutFailing() throws IOException {
        LockFile lock = LockFile.open(folder.resolve("bus.lock"));
        lock.close();
        lock.close();
    }
}
