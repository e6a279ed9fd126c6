package dev.tailbus.filebus;

/** How a producer cuts its input into chunks. */
public enum Chunking {
    /**
     * As the reference's Python producer: byte-agnostic; a chunk is cut when it reaches the block
     * size, or when input pauses for the sleep interval.
     */
    BYTES,
    /**
     * As the reference's bash producer: a chunk is whole lines, cut when it reaches the block size
     * or input pauses (a line longer than the block size is cut at the block size).
     */
    LINES,
    /**
     * {@code producer --blocking-read}: a chunk is cut only when it is full, or at end of input,
     * never because input paused.
     */
    FULL_BLOCKS
}
