package dev.tailbus.filebus;

import dev.tailbus.core.TailbusException.Kind;
import dev.tailbus.core.fs.Durable;
import dev.tailbus.core.fs.LockFile;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;

/**
 * The producing side's file I/O: puts one chunk on the bus by writing {@code F.__new__} whole and
 * renaming it onto {@code F} while holding the flock on {@code F.lock}. A reader therefore only
 * ever sees a whole chunk, and chunks of concurrent producers never interleave. A stale
 * {@code F.__new__} left by a crashed producer is simply overwritten.
 *
 * <p>Lossless mode adds the back-pressure rule: a chunk is written only when {@code F} does not
 * exist, that is, when a consumer has taken the previous one.
 *
 * <p>Called from one thread.
 */
final class ChunkWriter implements Closeable {
    private final BusConfig config;
    private final BusPaths paths;
    private final LockFile lock;
    private final BusWatcher watcher;

    private ChunkWriter(BusConfig config, LockFile lock, BusWatcher watcher) {
        this.config = config;
        this.paths = config.paths();
        this.lock = lock;
        this.watcher = watcher;
    }

    /** Prepares to write onto the bus: creates its folder if missing, opens its lock file. */
    static ChunkWriter open(BusConfig config) {
        BusPaths paths = config.paths();
        Buses.createFolder(paths);
        LockFile lock = Buses.openLock(paths);
        BusWatcher watcher = config.lossless()
                ? BusWatcher.open(paths, config.fileMonitoring(), config.sleepInterval())
                : null;
        return new ChunkWriter(config, lock, watcher);
    }

    /** Puts {@code chunk} on the bus; in lossless mode waits until the previous one is taken. */
    void write(ByteBuffer chunk) throws IOException {
        if (!config.lossless()) {
            lock.lock();
            try {
                stage(chunk);
            } finally {
                lock.unlock();
            }
            return;
        }
        while (true) {
            if (Files.notExists(paths.data())) {
                lock.lock();
                try {
                    if (Files.notExists(paths.data())) {
                        stage(chunk);
                        return;
                    }
                } finally {
                    lock.unlock();
                }
            }
            watcher.await();
        }
    }

    private void stage(ByteBuffer chunk) throws IOException {
        try (FileChannel channel = FileChannel.open(paths.staging(), StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer bytes = chunk.duplicate();
            while (bytes.hasRemaining()) {
                channel.write(bytes);
            }
        } catch (IOException e) {
            throw new FilebusException(Kind.IO, paths.staging(), "cannot write " + paths.staging() + ": " + Buses.reason(e), e);
        }
        try {
            Durable.move(paths.staging(), paths.data());
        } catch (IOException e) {
            throw new FilebusException(Kind.IO, paths.data(), "cannot rename " + paths.staging() + " onto " + paths.data()
                    + ": " + Buses.reason(e), e);
        }
        Log.debug(() -> "wrote a chunk of " + chunk.remaining() + " bytes");
    }

    @Override
    public void close() throws IOException {
        try {
            if (watcher != null) {
                watcher.close();
            }
        } finally {
            lock.close();
        }
    }
}
