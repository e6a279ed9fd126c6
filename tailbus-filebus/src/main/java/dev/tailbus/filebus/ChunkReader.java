package dev.tailbus.filebus;

import dev.tailbus.core.TailbusException.Kind;
import dev.tailbus.core.fs.LockFile;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
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
    private record Identity(Object device, Object inode, Object ctime, Object mtime, Object size) {
        static Identity of(Map<String, Object> attributes) {
            return new Identity(attributes.get("dev"), attributes.get("ino"), attributes.get("ctime"),
                    attributes.get("lastModifiedTime"), attributes.get("size"));
        }
    }

    private final BusPaths paths;
    private final LockFile lock;
    private final BusWatcher watcher;
    private ByteBuffer buffer;
    private Identity delivered;

    private ChunkReader(BusPaths paths, LockFile lock, BusWatcher watcher, int blockSize) {
        this.paths = paths;
        this.lock = lock;
        this.watcher = watcher;
        this.buffer = ByteBuffer.allocateDirect(Math.max(blockSize, 4096) + 1);
    }

    static ChunkReader open(BusConfig config) {
        BusPaths paths = config.paths();
        Buses.createFolder(paths);
        LockFile lock = Buses.openLock(paths);
        BusWatcher watcher = BusWatcher.open(paths, config.fileMonitoring(), config.sleepInterval());
        return new ChunkReader(paths, lock, watcher, config.blockSize());
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
            Map<String, Object> attributes;
            try {
                attributes = Files.readAttributes(paths.data(), "unix:dev,ino,ctime,lastModifiedTime,size");
            } catch (NoSuchFileException e) {
                return null;
            }
            Identity identity = Identity.of(attributes);
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
     */
    int take(Sink sink) throws IOException {
        while (true) {
            if (Files.exists(paths.data())) {
                lock.lock();
                try {
                    ByteBuffer chunk = readData();
                    if (chunk != null) {
                        int size = chunk.remaining();
                        sink.accept(chunk);
                        try {
                            Files.delete(paths.data());
                        } catch (NoSuchFileException e) {
                            // Taken by a consumer that does not lock; it was ours to deliver too.
                        }
                        return size;
                    }
                } finally {
                    lock.unlock();
                }
            }
            watcher.await();
        }
    }

    /** Reads F whole, or returns null if it does not exist. */
    private ByteBuffer readData() throws IOException {
        try (FileChannel channel = FileChannel.open(paths.data(), StandardOpenOption.READ)) {
            long size = channel.size();
            if (size > Integer.MAX_VALUE - 8) {
                throw new FilebusException(Kind.UNAVAILABLE, paths.data(), paths.data() + " holds a chunk of " + size
                        + " bytes, more than one read can take");
            }
            // One byte of room past the size seen, so that the read which reports the end fits.
            if (buffer.capacity() <= size) {
                buffer = ByteBuffer.allocateDirect((int) Math.max(size + 1, buffer.capacity() * 2L));
            }
            buffer.clear();
            // Read to the end, not to the size seen: a chunk file is replaced, never appended to,
            // so its end is the end of this chunk.
            while (channel.read(buffer) >= 0) {
                if (!buffer.hasRemaining()) {
                    ByteBuffer bigger = ByteBuffer.allocateDirect(buffer.capacity() * 2);
                    bigger.put(buffer.flip());
                    buffer = bigger;
                }
            }
            buffer.flip();
            return buffer;
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw new FilebusException(Kind.IO, paths.data(), "cannot read " + paths.data() + ": " + Buses.reason(e), e);
        }
    }

    @Override
    public void close() throws IOException {
        try {
            watcher.close();
        } finally {
            lock.close();
        }
    }
}
