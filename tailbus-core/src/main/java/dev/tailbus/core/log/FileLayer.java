package dev.tailbus.core.log;

import dev.tailbus.core.fs.Durable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * What the log does to its segment and index files, and to their folders, in one place: open
 * them (through {@link OpenFiles}), rename them (rotation) and force their folders (new files,
 * renames, deletions). So tests can put a file layer of their own underneath, one that records
 * what was written and what was forced and "loses power" at a chosen moment.
 *
 * <p>Implementations are thread-safe.
 */
interface FileLayer {
    /** The files of the operating system, as they are. */
    FileLayer FILES = new FileLayer() {
    };

    /** Opens {@code path} read-write (created when missing) when {@code writable}, else read-only. */
    default FileChannel open(Path path, boolean writable) throws IOException {
        return writable
                ? FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE)
                : FileChannel.open(path, StandardOpenOption.READ);
    }

    /** Renames {@code source} onto {@code target} atomically ({@link Durable#move}). */
    default void move(Path source, Path target) throws IOException {
        Durable.move(source, target);
    }

    /** Forces a folder's entries to stable storage ({@link Durable#forceFolder}). */
    default void forceFolder(Path folder) throws IOException {
        Durable.forceFolder(folder);
    }
}
