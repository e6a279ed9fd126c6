package dev.tailbus.systemtest;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code tailbus completion bash}: a script that bash sources and completes tools, actions and options with. */
class CompletionTest {
    @TempDir
    Path folder;

    /** What bash offers for the words typed so far ({@code typed}; the last is being completed). */
    private static List<String> complete(Path script, String function, String... typed) throws Exception {
        StringBuilder words = new StringBuilder();
        for (String word : typed) {
            words.append(" '").append(word).append('\'');
        }
        String program = "source '" + script + "'\n"
                + "COMP_WORDS=(" + words + ")\n"
                + "COMP_CWORD=" + (typed.length - 1) + "\n"
                + "COMP_LINE=\"${COMP_WORDS[*]}\"; COMP_POINT=${#COMP_LINE}\n"
                + function + "\n"
                + "printf '%s\\n' \"${COMPREPLY[@]}\"\n";
        Launcher.Result result = Launcher.run(new ProcessBuilder("bash", "--norc", "--noprofile", "-c", program),
                new byte[0], Duration.ofSeconds(30));
        assertThat(result.exitStatus()).as(result.stderr()).isZero();
        return result.stdoutText().lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
    }

    @Test
    void shouldPrintABashScriptThatCompletesToolsActionsAndOptions() throws Exception {
        Launcher.Result printed = Launcher.run("completion", "bash");
        assertThat(printed.exitStatus()).as(printed.stderr()).isZero();
        Path script = Files.write(folder.resolve("tailbus"), printed.stdout());
        assertThat(Files.readString(script, StandardCharsets.UTF_8)).contains("complete -F _complete_tailbus");

        assertThat(complete(script, "_complete_tailbus", "tailbus", "fil")).containsExactly("filebus");
        assertThat(complete(script, "_complete_tailbus", "tailbus", "store", "d")).containsExactly("dump");
        assertThat(complete(script, "_complete_tailbus", "tailbus", "filebus", "--los")).containsExactly("--lossless");
        assertThat(complete(script, "_complete_filebus", "filebus", "prod")).containsExactly("producer");
    }

    @Test
    void shouldRefuseAShellItHasNoScriptFor() throws Exception {
        Launcher.Result result = Launcher.run("completion", "fish");
        assertThat(result.exitStatus()).isEqualTo(2);
        assertThat(result.stderr()).contains("fish").doesNotContain("Exception");
    }
}
