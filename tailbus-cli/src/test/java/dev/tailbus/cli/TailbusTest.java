package dev.tailbus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The root command: which tools a command line builds, and the help texts the build renders. */
class TailbusTest {
    @Test
    void shouldCreateEveryListedToolUnderItsOwnName() {
        for (String tool : Tailbus.TOOLS) {
            assertThat(new CommandLine(Tailbus.create(tool)).getCommandName()).isEqualTo(tool);
        }
    }

    @Test
    void shouldBuildOnlyTheToolACommandLineNames() {
        assertThat(Tailbus.toolsFor("filebus", "--help")).containsExactly("filebus");
        assertThat(Tailbus.toolsFor("store", "dump", "a.pb")).containsExactly("store");
        assertThat(Tailbus.toolsFor("--version")).isEmpty();
        assertThat(Tailbus.toolsFor()).isEmpty();
        assertThat(Tailbus.toolsFor("--help")).isEqualTo(Tailbus.TOOLS);
        assertThat(Tailbus.toolsFor("-h", "filebus")).isEqualTo(Tailbus.TOOLS);
        assertThat(Tailbus.toolsFor("no-such-tool")).isEqualTo(Tailbus.TOOLS);
    }

    @Test
    void shouldShipPicocliOwnHelpTextsForTheQuickPath() throws Exception {
        for (String name : HelpTexts.RENDERED) {
            try (var in = QuickStart.class.getResourceAsStream(HelpTexts.resource(name))) {
                assertThat(in).as("rendered by the build: %s", name).isNotNull();
                assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo(HelpTexts.render(name))
                        .contains("Usage: tailbus " + name.replace('-', ' '));
            }
        }
    }

    @Test
    void shouldListEveryToolInTheRootHelp() {
        String help = Tailbus.commandLine(Tailbus.toolsFor("--help")).getUsageMessage(CommandLine.Help.Ansi.OFF);
        assertThat(help).contains(List.of("filebus", "tailsrv", "protobus-server", "store", "completion"));
    }
}
