package dev.tailbus.filebus;

import dev.tailbus.core.TailbusException.Kind;
import dev.tailbus.core.fs.Closeables;
import dev.tailbus.core.fs.LockFile;
import dev.tailbus.core.fs.WholeFiles;
import dev.tailbus.filebus.PhaseTimes.Phase;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * The producing side's file I/O: puts one chunk on the bus by writing {@code F.__new__} whole and
 * renaming it onto {@code F} while holding the flock on {@code F.lock}. A reader therefore only
 * ever sees a whole chunk, and chunks of concurrent producers never interleave. A stale
 * {@code F.__new__} left by a crashed producer is simply overwritten.
 *
 * <p>Lossless mode adds the back-pressure rule: a chunk is written only when {@code F} does not
 * exist, that is, when a consumer has taken the previous one. F is looked at (access(2)) only
 * where the protocol needs it, under the lock: after this writer's own chunk it waits for the
 * deletion event at once, and after that event it takes the lock without looking first. Only
 * where no event told (the first chunk, a wait that timed out, polling) does it look before
 * locking, so as not to take the lock for nothing.
 *
 * <p>Called from one thread.
 */
final class ChunkWriter implements Closeable {
    private final BusConfig config;
    private final BusPaths paths;
    private final LockFile lock;
    private final BusWatcher watcher;
    private final WholeFiles files;
    private final WholeFiles.Name data;
    private final WholeFiles.Name staging;
    /** Whether the last chunk put on the bus was this writer's (lossless: F was then there). */
    private boolean wroteLast;

    private ChunkWriter(BusConfig config, LockFile lock, BusWatcher watcher, WholeFiles files) {
        this.config = config;
        this.paths = config.paths();
        this.lock = lock;
        this.watcher = watcher;
        this.files = files;
        this.data = files.name(paths.data());
        this.staging = files.name(paths.staging());
    }

    /** Prepares to write onto the bus: creates its folder if missing, opens its lock file. */
    static ChunkWriter open(BusConfig config) {
        BusPaths paths = config.paths();
        Buses.createFolder(paths);
        LockFile lock = Buses.openLock(paths);
        BusWatcher watcher = config.lossless()
                ? BusWatcher.open(config, BusWatcher.Awaited.GOES)
                : null;
        return new ChunkWriter(config, lock, watcher, WholeFiles.open(0));
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
        long t = PhaseTimes.start();
        // F holds our previous chunk until an event says it went: wait before looking.
        boolean wait = wroteLast && watcher.monitoring();
        // After an event about F, go straight to the lock, under which F is looked at anyway.
        boolean look = true;
        while (true) {
            if (!wait && (!look || !files.exists(data))) {
                t = PhaseTimes.end(Phase.BUS_FULL, t);
                // Woken by the consumer's unlink, which it follows with its unlock at once.
                lock.lock(watcher.lockSpinNanos());
                t = PhaseTimes.end(Phase.WRITE_LOCK, t);
                try {
                    if (!files.exists(data)) {
                        stage(chunk);
                        wroteLast = true;
                        return;
                    }
                } finally {
                    t = PhaseTimes.start();
                    lock.unlock();
                    t = PhaseTimes.end(Phase.WRITE_UNLOCK, t);
                }
            }
            look = !watcher.await();
            wait = false;
        }
    }

    private void stage(ByteBuffer chunk) throws IOException {
        long t = PhaseTimes.start();
        try {
            files.write(staging, chunk);
        } catch (IOException e) {
            throw new FilebusException(Kind.IO, paths.staging(), "cannot write " + paths.staging() + ": " + Buses.reason(e), e);
        }
        t = PhaseTimes.end(Phase.STAGE, t);
        try {
            files.rename(staging, data);
        } catch (IOException e) {
            throw new FilebusException(Kind.IO, paths.data(), "cannot rename " + paths.staging() + " onto " + paths.data()
                    + ": " + Buses.reason(e), e);
        }
        PhaseTimes.end(Phase.RENAME, t);
        Log.debug(() -> "wrote a chunk of " + chunk.remaining() + " bytes");
    }

    @Override
    public void close() throws IOException {
        Closeables.closeAll(watcher, files, lock);
    }
}
