package dev.tailbus.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code tailbus completion bash}: prints a bash completion script for {@code tailbus} and its
 * links ({@code filebus}, {@code tailsrv}, {@code protobus-server}), made by picocli's generator
 * from the same command models that parse the command line, so it never falls behind them.
 */
@Command(name = "completion",
        mixinStandardHelpOptions = true,
        description = {"Print a completion script for SHELL (bash; zsh can load it after bashcompinit).",
            "Install: tailbus completion bash > ~/.local/share/bash-completion/completions/tailbus",
            "or, for this shell only: source <(tailbus completion bash)"})
public final class CompletionCommand implements Callable<Integer> {
    /** The shells a script is made for. */
    enum Shell { bash }

    /** The links in {@code bin/} named after a tool, which behave as {@code tailbus TOOL}. */
    private static final String[] LINKS = {"filebus", "tailsrv", "protobus-server"};

    @Parameters(paramLabel = "SHELL", description = "bash")
    Shell shell;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        CommandLine all = Tailbus.commandLine(Tailbus.TOOLS);
        StringBuilder script = new StringBuilder(AutoComplete.bash("tailbus", all));
        // Each link completes as its tool does: picocli's function for that subcommand alone.
        for (String link : LINKS) {
            script.append(System.lineSeparator()).append(AutoComplete.bash(link, all.getSubcommands().get(link)));
        }
        PrintWriter out = spec.commandLine().getOut();
        out.print(script);
        out.flush();
        return out.checkError() ? Tailbus.FAILURE : 0;
    }
}
