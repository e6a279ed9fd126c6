package dev.tailbus.filebus;

import dev.tailbus.core.TailbusException.Kind;
import dev.tailbus.core.fs.Closeables;
import dev.tailbus.core.fs.LockFile;
import dev.tailbus.core.fs.WholeFiles;
import dev.tailbus.filebus.PhaseTimes.Phase;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Objects;

/**
 * The consuming side's file I/O: reads the current chunk {@code F}, and in lossless mode takes it
 * (deletes it) so that exactly one consumer gets each chunk.
 *
 * <p>Design note: the reference tells a new chunk by F's (device, inode), but ext4 hands the two
 * inodes of F and F.__new__ out alternately, so a changed chunk can look unchanged. Here a new
 * chunk is told by inotify: the pending events are drained while the lock is held, before F is
 * read, so any rename event seen afterwards is of a chunk written after that read. Without
 * inotify, F's identity is its (device, inode, ctime, mtime, size), compared under the lock.
 *
 * <p>Called from one thread.
 */
final class ChunkReader implements Closeable {
    /** The identity of one chunk file, for polling without inotify. */
    record Identity(Object device, Object inode, Object ctime, Object mtime, Object size) {
        static Identity of(Map<String, Object> attributes) {
            return new Identity(attributes.get("dev"), attributes.get("ino"), attributes.get("ctime"),
                    attributes.get("lastModifiedTime"), attributes.get("size"));
        }
    }

    private final BusPaths paths;
    private final LockFile lock;
    private final BusWatcher watcher;
    private final WholeFiles files;
    private final WholeFiles.Name data;
    private Identity delivered;
    private boolean taken;

    private ChunkReader(BusPaths paths, LockFile lock, BusWatcher watcher, WholeFiles files) {
        this.paths = paths;
        this.lock = lock;
        this.watcher = watcher;
        this.files = files;
        this.data = files.name(paths.data());
    }

    static ChunkReader open(BusConfig config) {
        BusPaths paths = config.paths();
        Buses.createFolder(paths);
        LockFile lock = Buses.openLock(paths);
        BusWatcher watcher = BusWatcher.open(config, BusWatcher.Awaited.APPEARS);
        // One byte of room past a full block, so that the read which reports the end fits.
        return new ChunkReader(paths, lock, watcher, WholeFiles.open(readLimit(config)));
    }

    private static int readLimit(BusConfig config) {
        return Math.max(config.blockSize(), 4096) + 1;
    }

    /** The chunk that a lossy consumer found on the bus at start, read before it opened anything else. */
    record FirstChunk(ByteBuffer bytes, Identity identity) {
    }

