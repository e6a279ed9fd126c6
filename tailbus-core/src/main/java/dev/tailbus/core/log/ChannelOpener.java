package dev.tailbus.core.log;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Opens the channels of segment and index files for {@link OpenFiles}: the one place the log's
 * data files are opened, so that tests can put a file layer of their own underneath (one that
 * records what was written and what was forced, and "loses power" at a chosen moment).
 *
 * <p>Implementations are thread-safe.
 */
@FunctionalInterface
interface ChannelOpener {
    /** The files of the operating system, as they are. */
    ChannelOpener FILES = (path, writable) -> writable
            ? FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE)
            : FileChannel.open(path, StandardOpenOption.READ);

    /** Opens {@code path} read-write (created when missing) when {@code writable}, else read-only. */
    FileChannel open(Path path, boolean writable) throws IOException;
}
