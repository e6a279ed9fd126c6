package dev.tailbus.systemtest.filebus;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tailbus.systemtest.Launcher;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** filebus's command line: the reference's options, and one clear line for each mistake. */
class FilebusUsageTest {
    @TempDir
    Path folder;

    private Launcher.Result filebus(String... args) throws Exception {
        return Launcher.run(Launcher.command("filebus", args), new byte[0], Duration.ofSeconds(60));
    }

    private static void assertRefused(Launcher.Result result, int status, String says) {
        assertThat(result.exitStatus()).isEqualTo(status);
        assertThat(result.stdout()).isEmpty();
        assertThat(result.stderr()).contains(says).doesNotContain("Exception").doesNotContain("\tat ");
        List<String> lines = result.stderr().lines().filter(l -> !l.startsWith("Try '")).toList();
        assertThat(lines).as("one line, besides the hint").hasSize(1);
    }

    @Test
    void shouldListEveryReferenceOptionInItsHelp() throws Exception {
        Launcher.Result help = filebus("-h");

        assertThat(help.exitStatus()).isZero();
        assertThat(help.stdoutText()).contains("--back-pressure", "--block-size", "--impl", "--implementation",
                "--lossless", "--no-file-monitoring", "--filename", "--sleep-interval", "--verbose", "producer",
                "consumer");
        assertThat(filebus("producer", "--help").stdoutText()).contains("--blocking-read");
    }

    @Test
    void shouldAcceptTheReferenceCommandLineWithOptionsBeforeTheAction() throws Exception {
        Path bus = folder.resolve("bus");
        Launcher.Result result = Launcher.run(Launcher.command("filebus", "-v", "-v", "--impl", "python",
                "--block-size", "8", "--sleep-interval", "0.05", "--no-file-monitoring", "--filename", bus.toString(),
                "producer", "--blocking-read"), "12345678".getBytes(), Duration.ofSeconds(60));

        assertThat(result.exitStatus()).isZero();
        assertThat(bus).hasContent("12345678");
        assertThat(result.stderr()).contains("producing onto");
    }

    @Test
    void shouldRefuseAMissingFilename() throws Exception {
        assertRefused(filebus("producer"), 2, "--filename");
    }

    @Test
    void shouldRefuseAMissingAction() throws Exception {
        assertRefused(filebus("--filename", folder.resolve("bus").toString()), 2, "producer or consumer");
    }

    @Test
    void shouldRefuseAnUnknownOption() throws Exception {
        assertRefused(filebus("--filename", folder.resolve("bus").toString(), "--colour", "producer"), 2, "--colour");
    }

    @Test
    void shouldRefuseANonNumericBlockSize() throws Exception {
        assertRefused(filebus("--block-size", "big", "--filename", folder.resolve("bus").toString(), "producer"), 2, "big");
    }

    @Test
    void shouldRefuseANonNumericSleepInterval() throws Exception {
        assertRefused(filebus("--sleep-interval", "soon", "--filename", folder.resolve("bus").toString(), "consumer"), 2,
                "soon");
    }

    @Test
    void shouldRefuseABlockSizeOfZeroOrLessOrTooLarge() throws Exception {
        for (String size : new String[] {"0", "-4", "2000000000"}) {
            assertRefused(filebus("--block-size", size, "--filename", folder.resolve("bus").toString(), "producer"), 2,
                    "--block-size");
        }
    }

    @Test
    void shouldRefuseAFilenameThatIsADirectory() throws Exception {
        assertRefused(filebus("--filename", folder.toString(), "producer"), 2, "is a directory");
    }

    @Test
    void shouldSayWhenTheFolderCannotBeCreated() throws Exception {
        Path file = Files.writeString(folder.resolve("plain-file"), "");

        assertRefused(filebus("--filename", file.resolve("sub/bus").toString(), "producer"), 1, "cannot create folder");
    }

    @Test
    void shouldSayWhenTheLockFileCannotBeOpened() throws Exception {
        Files.createDirectory(folder.resolve("bus.lock"));

        assertRefused(filebus("--filename", folder.resolve("bus").toString(), "consumer"), 1, "bus.lock");
    }

    @Test
    void shouldRefuseAnUnknownImplementation() throws Exception {
        List<String> args = new ArrayList<>(List.of("--impl", "perl", "--filename", folder.resolve("bus").toString(), "producer"));
        assertRefused(filebus(args.toArray(String[]::new)), 2, "perl");
    }
}
