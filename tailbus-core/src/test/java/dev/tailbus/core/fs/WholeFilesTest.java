package dev.tailbus.core.fs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WholeFilesTest {
    @TempDir
    Path folder;

    private static byte[] bytes(ByteBuffer buffer) {
        byte[] copy = new byte[buffer.remaining()];
        buffer.duplicate().get(copy);
        return copy;
    }

    @Test
    void shouldWriteRenameReadAndDeleteAFileWhole() throws Exception {
        byte[] content = new byte[10_000];
        new Random(1).nextBytes(content);
        try (WholeFiles files = WholeFiles.open(100)) {
            WholeFiles.Name staging = files.name(folder.resolve("bus.__new__"));
            WholeFiles.Name data = files.name(folder.resolve("bus"));
            ByteBuffer direct = ByteBuffer.allocateDirect(content.length).put(content).flip();

            files.write(staging, direct);
            files.rename(staging, data);

            assertThat(files.exists(staging)).isFalse();
            assertThat(Files.readAllBytes(folder.resolve("bus"))).isEqualTo(content);
            assertThat(bytes(files.read(data))).as("read past the first buffer's size").isEqualTo(content);
            assertThat(files.delete(data)).isTrue();
            assertThat(files.exists(data)).isFalse();
        }
    }

    @Test
    void shouldReadFilesOfExactlyTheBufferSizeAndOneByteLessWhole() throws Exception {
        byte[] content = new byte[64];
        new Random(2).nextBytes(content);
        try (WholeFiles files = WholeFiles.open(64)) {
            WholeFiles.Name full = files.name(folder.resolve("full"));
            WholeFiles.Name shorter = files.name(folder.resolve("shorter"));
            Files.write(folder.resolve("full"), content);
            Files.write(folder.resolve("shorter"), Arrays.copyOf(content, 63));

            assertThat(bytes(files.read(full))).as("a read that filled the buffer is not the end").isEqualTo(content);
            assertThat(bytes(files.read(shorter))).isEqualTo(Arrays.copyOf(content, 63));
        }
    }

    @Test
    void shouldReplaceAnOlderLongerFileWithAHeapBuffer() throws Exception {
        try (WholeFiles files = WholeFiles.open(16)) {
            WholeFiles.Name file = files.name(folder.resolve("f"));
            files.write(file, ByteBuffer.wrap("a longer first content".getBytes()));

            files.write(file, ByteBuffer.wrap("xyz-short".getBytes(), 4, 5));

            assertThat(Files.readString(folder.resolve("f"))).isEqualTo("short");
        }
    }

    @Test
    void shouldReadAnEmptyFileAsEmptyAndAMissingOneAsNull() throws Exception {
        Files.write(folder.resolve("empty"), new byte[0]);
        try (WholeFiles files = WholeFiles.open(16)) {
            assertThat(files.read(files.name(folder.resolve("empty"))).remaining()).isZero();
            assertThat(files.read(files.name(folder.resolve("missing")))).isNull();
            assertThat(files.delete(files.name(folder.resolve("missing")))).isFalse();
        }
    }

    @Test
    void shouldFailWithTheJdksExceptionNamingThePath() {
        try (WholeFiles files = WholeFiles.open(16)) {
            WholeFiles.Name inMissingFolder = files.name(folder.resolve("no/such/file"));

            assertThatThrownBy(() -> files.write(inMissingFolder, ByteBuffer.allocate(1)))
                    .isInstanceOf(NoSuchFileException.class).hasMessageContaining("no/such/file");
        }
    }
}
