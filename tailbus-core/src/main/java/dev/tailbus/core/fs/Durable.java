package dev.tailbus.core.fs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Durable file replacement: write a temporary file, force it, rename it over the target, then
 * force the folder so that the rename itself survives a power loss.
 *
 * <p>Stateless and thread-safe.
 */
public final class Durable {
    private Durable() {
    }

    /** Replaces {@code target} with {@code content}, durably and atomically. */
    public static void replace(Path target, ByteBuffer content) throws IOException {
        Path temp = target.resolveSibling(target.getFileName() + ".tmp");
        try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            while (content.hasRemaining()) {
                channel.write(content);
            }
            channel.force(true);
        } catch (IOException | RuntimeException e) {
            // the target is untouched; a half-written temporary file would only hold space (a full disk)
            try {
                Files.deleteIfExists(temp);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        move(temp, target);
        forceFolder(target.toAbsolutePath().getParent());
    }

    /** Renames {@code source} onto {@code target} atomically; the target is replaced if present. */
    public static void move(Path source, Path target) throws IOException {
        try {
            Files.move(source, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("cannot rename " + source + " onto " + target + " atomically", e);
        }
    }

    /** Forces a folder's entries (new, renamed or deleted files) to stable storage. */
    public static void forceFolder(Path folder) throws IOException {
        try (FileChannel channel = FileChannel.open(folder, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }
}
