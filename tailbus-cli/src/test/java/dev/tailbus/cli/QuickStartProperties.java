package dev.tailbus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tailbus.filebus.BusConfig;
import dev.tailbus.filebus.Chunking;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;
import picocli.CommandLine;

/**
 * The quick path reads a filebus command line only where picocli, the definition, reads it the
 * same: the same bus settings, the same action, the same chunking. Command lines are drawn from
 * the pieces a user types, right and wrong, in any order around an action and a filename.
 */
class QuickStartProperties {
    /** Pieces of a command line: an option with its value, an action, or a mistake. */
    private static final List<List<String>> PIECES = List.of(
            List.of("producer"), List.of("consumer"), List.of("--lossless"), List.of("--back-pressure"),
            List.of("--no-file-monitoring"), List.of("-v"), List.of("--verbose"), List.of("--blocking-read"),
            List.of("--block-size", "8"), List.of("--block-size=65536"), List.of("--block-size", "0"),
            List.of("--impl", "bash"), List.of("--implementation=python"), List.of("--impl", "perl"),
            List.of("--filename", "/tmp/tailbus-quick/a"), List.of("--filename=/tmp/tailbus-quick/b"),
            List.of("--sleep-interval", "0.05"), List.of("--sleep-interval=2"), List.of("--sleep-interval", "soon"));
    /** Tokens that are odd on their own: values without options, mistakes, forms picocli reads its own way. */
    private static final List<String> ODD = List.of(
            "-vv", "--block-size=010", "8", "python", "-1", "--colour", "@args", "--", "-h", "x", "--filename",
            "--block-size", "--sleep-interval=", "--lossless=true");

    @Provide
    Arbitrary<List<String>> commandLines() {
        Arbitrary<List<String>> piece = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(12, Arbitraries.of(PIECES)),
                net.jqwik.api.Tuple.of(1, Arbitraries.of(ODD).map(List::of)));
        Arbitrary<List<String>> base = Arbitraries.of(List.of("producer"), List.of("consumer"));
        Arbitrary<List<String>> filename = Arbitraries.of(List.of("--filename", "/tmp/tailbus-quick/bus"),
                List.of("--filename=/tmp/tailbus-quick/bus"));
        return net.jqwik.api.Combinators.combine(base, filename, piece.list().ofMaxSize(6), Arbitraries.randoms())
                .as((action, file, more, random) -> {
                    List<List<String>> all = new ArrayList<>(more);
                    all.add(random.nextInt(all.size() + 1), action);
                    all.add(random.nextInt(all.size() + 1), file);
                    List<String> tokens = new ArrayList<>();
                    all.forEach(tokens::addAll);
                    return tokens;
                });
    }

    @Property(tries = 400)
    void shouldReadACommandLineOnlyAsPicocliReadsIt(@ForAll("commandLines") List<String> tokens) {
        List<String> args = new ArrayList<>();
        args.add("filebus");
        args.addAll(tokens);
        QuickStart.Filebus quick = QuickStart.Filebus.parse(args.toArray(String[]::new));
        Statistics.collect(quick == null ? "left to picocli" : "read quickly");
        if (quick == null) {
            return;
        }
        Read picocli = picocli(args);
        assertThat(picocli).as("picocli reads %s", args).isNotNull();
        assertThat(quick.action).isEqualTo(picocli.action);
        assertThat(quick.blockingRead).isEqualTo(picocli.blockingRead);
        assertThat(quick.command.verbose.length).isEqualTo(picocli.command.verbose.length);
        assertThat(settings(quick.command, quick.blockingRead)).isEqualTo(settings(picocli.command, picocli.blockingRead));
    }

    @Example
    void shouldTakeTheReferenceCommandLinesInTheirUsualForms() {
        String[][] lines = {
            {"filebus", "--filename", "/tmp/b", "consumer"},
            {"filebus", "--lossless", "--block-size", "65536", "--filename=/tmp/b", "producer", "--blocking-read"},
            {"filebus", "producer", "--impl", "bash", "-v", "-v", "--filename", "/tmp/b", "--sleep-interval", "0.5"},
        };
        for (String[] line : lines) {
            assertThat(QuickStart.Filebus.parse(line)).as(String.join(" ", line)).isNotNull();
        }
    }

    @Example
    void shouldLeaveMistakesToPicocli() {
        assertThat(QuickStart.Filebus.parse(new String[] {"filebus", "consumer"})).isNull();
        assertThat(QuickStart.Filebus.parse(new String[] {"filebus", "--filename", "/tmp/b"})).isNull();
        assertThat(QuickStart.Filebus.parse(new String[] {"filebus", "--filename", "/tmp/b", "--colour", "consumer"})).isNull();
        assertThat(QuickStart.Filebus.parse(new String[] {"filebus", "--blocking-read", "--filename", "/tmp/b", "producer"}))
                .isNull();
    }

    /** What picocli read, or null if it refused the command line. */
    private record Read(FilebusCommand command, String action, boolean blockingRead) {
    }

    private static Read picocli(List<String> args) {
        CommandLine root = Tailbus.commandLine(List.of("filebus"));
        FilebusCommand command = (FilebusCommand) root.getSubcommands().get("filebus").getCommand();
        CommandLine.ParseResult result;
        try {
            result = root.parseArgs(args.toArray(String[]::new));
        } catch (CommandLine.ParameterException e) {
            return null;
        }
        CommandLine.ParseResult action = result.subcommand().subcommand();
        if (action == null) {
            return null;
        }
        boolean blockingRead = action.commandSpec().userObject() instanceof FilebusCommand.Produce p && p.blockingRead;
        return new Read(command, action.commandSpec().name(), blockingRead);
    }

    /** The bus settings, or the message of the failure that refuses them. */
    private static Object settings(FilebusCommand command, boolean blockingRead) {
        try {
            BusConfig config = command.settings(blockingRead ? Chunking.FULL_BLOCKS : null);
            return config;
        } catch (RuntimeException e) {
            return e.getMessage();
        }
    }
}
