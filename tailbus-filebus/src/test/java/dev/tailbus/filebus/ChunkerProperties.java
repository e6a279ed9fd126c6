package dev.tailbus.filebus;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;

class ChunkerProperties {
    /** One step of a producer's input: bytes arriving, or a pause. */
    record Step(byte[] bytes) {
        boolean isPause() {
            return bytes == null;
        }
    }

    @Provide
    Arbitrary<List<Step>> inputs() {
        Arbitrary<Step> bytes = Arbitraries.of((byte) 0x61, (byte) 0x0a, (byte) 0, (byte) 0xff)
                .array(byte[].class).ofMaxSize(40).map(Step::new);
        Arbitrary<Step> pause = Arbitraries.just(new Step(null));
        return Arbitraries.frequencyOf(Tuple.of(4, bytes), Tuple.of(1, pause)).list().ofMaxSize(30);
    }

    private static List<byte[]> run(int blockSize, Chunking chunking, List<Step> steps) throws Exception {
        List<byte[]> chunks = new ArrayList<>();
        Chunker chunker = new Chunker(blockSize, chunking, chunk -> {
            byte[] copy = new byte[chunk.remaining()];
            chunk.duplicate().get(copy);
            chunks.add(copy);
        });
        for (Step step : steps) {
            if (step.isPause()) {
                chunker.pause();
            } else {
                chunker.append(step.bytes(), 0, step.bytes().length);
            }
        }
        chunker.end();
        return chunks;
    }

    private static byte[] concatenation(List<byte[]> parts) {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        parts.forEach(all::writeBytes);
        return all.toByteArray();
    }

    private static byte[] input(List<Step> steps) {
        return concatenation(steps.stream().filter(s -> !s.isPause()).map(Step::bytes).toList());
    }

    @Property
    void shouldPassEveryByteOnceInOrderInChunksOfAtMostTheBlockSize(@ForAll("inputs") List<Step> steps,
            @ForAll @IntRange(min = 1, max = 16) int blockSize, @ForAll Chunking chunking) throws Exception {
        List<byte[]> chunks = run(blockSize, chunking, steps);

        assertThat(concatenation(chunks)).isEqualTo(input(steps));
        assertThat(chunks).allSatisfy(chunk -> assertThat(chunk.length).isBetween(1, blockSize));
    }

    @Property
    void shouldCutLinesOnlyAtNewlinesUnlessALineFillsABlock(@ForAll("inputs") List<Step> steps,
            @ForAll @IntRange(min = 1, max = 16) int blockSize) throws Exception {
        List<byte[]> chunks = run(blockSize, Chunking.LINES, steps);

        for (int i = 0; i < chunks.size() - 1; i++) {
            byte[] chunk = chunks.get(i);
            assertThat(chunk[chunk.length - 1] == '\n' || chunk.length == blockSize)
                    .as("chunk %d ends a line or fills a block", i).isTrue();
        }
    }

    @Property
    void shouldCutOnlyFullBlocksWithBlockingRead(@ForAll("inputs") List<Step> steps,
            @ForAll @IntRange(min = 1, max = 16) int blockSize) throws Exception {
        List<byte[]> chunks = run(blockSize, Chunking.FULL_BLOCKS, steps);

        for (int i = 0; i < chunks.size() - 1; i++) {
            assertThat(chunks.get(i)).hasSize(blockSize);
        }
    }

    @Property
    void shouldCutAllPendingBytesOnAPause(@ForAll @IntRange(min = 2, max = 16) int blockSize) throws Exception {
        List<byte[]> chunks = new ArrayList<>();
        Chunker chunker = new Chunker(blockSize, Chunking.BYTES, chunk -> chunks.add(new byte[chunk.remaining()]));

        chunker.append(new byte[] {1}, 0, 1);
        chunker.pause();

        assertThat(chunks).hasSize(1);
        assertThat(chunker.waitsForPause()).isFalse();
    }
}
