package dev.tailbus.filebus;

import java.nio.file.Path;

/**
 * The three paths of one bus, named in this one place, as the reference filebus names them.
 *
 * <pre>
 *   F            the current chunk: a regular file, replaced whole by each write
 *   F.__new__    a producer's next chunk, written completely, then renamed onto F
 *   F.lock       the flock(2) lock file; created on demand, never deleted
 * </pre>
 *
 * @param data the bus file F
 * @param staging F.__new__
 * @param lock F.lock
 */
public record BusPaths(Path data, Path staging, Path lock) {
    /** The paths of the bus whose data file is {@code data}. */
    public static BusPaths of(Path data) {
        Path absolute = data.toAbsolutePath().normalize();
        String name = absolute.getFileName().toString();
        return new BusPaths(absolute, absolute.resolveSibling(name + ".__new__"), absolute.resolveSibling(name + ".lock"));
    }

    /** The folder holding all three. */
    public Path folder() {
        return data.getParent();
    }

    /** F's name within its folder, as inotify reports it. */
    public String dataName() {
        return data.getFileName().toString();
    }
}
