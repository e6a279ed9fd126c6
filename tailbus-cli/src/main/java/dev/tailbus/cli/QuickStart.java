package dev.tailbus.cli;

import dev.tailbus.filebus.BusConfig;
import dev.tailbus.filebus.Chunking;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;

/**
 * The command lines a pipe tool is started with most, run without picocli: {@code --version},
 * the help of filebus and its actions, and a well-formed {@code filebus ... producer|consumer}.
 * Any other command line, and any of these that is not exactly of the forms below, goes to
 * picocli, which stays the definition of every command line and the one that reports mistakes.
 *
 * <p>Design note: picocli builds a command's model by reflecting on its annotations, and the JVM
 * serves annotations through proxy classes that it generates at every start and that no
 * ahead-of-time cache holds; with its own start that is most of a pipe tool's start-up. So the
 * quick path knows filebus's options (the reference's, fixed) and gives up, returning null,
 * on anything it does not know for sure: an unknown or repeated option, a missing or odd
 * value, {@code @files}, clustered short options. It then builds the same {@link FilebusCommand}
 * as picocli would and runs it through the same methods. {@code QuickStartProperties} checks
 * that picocli reads every command line the quick path takes to the same bus and action. The
 * help texts are picocli's own, rendered by the build ({@link HelpTexts}) into the jar.
 */
final class QuickStart {
    private QuickStart() {
    }

    /** Runs {@code args} if it is one of the quick command lines and returns its exit status; else null. */
    static Integer run(String[] args) {
        if (args.length == 1 && (args[0].equals("--version") || args[0].equals("-V"))) {
            System.out.println(Tailbus.version());
            return System.out.checkError() ? Tailbus.FAILURE : 0;
        }
        if (args.length == 0 || !args[0].equals("filebus")) {
            return null;
        }
        String help = helpOf(args);
        if (help != null) {
            return printHelp(help);
        }
        Filebus line = Filebus.parse(args);
        if (line == null) {
            return null;
        }
        BusConfig config;
        try {
            config = line.command.settings(line.blockingRead ? Chunking.FULL_BLOCKS : null);
        } catch (RuntimeException e) {
            return null; // a value the bus refuses: picocli's run says so, in its words
        }
        String name = "tailbus filebus ".concat(line.action);
        try {
            return line.action.equals("producer") ? FilebusCommand.produce(config) : FilebusCommand.consume(config);
        } catch (Exception e) {
            return Tailbus.failure(e, name, Tailbus.stderr());
        }
    }

    /** The help text asked for by {@code filebus [ACTION] -h|--help}, or null. */
    private static String helpOf(String[] args) {
        boolean last = args.length >= 2 && (args[args.length - 1].equals("-h") || args[args.length - 1].equals("--help"));
        if (!last) {
            return null;
        }
        if (args.length == 2) {
            return "filebus";
        }
        if (args.length == 3 && (args[1].equals("producer") || args[1].equals("consumer"))) {
            return "filebus-".concat(args[1]);
        }
        return null;
    }

    private static Integer printHelp(String name) {
        byte[] text;
        try (InputStream in = QuickStart.class.getResourceAsStream(HelpTexts.resource(name))) {
            if (in == null) {
                return null; // a build without the rendered texts: picocli renders it
            }
            text = in.readAllBytes();
        } catch (IOException e) {
            return null;
        }
        PrintStream out = System.out;
        out.write(text, 0, text.length);
        out.flush();
        return out.checkError() ? Tailbus.FAILURE : 0;
    }

    /** A filebus command line read by the quick path: the options as picocli would set them. */
    static final class Filebus {
        final FilebusCommand command = new FilebusCommand();
        String action;
        boolean blockingRead;

        private Filebus() {
            command.blockSize = BusConfig.DEFAULT_BLOCK_SIZE;
            command.implementation = FilebusCommand.Implementation.python;
            command.sleepInterval = "0.1";
        }

        /** {@code args} ({@code filebus ...}) read, or null if picocli should read them. */
        static Filebus parse(String[] args) {
            Filebus line = new Filebus();
            FilebusCommand c = line.command;
            List<String> seen = new java.util.ArrayList<>();
            int verbose = 0;
            int verboseAfter = 0;
            for (int i = 1; i < args.length; i++) {
                String arg = args[i];
                String name = arg;
                String value = null;
                int equals = arg.indexOf('=');
                if (arg.startsWith("--") && equals > 0) {
                    name = arg.substring(0, equals);
                    value = arg.substring(equals + 1);
                }
                if (!name.equals("-v") && !name.equals("--verbose") && !name.equals("producer")
                        && !name.equals("consumer")) {
                    if (seen.contains(canonical(name))) {
                        return null;
                    }
                    seen.add(canonical(name));
                }
                switch (name) {
                    case "producer", "consumer" -> {
                        if (line.action != null || value != null) {
                            return null;
                        }
                        line.action = name;
                    }
                    case "--back-pressure", "--lossless", "--no-file-monitoring", "-v", "--verbose", "--blocking-read" -> {
                        if (value != null) {
                            return null;
                        }
                        switch (name) {
                            case "--back-pressure" -> c.backPressure = true;
                            case "--lossless" -> c.lossless = true;
                            case "--no-file-monitoring" -> c.noFileMonitoring = true;
                            case "--blocking-read" -> {
                                if (!"producer".equals(line.action)) {
                                    return null; // an option of the producer only
                                }
                                line.blockingRead = true;
                            }
                            default -> {
                                if (line.action == null) {
                                    verbose++;
                                } else {
                                    verboseAfter++;
                                }
                            }
                        }
                    }
                    case "--block-size", "--impl", "--implementation", "--filename", "--sleep-interval" -> {
                        if (value == null) {
                            if (++i >= args.length) {
                                return null;
                            }
                            value = args[i];
                        }
                        if (!plainValue(value)) {
                            return null;
                        }
                        switch (name) {
                            case "--block-size" -> {
                                if (!decimal(value)) {
                                    return null;
                                }
                                c.blockSize = Integer.parseInt(value);
                            }
                            case "--filename" -> c.filename = Path.of(value);
                            case "--sleep-interval" -> c.sleepInterval = value;
                            default -> {
                                if (!value.equals("bash") && !value.equals("python")) {
                                    return null;
                                }
                                c.implementation = FilebusCommand.Implementation.valueOf(value);
                            }
                        }
                    }
                    default -> {
                        return null;
                    }
                }
            }
            if (line.action == null || c.filename == null) {
                return null;
            }
            if (verbose > 0 && verboseAfter > 0) {
                return null; // picocli counts the -v of one side of the action only
            }
            c.verbose = new boolean[verbose + verboseAfter];
            return line;
        }

        /** An option's value that picocli, too, reads as just that value. */
        private static boolean plainValue(String value) {
            return !value.isEmpty() && !value.startsWith("-") && !value.startsWith("@")
                    && !value.equals("producer") && !value.equals("consumer");
        }

        /** Digits without a leading zero (picocli might read those as octal), at most nine. */
        private static boolean decimal(String value) {
            if (value.length() > 9 || (value.length() > 1 && value.charAt(0) == '0')) {
                return false;
            }
            for (int i = 0; i < value.length(); i++) {
                if (value.charAt(i) < '0' || value.charAt(i) > '9') {
                    return false;
                }
            }
            return true;
        }

        private static String canonical(String name) {
            return name.equals("--impl") ? "--implementation" : name;
        }
    }
}
