package dev.tailbus.cli;

import dev.tailbus.core.TailbusException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The one launcher: {@code tailbus TOOL ...}. Each tool is a subcommand; {@code bin/tailbus}
 * reached through a link named after a tool puts that name first, so {@code bin/filebus ...}
 * is {@code tailbus filebus ...}.
 *
 * <p>Errors reach the user as one line on stderr and an exit status: 2 for a usage error, 1 for
 * anything the world did (a missing file, a port in use). Set {@code TAILBUS_DEBUG=1} to see the
 * stack trace of an unexpected failure.
 */
@Command(name = "tailbus",
        mixinStandardHelpOptions = true,
        versionProvider = Tailbus.Version.class,
        description = "File-backed streaming for one machine.",
        subcommands = {
            FilebusCommand.class,
            TailsrvCommand.class,
            ProtobusServerCommand.class,
            PublishCommand.class,
            SubscribeCommand.class,
            TopicsCommand.class,
            StoreCommand.class,
        })
public final class Tailbus implements Runnable {
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
        CommandLine line = new CommandLine(new Tailbus());
        line.setParameterExceptionHandler(Tailbus::usageError);
        line.setExecutionExceptionHandler((e, cmd, parsed) -> failure(e, cmd));
        return line.execute(args);
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name a tool: " + String.join(", ",
                spec.subcommands().keySet().stream().filter(n -> !n.equals("help")).toList()));
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
        PrintWriter err = cmd.getErr();
        String name = cmd.getCommandSpec().qualifiedName();
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

    /** The version from the jar's manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = Tailbus.class.getPackage().getImplementationVersion();
            return new String[] {"tailbus " + (version == null ? "dev" : version)};
        }
    }
}
