package dev.tailbus.core.log;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

/**
 * A file layer for the log's segment and index files ({@link FileLayer}) that remembers, per
 * file (by inode, so across renames), how much of it is known to be on stable storage: the bytes
 * before the lowest offset written or cut since its last {@code force}; and per folder, the
 * files created and renamed in it since it was last forced. {@link #copyAfterPowerCut} then
 * makes the store a power cut at this moment could leave: every file kept up to what was forced,
 * and cut at a random point after it (the writes the kernel had written back by chance); of each
 * folder's unforced creations and renames, in the order they were made, a random first part
 * kept and the rest undone (a journaling file system commits a folder's changes in order): a
 * file created since is gone, a file renamed since is back under its old name. A hook called
 * before every write, cut, force, rename and folder force lets a test cut the power in the middle
 * of an append, a rotation or a recovery.
 *
 * <p>Not modelled: files written outside this layer (the positions file, written durably by
 * {@code Durable.replace}, and the reference files' migration) are kept whole, deletions are
 * taken as done, and new folders are kept.
 *
 * <p>Thread-safe.
 */
final class PowerLossFiles implements FileLayer {
    /** Per inode: the length known to be forced. */
    private final Map<Object, Long> durable = new HashMap<>();
    /** Per folder, its creations and renames since it was last forced, oldest first. */
    private final Map<Path, List<Entry>> unforcedEntries = new HashMap<>();
    private Runnable beforeChange = () -> { };
    private long changes;

    /** Calls {@code hook} before every write, cut or force through this layer (on the calling thread). */
    synchronized void beforeEveryChange(Runnable hook) {
        this.beforeChange = hook;
    }

    /** Writes, cuts and forces made through this layer so far. */
    synchronized long changes() {
        return changes;
    }

    /** A folder entry made since the folder was last forced: a file created ({@code from} null) or renamed. */
    private record Entry(Object key, Path from, Path to) {
    }

    @Override
    public FileChannel open(Path path, boolean writable) throws IOException {
        boolean creating = writable && !Files.exists(path);
        if (creating) {
            hook();
        }
        FileChannel real = FileLayer.FILES.open(path, writable);
        Object key = key(path);
        synchronized (this) {
            // a file this layer has not seen yet was there before: as forced as it is
            durable.computeIfAbsent(key, k -> sizeOf(real));
            if (creating) {
                durable.put(key, 0L);
                unforcedEntries.computeIfAbsent(folder(path), k -> new ArrayList<>()).add(new Entry(key, null, path));
            }
        }
        return writable ? new Recorded(real, key) : real;
    }

    @Override
    public void move(Path source, Path target) throws IOException {
        hook();
        Object key = key(source);
        FileLayer.FILES.move(source, target);
        synchronized (this) {
            unforcedEntries.computeIfAbsent(folder(target), k -> new ArrayList<>()).add(new Entry(key, source, target));
        }
    }

    @Override
    public void forceFolder(Path folder) throws IOException {
        hook();
        FileLayer.FILES.forceFolder(folder);
        synchronized (this) {
            unforcedEntries.remove(folder.toAbsolutePath().normalize());
        }
    }

    private static Path folder(Path file) {
        return file.toAbsolutePath().normalize().getParent();
    }

    private void hook() {
        Runnable hook;
        synchronized (this) {
            changes++;
            hook = beforeChange;
        }
        hook.run();
    }

    /** Bytes of the file at {@code path} not known to be forced (0 for a file this layer never opened). */
    synchronized long unforced(Path path) throws IOException {
        Long forced = durable.get(key(path));
        return forced == null ? 0 : Math.max(0, Files.size(path) - forced);
    }

    /**
     * Copies the store at {@code from} to {@code to} as a power cut now could leave it: each file
     * this layer knows cut at a random point at or after what was forced; every other file whole.
     */
    synchronized void copyAfterPowerCut(Path from, Path to, Random random) throws IOException {
        List<Path> files;
        try (Stream<Path> walk = Files.walk(from)) {
            files = walk.filter(Files::isRegularFile).sorted().toList();
        }
        // where each file is after the cut: the folder changes lost are undone, newest first
        Map<Object, Path> moved = new HashMap<>();
        for (List<Entry> entries : unforcedEntries.values()) {
            int kept = random.nextInt(entries.size() + 1);
            for (int i = entries.size() - 1; i >= kept; i--) {
                Entry e = entries.get(i);
                moved.put(e.key(), e.from()); // null: created since, so gone
            }
        }
        for (Path file : files) {
            Object key;
            try {
                key = key(file);
            } catch (NoSuchFileException e) {
                continue; // deleted meanwhile: gone either way
            }
            Path at = moved.containsKey(key) ? moved.get(key) : file;
            if (at == null) {
                continue;
            }
            Path target = to.resolve(from.toAbsolutePath().normalize().relativize(at.toAbsolutePath().normalize())
                    .toString());
            Files.createDirectories(target.getParent());
            Long forced;
            try {
                Files.copy(file, target, StandardCopyOption.REPLACE_EXISTING);
                forced = durable.get(key);
            } catch (NoSuchFileException e) {
                continue; // deleted meanwhile by a reader's retention: gone either way
            }
            if (forced == null) {
                continue;
            }
            long size = Files.size(target);
            long kept = Math.min(forced, size);
            long cut = kept + (long) (random.nextDouble() * (size - kept + 1));
            try (FileChannel c = FileChannel.open(target, StandardOpenOption.WRITE)) {
                c.truncate(Math.min(size, cut));
            }
        }
    }

    private static Object key(Path path) throws IOException {
        return Files.readAttributes(path, BasicFileAttributes.class).fileKey();
    }

    private static long sizeOf(FileChannel c) {
        try {
            return c.size();
        } catch (IOException e) {
            return 0;
        }
    }

    private void changing(Object key, long from) {
        change(() -> durable.merge(key, from, Math::min));
    }

    private void forced(Object key, long size) {
        change(() -> durable.put(key, size));
    }

    /** Counts a change and runs the hook before it (where a power cut may fall), then records it. */
    private void change(Runnable record) {
        Runnable hook;
        synchronized (this) {
            changes++;
            hook = beforeChange;
        }
        hook.run();
        synchronized (this) {
            record.run();
        }
    }

    /** A writer's channel whose writes, cuts and forces are recorded. */
    private final class Recorded extends ForwardingChannel {
        private final Object key;

        Recorded(FileChannel real, Object key) {
            super(real);
            this.key = key;
        }

        @Override
        void changing(long from) {
            PowerLossFiles.this.changing(key, from);
        }

        @Override
        void forcing() throws IOException {
            if (!real.isOpen()) {
                throw new ClosedChannelException();
            }
            forced(key, real.size());
        }
    }
}
