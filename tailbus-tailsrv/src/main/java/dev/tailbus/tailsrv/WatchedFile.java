package dev.tailbus.tailsrv;

import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * One served file: its open channel (once the file exists), the size last seen, and the clients
 * reading it. The file's identity is the inode it had when opened: if the path comes to name
 * another inode or none, the file is gone.
 *
 * <p>Threading: used by the conductor thread only (and by {@link #check(Path)} before it starts).
 */
final class WatchedFile implements Closeable {
    private final ServedFile served;
    private final Path fileName;
    private FileChannel channel;
    private Object identity;
    private long size;
    private boolean gone;
    int folderWatch = -1;
    int fileWatch = -1;
    /** Every client of this file, in any state. */
    final Set<TailSession> sessions = new LinkedHashSet<>();
    /** Clients that have been sent everything up to {@link #size()} and wait for more. */
    final Set<TailSession> waiting = new LinkedHashSet<>();
    /** Its counters, for {@link FileStats}. */
    final FileMeter meter = new FileMeter();

    WatchedFile(ServedFile served) {
        this.served = served;
        this.fileName = served.path().getFileName();
    }

    ServedFile served() {
        return served;
    }

    Path path() {
        return served.path();
    }

    Path folder() {
        return served.path().getParent();
    }

    /** Whether {@code name}, from an event of the folder watch, is this file's name. */
    boolean isNamed(String name) {
        return fileName != null && fileName.toString().equals(name);
    }

    boolean isOpen() {
        return channel != null;
    }

    FileChannel channel() {
        return channel;
    }

    /** The size at the last {@link #open()} or {@link #refresh()}; 0 before the file exists. */
    long size() {
        return size;
    }

    boolean isGone() {
        return gone;
    }

    /**
     * Checks that {@code path} can be served: a readable regular file, or nothing yet in an
     * existing folder (tailsrv then waits for it).
     */
    static void check(Path path) {
        if (Files.isDirectory(path)) {
            throw new TailsrvException(TailsrvException.Kind.UNAVAILABLE, path + " is a directory, not a file");
        }
        if (Files.exists(path)) {
            if (!Files.isRegularFile(path)) {
                throw new TailsrvException(TailsrvException.Kind.UNAVAILABLE, path + " is not a regular file");
            }
            try (FileChannel probe = FileChannel.open(path, StandardOpenOption.READ)) {
                probe.size();
            } catch (AccessDeniedException e) {
                throw new TailsrvException(TailsrvException.Kind.UNAVAILABLE, "cannot read " + path + ": permission denied", e);
            } catch (IOException e) {
                throw new TailsrvException(TailsrvException.Kind.UNAVAILABLE, "cannot read " + path + ": " + e.getMessage(), e);
            }
            return;
        }
        Path folder = path.getParent();
        if (folder == null || !Files.isDirectory(folder)) {
            throw new TailsrvException(TailsrvException.Kind.UNAVAILABLE,
                    "cannot wait for " + path + ": folder " + folder + " does not exist");
        }
    }

    /**
     * Opens the file if it is there and not yet open. Returns false if there is nothing at the
     * path yet; throws if something is there that cannot be served.
     */
    boolean open() throws IOException {
        if (channel != null) {
            return true;
        }
        if (Files.isDirectory(served.path()) || (Files.exists(served.path()) && !Files.isRegularFile(served.path()))) {
            throw new IOException(served.path() + " is not a regular file");
        }
        FileChannel opened;
        try {
            opened = FileChannel.open(served.path(), StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            return false;
        }
        try {
            identity = Files.readAttributes(served.path(), BasicFileAttributes.class).fileKey();
            size = opened.size();
        } catch (IOException e) {
            opened.close();
            throw e;
        }
        channel = opened;
        return true;
    }

    /** Reads the size again and returns the one seen before. */
    long refresh() throws IOException {
        long before = size;
        size = channel.size();
        return before;
    }

    /**
     * Whether the path no longer names the file that was opened (moved, deleted or replaced).
     * Once gone, a file stays gone.
     */
    boolean checkGone() {
        if (channel == null || gone) {
            return gone;
        }
        try {
            Object now = Files.readAttributes(served.path(), BasicFileAttributes.class).fileKey();
            gone = identity != null && !identity.equals(now);
        } catch (IOException e) {
            gone = true;
        }
        return gone;
    }

    /** Closes the channel. Idempotent. */
    @Override
    public void close() throws IOException {
        FileChannel open = channel;
        channel = null;
        if (open != null) {
            open.close();
        }
    }
}