    /**
     * Lossy mode, at start: reads the chunk on the bus, if any, with the JDK's own file calls
     * and without the lock, as the reference's bash consumer does (a chunk is replaced by a
     * rename, so an open descriptor always reads one whole chunk). It costs a new process no libc
     * binding, whose generated stubs take longer than the whole JVM start before the first
     * output. Returns null when there is no chunk, or when it could not be read cleanly (replaced
     * twice during the read, too large, unreadable): {@link #readIfNew} then reads it under the
     * lock, and reports what is wrong.
     *
     * <p>The chunk's identity is read before and after the bytes, and the read counts only when
     * both agree, so it names the file that was read; {@link #open(BusConfig, FirstChunk)} takes
     * it as delivered, and the watch made after this read tells any later chunk.
     */
    static FirstChunk readFirst(BusConfig config) {
        Path file = config.paths().data();
        for (int attempt = 0; attempt < 3; attempt++) {
            try {
                Identity before = identity(file);
                if (before.size() instanceof Long size && size >= readLimit(config)) {
                    return null;
                }
                ByteBuffer bytes;
                try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
                    bytes = ByteBuffer.allocate(readLimit(config));
                    while (bytes.hasRemaining() && channel.read(bytes) >= 0) {
                        // a chunk file is replaced, never appended to: read to its end
                    }
                }
                if (!bytes.hasRemaining()) {
                    return null;
                }
                if (before.equals(identity(file))) {
                    return new FirstChunk(bytes.flip(), before);
                }
            } catch (IOException e) {
                return null;
            }
        }
        return null;
    }

    /** Opens the reader of a lossy consumer that already delivered {@code first} (null: nothing). */
    static ChunkReader open(BusConfig config, FirstChunk first) {
        ChunkReader reader = open(config);
        if (first != null) {
            reader.delivered = first.identity();
        }
        return reader;
    }

    private static Identity identity(Path file) throws IOException {
        return Identity.of(Files.readAttributes(file, "unix:dev,ino,ctime,lastModifiedTime,size"));
    }

    BusWatcher watcher() {
        return watcher;
    }

    /**
     * Lossy mode: returns the current chunk if it was not returned before, else null. The
     * returned buffer is valid until the next call.
     *
     * @param changed an event said F was replaced since the last call
     */
    ByteBuffer readIfNew(boolean changed) throws IOException {
        lock.lock();
        try {
            boolean replaced = watcher.drain() || changed;
            Identity identity;
            try {
                identity = identity(paths.data());
            } catch (NoSuchFileException e) {
                return null;
            }
            if (!replaced && Objects.equals(identity, delivered)) {
                return null;
            }
            ByteBuffer chunk = readData();
            delivered = identity;
            return chunk;
        } finally {
            lock.unlock();
        }
    }

    /** Where a taken chunk goes before it is deleted from the bus. */
    @FunctionalInterface
    interface Sink {
        void accept(ByteBuffer chunk) throws IOException;
    }

    /**
     * Lossless mode: waits for a chunk, hands it to {@code sink}, then deletes it, all under the
     * lock. If the sink fails, the chunk stays on the bus for another consumer. Returns the
     * chunk's size: 0 is the end-of-stream marker.
     *
     * <p>F is looked at (access(2)) only where no event told of it: before the first chunk (which
     * may predate the watch), and after a wait that timed out or polled. After a chunk it took,
     * it waits for the rename event at once; after the event it takes the lock and reads.
     */
    int take(Sink sink) throws IOException {
        long t = PhaseTimes.start();
        // F was ours and is deleted: the next one comes with an event, so wait before looking.
        boolean wait = taken && watcher.monitoring();
        // After an event about F, go straight to the lock; the read tells whether F is there.
        boolean look = true;
        while (true) {
            if (!wait && (!look || files.exists(data))) {
                t = PhaseTimes.end(taken ? Phase.BUS_EMPTY : Phase.FIRST_CHUNK, t);
                // Woken by the producer's rename, which it follows with its unlock at once.
                lock.lock(watcher.lockSpinNanos());
                t = PhaseTimes.end(Phase.READ_LOCK, t);
                try {
                    ByteBuffer chunk = readData();
                    t = PhaseTimes.end(Phase.READ, t);
                    if (chunk != null) {
                        int size = chunk.remaining();
                        sink.accept(chunk);
                        t = PhaseTimes.end(Phase.STDOUT, t);
                        // false: taken by a consumer that does not lock; it was ours to deliver too.
                        delete();
                        t = PhaseTimes.end(Phase.UNLINK, t);
                        taken = true;
                        return size;
                    }
                } finally {
                    t = PhaseTimes.start();
                    lock.unlock();
                    PhaseTimes.end(Phase.READ_UNLOCK, t);
                }
            }
            look = !watcher.await();
            wait = false;
        }
    }

    private void delete() throws IOException {
        try {
            files.delete(data);
        } catch (IOException e) {
            throw new FilebusException(Kind.IO, paths.data(), "cannot delete " + paths.data() + ": " + Buses.reason(e), e);
        }
    }

    /** Reads F whole, to its end (a chunk file is replaced, never appended to), or returns null if it does not exist. */
    private ByteBuffer readData() throws IOException {
        try {
            return files.read(data);
        } catch (IOException e) {
            throw new FilebusException(Kind.IO, paths.data(), "cannot read " + paths.data() + ": " + Buses.reason(e), e);
        } catch (IllegalStateException e) {
            throw new FilebusException(Kind.UNAVAILABLE, paths.data(), paths.data() + " holds a chunk too large to read whole");
        }
    }

    @Override
    public void close() throws IOException {
        Closeables.closeAll(watcher, files, lock);
    }
}
