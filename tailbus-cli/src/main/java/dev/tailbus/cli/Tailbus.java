package dev.tailbus.cli;

import dev.tailbus.core.TailbusException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The one launcher: {@code tailbus TOOL ...}. Each tool is a subcommand; {@code bin/tailbus}
 * reached through a link named after a tool puts that name first, so {@code bin/filebus ...}
 * is {@code tailbus filebus ...}. The most frequent command lines of a pipe tool run without
 * picocli ({@link QuickStart}); the others build only the subcommand they name ({@link #TOOLS}).
 *
 * <p>Errors reach the user as one line on stderr and an exit status: 2 for a usage error, 1 for
 * anything the world did (a missing file, a port in use). Set {@code TAILBUS_DEBUG=1} to see the
 * stack trace of an unexpected failure.
 */
@Command(name = "tailbus",
        mixinStandardHelpOptions = true,
        versionProvider = Tailbus.Version.class,
        description = "File-backed streaming for one machine.")
public final class Tailbus implements Runnable {
    /**
     * Every tool, in the order {@code --help} lists them. A new subcommand is registered here:
     * its name in this list and a {@code case} in {@link #create(String)}. (Not in the
     * annotation: picocli would then build every tool's model, and load its classes, at each
     * start.)
     */
    static final List<String> TOOLS = List.of(
            "filebus", "tailsrv", "protobus-server", "publish", "subscribe", "topics", "store", "completion");

    /** A new command object of the tool {@code name}, one of {@link #TOOLS}. */
    static Object create(String name) {
        // A switch on strings compiles to plain branches: a tool's class is loaded only when its
        // branch runs (a list of lambdas or class literals would load every tool's class).
        return switch (name) {
            case "filebus" -> new FilebusCommand();
            case "tailsrv" -> new TailsrvCommand();
            case "protobus-server" -> new ProtobusServerCommand();
            case "publish" -> new PublishCommand();
            case "subscribe" -> new SubscribeCommand();
            case "topics" -> new TopicsCommand();
            case "store" -> new StoreCommand();
            case "completion" -> new CompletionCommand();
            default -> throw new IllegalArgumentException("not a tool: " + name);
        };
    }

    /** Exit status for a usage error, as the reference tools (argparse) use. */
    public static final int USAGE = 2;
    /** Exit status for a runtime failure. */
    public static final int FAILURE = 1;

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        int status;
        try {
            status = run(args);
        } catch (Throwable fatal) {
            // picocli passes Errors (out of memory, a broken installation) through: still one line.
            System.err.println("tailbus: fatal: " + fatal);
            if (System.getenv("TAILBUS_DEBUG") != null) {
                fatal.printStackTrace();
            }
            status = FAILURE;
        }
        System.exit(status);
    }

    /** Runs the command line and returns its exit status; never throws. */
    public static int run(String... args) {
        Integer quick = QuickStart.run(args);
        if (quick != null) {
            return quick;
        }
        CommandLine line = commandLine(toolsFor(args));
        line.setParameterExceptionHandler(Tailbus::usageError);
        line.setExecutionExceptionHandler((e, cmd, parsed) -> failure(e, cmd));
        return line.execute(args);
    }

    /** The root command with the subcommands {@code tools} (names from {@link #TOOLS}). */
    static CommandLine commandLine(List<String> tools) {
        CommandLine line = new CommandLine(new Tailbus());
        for (String tool : tools) {
            line.addSubcommand(tool, create(tool));
        }
        return line;
    }

    /**
     * The tools a command line needs: the one it names (the first argument that is not an option,
     * since the root's options take no value); every tool when it names none it knows or asks the
     * root for help (which lists them all); none for {@code --version} or nothing at all.
     */
    static List<String> toolsFor(String... args) {
        boolean help = false;
        for (String arg : args) {
            if (!arg.startsWith("-")) {
                return !help && TOOLS.contains(arg) ? List.of(arg) : TOOLS;
            }
            help |= arg.equals("-h") || arg.equals("--help");
        }
        return help ? TOOLS : List.of();
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name a tool: " + String.join(", ", TOOLS));
    }

    private static int usageError(CommandLine.ParameterException e, String[] args) {
        CommandLine cmd = e.getCommandLine();
        PrintWriter err = cmd.getErr();
        err.println(cmd.getCommandSpec().qualifiedName() + ": " + e.getMessage());
        err.println("Try '" + cmd.getCommandSpec().qualifiedName() + " --help' for more information.");
        err.flush();
        return USAGE;
    }

    private static int failure(Exception e, CommandLine cmd) {
        return failure(e, cmd.getCommandSpec().qualifiedName(), cmd.getErr());
    }

    /** Reports a failure of the command {@code name} as one line on {@code err}; returns the exit status. */
    static int failure(Exception e, String name, PrintWriter err) {
        Throwable cause = e instanceof UncheckedIOException u ? u.getCause() : e;
        int status;
        if (cause instanceof TailbusException t) {
            err.println(name + ": " + t.getMessage());
            status = t.kind().exitStatus();
        } else if (cause instanceof IOException io) {
            err.println(name + ": " + io.getMessage());
            status = FAILURE;
        } else {
            err.println(name + ": unexpected error: " + cause);
            status = FAILURE;
        }
        if (System.getenv("TAILBUS_DEBUG") != null) {
            e.printStackTrace(err);
        }
        err.flush();
        return status;
    }

    /** Standard error as picocli writes to it. */
    static PrintWriter stderr() {
        return new PrintWriter(System.err, true);
    }

    /** The version from the jar's manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {version()};
        }
    }

    /** {@code tailbus VERSION}, the version from the jar's manifest. */
    static String version() {
        String version = Tailbus.class.getPackage().getImplementationVersion();
        // concat, not +: string concatenation spins classes at run time, which a quick start avoids
        return "tailbus ".concat(version == null ? "dev" : version);
    }
}
