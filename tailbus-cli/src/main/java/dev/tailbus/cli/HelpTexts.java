package dev.tailbus.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine;

/**
 * The help texts {@link QuickStart} prints without picocli, rendered by picocli itself when the
 * build runs this class ({@code process-classes} phase: {@code java HelpTexts CLASSES_FOLDER}),
 * so that they are always the commands' own, at picocli's width for output that is not a
 * terminal (80 columns, no colours).
 */
public final class HelpTexts {
    /** The commands whose help is rendered, as their names in {@link #resource(String)}. */
    static final List<String> RENDERED = List.of("filebus", "filebus-producer", "filebus-consumer");

    private HelpTexts() {
    }

    /** The resource holding the help of {@code name} ({@code filebus-producer}: {@code filebus producer}). */
    static String resource(String name) {
        return "help/".concat(name).concat(".txt");
    }

    /** Picocli's help of the command {@code name}, as it prints it to a pipe. */
    static String render(String name) {
        String[] path = name.split("-");
        CommandLine line = Tailbus.commandLine(List.of(path[0])).getSubcommands().get(path[0]);
        for (int i = 1; i < path.length; i++) {
            line = line.getSubcommands().get(path[i]);
        }
        line.setUsageHelpAutoWidth(false);
        line.setUsageHelpWidth(CommandLine.Model.UsageMessageSpec.DEFAULT_USAGE_WIDTH);
        return line.getUsageMessage(CommandLine.Help.Ansi.OFF);
    }

    public static void main(String[] args) throws IOException {
        Path folder = Path.of(args[0]).resolve(HelpTexts.class.getPackageName().replace('.', '/'));
        for (String name : RENDERED) {
            Path file = folder.resolve(resource(name));
            Files.createDirectories(file.getParent());
            Files.writeString(file, render(name), StandardCharsets.UTF_8);
        }
    }
}
