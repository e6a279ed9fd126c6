package dev.tailbus.core.fs;

import java.io.Closeable;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Files written, read, renamed and deleted whole, straight through libc: for protocols that pass
 * each message as a file of its own (filebus writes, renames, reads and deletes one file per
 * chunk), thousands of times a second.
 *
 * <p>Design note: {@code FileChannel.open} and {@code Files.move} cost several times the system
 * calls under them (option sets, path conversion, a cleaner per channel, a copy of heap buffers),
 * and all of that runs interpreted until the JIT has compiled it, which is much of a short
 * pipe's life. Here a path is encoded once ({@link #name}), the read buffer is native and reused,
 * and a call allocates nothing. Failures are the JDK's own exceptions ({@link
 * NoSuchFileException}, {@link AccessDeniedException}, else {@link FileSystemException} with the
 * system's reason), so callers report them as they report java.nio's.
 *
 * <p>Threading: used by one thread at a time; {@link #close} once that use is over.
 */
public final class WholeFiles implements Closeable {
    private static final int EACCES = 13;
    private static final int EPERM = 1;

    /** A path encoded once for the calls of one {@link WholeFiles}. */
    public static final class Name {
        private final Path path;
        private final MemorySegment encoded;

        private Name(Path path, MemorySegment encoded) {
            this.path = path;
            this.encoded = encoded;
        }

        public Path path() {
            return path;
        }
    }

    private final Arena arena = Arena.ofShared();
    private final MemorySegment capture = Libc.allocateCapture(arena);
    private Arena readArena;
    private MemorySegment readBuffer;
    private MemorySegment writeBuffer;
    private boolean closed;

    private WholeFiles(int readCapacity) {
        readArena = Arena.ofShared();
        readBuffer = readArena.allocate(Math.max(readCapacity, 1), 16);
    }

    /** Prepares for files of up to {@code readCapacity} bytes (larger ones grow the buffer). */
    public static WholeFiles open(int readCapacity) {
        return new WholeFiles(readCapacity);
    }

    /** Encodes {@code path} for the calls below. */
    public Name name(Path path) {
        return new Name(path, arena.allocateFrom(path.toString()));
    }

    /**
     * Creates or truncates {@code file} and writes {@code bytes} (from its position to its limit)
     * into it. A heap buffer is copied to native memory first; a direct one is written as it is.
     */
    public void write(Name file, ByteBuffer bytes) throws IOException {
        MemorySegment data = bytes.isDirect() ? MemorySegment.ofBuffer(bytes) : copied(bytes);
        int fd = Libc.open(capture, file.encoded, Libc.O_WRONLY | Libc.O_CREAT | Libc.O_TRUNC | Libc.O_CLOEXEC, 0666);
        if (fd < 0) {
            throw failure(file, Libc.errno(capture));
        }
        long done = 0;
        long size = data.byteSize();
        try {
            while (done < size) {
                long n = Libc.write(capture, fd, data.asSlice(done), size - done);
                if (n < 0) {
                    int errno = Libc.errno(capture);
                    if (errno != Libc.EINTR) {
                        throw failure(file, errno);
                    }
                } else {
                    done += n;
                }
            }
        } finally {
            int rc = Libc.close(capture, fd);
            // close reports a delayed write error (NFS, quotas); the data is then not written.
            if (rc < 0 && done == size && Libc.errno(capture) != Libc.EINTR) {
                throw failure(file, Libc.errno(capture));
            }
        }
    }

    private MemorySegment copied(ByteBuffer bytes) {
        int size = bytes.remaining();
        if (writeBuffer == null || writeBuffer.byteSize() < size) {
            writeBuffer = arena.allocate(Math.max(size, 4096), 16);
        }
        MemorySegment target = writeBuffer.asSlice(0, size);
        target.copyFrom(MemorySegment.ofBuffer(bytes));
        return target;
    }

    /**
     * Reads {@code file} whole, to its end; returns null if it does not exist. The buffer returned
     * is valid until the next call of this method.
     *
     * <p>Reads until a read returns 0: a short read is not taken as the end, since network and
     * FUSE file systems may return one before it, and a lossless consumer would then deliver
     * and delete a chunk cut short. (Taking it as the end saved one call a chunk and no
     * measurable time.)
     */
    public ByteBuffer read(Name file) throws IOException {
        int fd = Libc.open(capture, file.encoded, Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
        if (fd < 0) {
            int errno = Libc.errno(capture);
            if (errno == Libc.ENOENT) {
                return null;
            }
            throw failure(file, errno);
        }
        try {
            long done = 0;
            while (true) {
                if (done == readBuffer.byteSize()) {
                    grow();
                }
                long asked = readBuffer.byteSize() - done;
                long n = Libc.read(capture, fd, readBuffer.asSlice(done), asked);
                if (n == 0) {
                    return readBuffer.asSlice(0, done).asByteBuffer();
                }
                if (n < 0) {
                    int errno = Libc.errno(capture);
                    if (errno != Libc.EINTR) {
                        throw failure(file, errno);
                    }
                } else {
                    done += n;
                }
            }
        } finally {
            Libc.close(capture, fd);
        }
    }

    private void grow() {
        if (readBuffer.byteSize() > Integer.MAX_VALUE / 2) {
            throw new IllegalStateException("a file of more than " + Integer.MAX_VALUE / 2 + " bytes to read whole");
        }
        Arena bigger = Arena.ofShared();
        MemorySegment buffer = bigger.allocate(readBuffer.byteSize() * 2, 16);
        buffer.copyFrom(readBuffer);
        readArena.close();
        readArena = bigger;
        readBuffer = buffer;
    }

    /** Renames {@code from} onto {@code to} atomically, replacing {@code to} if it exists. */
    public void rename(Name from, Name to) throws IOException {
        if (Libc.rename(capture, from.encoded, to.encoded) < 0) {
            throw failure(from, Libc.errno(capture));
        }
    }

    /** Deletes {@code file}; returns false if it did not exist. */
    public boolean delete(Name file) throws IOException {
        if (Libc.unlink(capture, file.encoded) < 0) {
            int errno = Libc.errno(capture);
            if (errno == Libc.ENOENT) {
                return false;
            }
            throw failure(file, errno);
        }
        return true;
    }

    /** Whether {@code file} exists (a failure to tell counts as existing: the caller looks again). */
    public boolean exists(Name file) {
        return Libc.exists(capture, file.encoded) == 0 || Libc.errno(capture) != Libc.ENOENT;
    }

    private static IOException failure(Name file, int errno) {
        String path = file.path.toString();
        return switch (errno) {
            case Libc.ENOENT -> new NoSuchFileException(path);
            case EACCES, EPERM -> new AccessDeniedException(path);
            default -> new FileSystemException(path, null, Libc.strerror(errno));
        };
    }

    /** Frees the native memory. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        readArena.close();
        arena.close();
    }
}
