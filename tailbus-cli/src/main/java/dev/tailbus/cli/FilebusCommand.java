package dev.tailbus.cli;

import dev.tailbus.filebus.BusConfig;
import dev.tailbus.filebus.BusPaths;
import dev.tailbus.filebus.Chunking;
import dev.tailbus.filebus.Consumer;
import dev.tailbus.filebus.Log;
import dev.tailbus.filebus.Producer;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.ScopeType;

/**
 * {@code tailbus filebus}: the reference filebus's command line, option for option. The options
 * may stand before or after the action, since scripts written for the reference put them before.
 */
@Command(name = "filebus",
        usageHelpAutoWidth = true,
        description = {"A user space multicast named pipe implementation backed by a regular file.",
            "",
            "Producers replace the file whole under a lock. Consumers read each new chunk (lossy),"
                + " or with --back-pressure take each chunk exactly once (lossless)."},
        subcommands = {FilebusCommand.Produce.class, FilebusCommand.Consume.class})
public final class FilebusCommand implements Runnable {
    /** The reference's two implementations; ours follows the chosen one's chunking. */
    enum Implementation { bash, python }

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, scope = ScopeType.INHERIT, description = "show this help message and exit")
    private boolean help;

    @Option(names = "--back-pressure", scope = ScopeType.INHERIT,
            description = "enable lossless back pressure protocol (unconsumed chunks cause producers to block)")
    boolean backPressure;

    @Option(names = "--lossless", scope = ScopeType.INHERIT, description = "an alias for --back-pressure")
    boolean lossless;

    @Option(names = "--block-size", paramLabel = "N", scope = ScopeType.INHERIT, defaultValue = "4096",
            description = "maximum block size in units of bytes (default: ${DEFAULT-VALUE})")
    int blockSize;

    @Option(names = {"--impl", "--implementation"}, paramLabel = "{bash,python}", scope = ScopeType.INHERIT,
            defaultValue = "python",
            description = "chunk as the reference implementation of that name does: python cuts by size and"
                + " pauses, bash sends whole lines; all interoperate (default: ${DEFAULT-VALUE})")
    Implementation implementation;

    @Option(names = "--no-file-monitoring", scope = ScopeType.INHERIT,
            description = "disable filesystem event monitoring (inotify); check every --sleep-interval")
    boolean noFileMonitoring;

    @Option(names = "--filename", paramLabel = "FILE", scope = ScopeType.INHERIT,
            description = "path of the data file (the producer updates it via atomic rename)")
    Path filename;

    @Option(names = "--sleep-interval", paramLabel = "N", scope = ScopeType.INHERIT, defaultValue = "0.1",
            description = "check for new messages at least once every N seconds (default: ${DEFAULT-VALUE})")
    String sleepInterval;

    @Option(names = {"-v", "--verbose"}, scope = ScopeType.INHERIT,
            description = "verbose logging (each occurrence increases verbosity)")
    boolean[] verbose = new boolean[0];

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name an action: producer or consumer");
    }

    BusConfig config(CommandLine action, Chunking override) {
        if (filename == null) {
            throw new CommandLine.ParameterException(action, "--filename FILE is required");
        }
        return settings(override);
    }

    /** The bus these options name (a filename is set); {@code override}: the chunking, if not the default. */
    BusConfig settings(Chunking override) {
        Log.verbosity(verbose.length);
        Chunking chunking = override != null ? override
                : implementation == Implementation.bash ? Chunking.LINES : Chunking.BYTES;
        return new BusConfig(BusPaths.of(filename), blockSize, BusConfig.parseSeconds(sleepInterval),
                backPressure || lossless, !noFileMonitoring, chunking);
    }

    /** {@code filebus producer}: stdin onto the bus. */
    @Command(name = "producer", description = "connect producer side of stream: read stdin, write chunks onto the bus")
    static final class Produce implements Callable<Integer> {
        @ParentCommand
        private FilebusCommand filebus;

        @CommandLine.Spec
        private CommandLine.Model.CommandSpec spec;

        @Option(names = "--blocking-read",
                description = "cut a chunk only when it is full (or at end of input), never when input pauses")
        boolean blockingRead;

        @Override
        public Integer call() throws Exception {
            return produce(filebus.config(spec.commandLine(), blockingRead ? Chunking.FULL_BLOCKS : null));
        }
    }

    /** {@code filebus consumer}: the bus onto stdout. */
    @Command(name = "consumer", description = "connect consumer side of stream: write chunks from the bus to stdout")
    static final class Consume implements Callable<Integer> {
        @ParentCommand
        private FilebusCommand filebus;

        @CommandLine.Spec
        private CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            return consume(filebus.config(spec.commandLine(), null));
        }
    }

    /** Runs a producer from stdin onto the bus; returns the exit status. */
    static int produce(BusConfig config) throws IOException {
        Producer.enlargeStdinPipe();
        Producer.run(config, new FileInputStream(FileDescriptor.in));
        return 0;
    }

    /** Runs a consumer from the bus onto stdout; returns the exit status. */
    static int consume(BusConfig config) throws IOException {
        try (FileOutputStream stdout = new FileOutputStream(FileDescriptor.out)) {
            // after the chunk found at start: its first byte costs no libc binding
            return Consumer.run(config, stdout.getChannel(), () -> {
                Consumer.exitWhenStdoutCloses();
                Consumer.enlargeStdoutPipe();
            });
        }
    }
}
