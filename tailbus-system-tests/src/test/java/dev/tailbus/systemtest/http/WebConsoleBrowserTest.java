package dev.tailbus.systemtest.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tailbus.protobus.client.BusEvent;
import dev.tailbus.protobus.client.BusPublisher;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;

/**
 * The web console in a real browser: Debian's chromium, headless, driven through its chromedriver
 * by Selenium, against a real {@code bin/protobus-server --http-address} process. One browser and
 * one server for the class (a browser start costs seconds); the tests run in order on one page.
 * Skipped, with the reason, where chromium or chromedriver is not installed
 * ({@code bin/test-prerequisites} installs both).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WebConsoleBrowserTest {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    private static final Duration WAIT = Duration.ofSeconds(30);

    private Path root;
    private HttpFaceServer server;
    private ChromeDriver browser;
    private BusPublisher publisher;

    @BeforeAll
    void startServerAndBrowser() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
                "the browser tests need " + CHROMIUM + " and " + CHROMEDRIVER
                        + " (Debian: apt-get install chromium chromium-driver, as bin/test-prerequisites does)");
        root = Files.createTempDirectory("tailbus-console");
        Files.createDirectory(root.resolve("store"));
        server = HttpFaceServer.start(root.resolve("store"));
        publisher = BusPublisher.builder("127.0.0.1:" + server.process.port()).build();
        publisher.publish(BusEvent.of("before/page", "present at load".getBytes(StandardCharsets.UTF_8)));

        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                "--user-data-dir=" + Files.createDirectory(root.resolve("chromium-profile")), "--window-size=1200,840");
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort()
                .build();
        browser = new ChromeDriver(service, options);
        browser.manage().timeouts().scriptTimeout(WAIT);
        browser.get("http://127.0.0.1:" + server.httpPort + "/");
    }

    @AfterAll
    void stopBrowserAndServer() throws Exception {
        try {
            if (browser != null) {
                browser.quit();
            }
        } finally {
            try {
                if (publisher != null) {
                    publisher.close();
                }
            } finally {
                if (server != null) {
                    server.close();
                }
            }
        }
    }

    @Test
    @Order(1)
    void shouldLoadTheConsoleWithItsFactsAndNoErrorInTheBrowserLog() {
        await().atMost(WAIT).until(() -> text("fact-version").equals(
                server.json("/api/server").getAsJsonObject().get("version").getAsString()));
        await().atMost(WAIT).until(() -> row("before/page") != null);
        assertThat(text("connection")).isEqualTo("live");
        assertThat(text("fact-store")).contains(root.resolve("store").toString());
        assertThat(text("fact-patterns")).isEqualTo("{topic}:.*");
        assertThat(text("fact-flush")).isEqualTo("none");
        assertThat(text("fact-uptime")).endsWith("s");
        List<LogEntry> problems = browser.manage().logs().get(LogType.BROWSER).getAll().stream()
                .filter(e -> e.getLevel().intValue() >= Level.WARNING.intValue()).toList();
        assertThat(problems).as("the browser's console log").isEmpty();
    }

    @Test
    @Order(2)
    void shouldShowATopicPublishedAfterThePageOpenedWithItsCount() {
        assertThat(row("late/topic")).isNull();
        for (int i = 0; i < 7; i++) {
            publisher.publishAsync(BusEvent.of("late/topic", ("n" + i).getBytes(StandardCharsets.UTF_8)));
        }
        publisher.flush();
        await().atMost(WAIT).until(() -> row("late/topic") != null
                && row("late/topic").findElement(By.className("events")).getText().equals("7"));
    }

    @Test
    @Order(3)
    void shouldTailAnEventPublishedWhileWatchingAndPauseAndClear() {
        browser.findElement(By.id("tail-pattern")).clear();
        browser.findElement(By.id("tail-pattern")).sendKeys("watched/");
        browser.findElement(By.id("tail-history")).clear();
        browser.findElement(By.id("tail-history")).sendKeys("0");
        browser.findElement(By.id("tail-start")).click();
        await().atMost(WAIT).until(() -> text("tail-status").startsWith("Watching watched/"));
        // the stream is open on the server before publishing: a live event, not history
        await().atMost(WAIT).until(() -> server.json("/api/server").getAsJsonObject().get("event_streams").getAsInt() == 1);
        publisher.publish(BusEvent.of("watched/a", "seen live".getBytes(StandardCharsets.UTF_8)).withTags(Map.of("k", "v")));
        await().atMost(WAIT).until(() -> tailLines().stream().anyMatch(l -> l.contains("seen live")));
        assertThat(tailLines().getFirst()).contains("watched/a");

        browser.findElement(By.id("tail-pause")).click();
        assertThat(browser.findElement(By.id("tail-pause")).getText()).isEqualTo("Resume");
        publisher.publish(BusEvent.of("watched/a", "while paused".getBytes(StandardCharsets.UTF_8)));
        await().atMost(WAIT).until(() -> text("tail-status").contains("1 held"));
        assertThat(tailLines()).noneMatch(l -> l.contains("while paused"));
        browser.findElement(By.id("tail-pause")).click();
        await().atMost(WAIT).until(() -> tailLines().stream().anyMatch(l -> l.contains("while paused")));

        browser.findElement(By.id("tail-clear")).click();
        assertThat(tailLines()).isEmpty();
    }

    @Test
    @Order(4)
    void shouldMoveTheRateWhileAPublisherRunsAndSaveAScreenshot() throws Exception {
        assertThat(rate("rated")).isNull();
        AtomicBoolean running = new AtomicBoolean(true);
        Thread load = Thread.ofVirtual().start(() -> {
            long deadline = System.nanoTime() + WAIT.toNanos();
            for (int i = 0; running.get() && i < 100_000 && System.nanoTime() < deadline; i++) {
                publisher.publishAsync(BusEvent.of("rated", ("tick " + i).getBytes(StandardCharsets.UTF_8)));
                if (i % 50 == 49) {
                    publisher.flush(); // about 50 events per round trip: a steady, bounded rate
                }
            }
            publisher.flush();
        });
        try {
            await().atMost(WAIT).until(() -> {
                Double r = rate("rated");
                return r != null && r > 0;
            });
            for (String reading : List.of("{\"t\": 21.5, \"unit\": \"C\"}", "{\"t\": 21.7, \"unit\": \"C\"}")) {
                publisher.publishAsync(BusEvent.of("watched/sensor", reading.getBytes(StandardCharsets.UTF_8)));
            }
            publisher.publish(BusEvent.of("watched/a", "for the picture".getBytes(StandardCharsets.UTF_8)));
            await().atMost(WAIT).until(() -> tailLines().stream().anyMatch(l -> l.contains("for the picture"))
                    && row("watched/sensor") != null);
            File shot = browser.getScreenshotAs(OutputType.FILE);
            Path target = Path.of("target", "console.png");
            Files.createDirectories(target.getParent());
            Files.copy(shot.toPath(), target, StandardCopyOption.REPLACE_EXISTING);
            browser.manage().window().setSize(new Dimension(390, 844));
            await().atMost(WAIT).until(() -> rate("rated") != null);
            Files.copy(browser.getScreenshotAs(OutputType.FILE).toPath(), Path.of("target", "console-phone.png"),
                    StandardCopyOption.REPLACE_EXISTING);
            // at phone width nothing is wider than the window
            Long overflow = (Long) browser.executeScript(
                    "return document.documentElement.scrollWidth - document.documentElement.clientWidth;");
            assertThat(overflow).isLessThanOrEqualTo(0L);
        } finally {
            running.set(false);
            load.join(WAIT);
        }
        await().atMost(WAIT).until(() -> {
            Double r = rate("rated");
            return r != null && r == 0.0;
        });
    }

    @Test
    @Order(5)
    void shouldGoOnTailingAfterAServerRestartWithNothingLostOrRepeated() throws Exception {
        browser.findElement(By.id("tail-pattern")).clear();
        browser.findElement(By.id("tail-pattern")).sendKeys("resume/");
        browser.findElement(By.id("tail-start")).click();
        await().atMost(WAIT).until(() -> server.json("/api/server").getAsJsonObject().get("event_streams").getAsInt() == 1);
        for (int i = 0; i < 3; i++) {
            publisher.publishAsync(BusEvent.of("resume/x", ("before " + i).getBytes(StandardCharsets.UTF_8)));
        }
        publisher.flush();
        await().atMost(WAIT).until(() -> tailLines().size() == 3);

        // The same store on the same ports: the page's EventSource reconnects by itself, with Last-Event-ID.
        int grpcPort = server.process.port();
        int httpPort = server.httpPort;
        publisher.close();
        server.close();
        server = HttpFaceServer.startOn(grpcPort, httpPort, root.resolve("store"));
        publisher = BusPublisher.builder("127.0.0.1:" + grpcPort).build();
        await().atMost(WAIT).until(() -> server.json("/api/server").getAsJsonObject().get("event_streams").getAsInt() == 1);
        for (int i = 0; i < 2; i++) {
            publisher.publishAsync(BusEvent.of("resume/x", ("after " + i).getBytes(StandardCharsets.UTF_8)));
        }
        publisher.flush();
        await().atMost(WAIT).until(() -> tailLines().size() >= 5);
        List<String> payloads = browser.findElements(By.cssSelector("#tail-list li .pl")).stream()
                .map(WebElement::getText).toList();
        assertThat(payloads).containsExactly("after 1", "after 0", "before 2", "before 1", "before 0");
    }

    @Test
    @Order(6)
    void shouldSayAnAccessTokenIsNeededWhenTheServerAsksForOne() throws Exception {
        Path tokens = Files.writeString(root.resolve("tokens"), "publisher-token-0001 publish=.*\n");
        Files.setPosixFilePermissions(tokens, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        int grpcPort = server.process.port();
        int httpPort = server.httpPort;
        publisher.close();
        publisher = null;
        server.close();
        server = HttpFaceServer.startOn(grpcPort, httpPort, root.resolve("store"), "--auth-tokens", tokens.toString());
        // the page, still open, finds itself refused: not 'unreachable', and the server's reason on hover
        await().atMost(WAIT).until(() -> text("connection").equals("access token needed"));
        assertThat(browser.findElement(By.id("connection")).getDomProperty("title")).contains("no access token");
        assertThat(browser.findElement(By.id("token-form")).isDisplayed()).isTrue();
    }

    @Test
    @Order(7)
    void shouldServeAndTailWithAnAccessTokenTypedIntoTheConsole() throws Exception {
        Path tokens = Files.writeString(root.resolve("tokens"),
                "publisher-token-0001 publish=.*\nviewer-token-0002 subscribe=token/ admin\n");
        int grpcPort = server.process.port();
        int httpPort = server.httpPort;
        server.close();
        server = HttpFaceServer.startOn(grpcPort, httpPort, root.resolve("store"), "--auth-tokens", tokens.toString());
        publisher = BusPublisher.builder("127.0.0.1:" + grpcPort)
                .credentials(dev.tailbus.protobus.client.BusCredentials.NONE.withToken("publisher-token-0001")).build();
        await().atMost(WAIT).until(() -> text("connection").equals("access token needed"));

        browser.findElement(By.id("token")).sendKeys("wrong-token-0003");
        browser.findElement(By.id("token-use")).click();
        await().atMost(WAIT).until(() -> text("connection").equals("access token refused"));
        browser.findElement(By.id("token")).clear();
        browser.findElement(By.id("token")).sendKeys("viewer-token-0002");
        browser.findElement(By.id("token-use")).click();
        await().atMost(WAIT).until(() -> text("connection").equals("live") && row("before/page") != null);
        browser.manage().logs().get(LogType.BROWSER); // drained: the restarts' and refusals' lines are behind

        // the live tail with the token (read through fetch: EventSource cannot send one)
        browser.findElement(By.id("tail-pattern")).clear();
        browser.findElement(By.id("tail-pattern")).sendKeys("token/");
        browser.findElement(By.id("tail-history")).clear();
        browser.findElement(By.id("tail-history")).sendKeys("0");
        browser.findElement(By.id("tail-start")).click();
        await().atMost(WAIT).until(() -> server.json("/api/server", "viewer-token-0002").getAsJsonObject()
                .get("event_streams").getAsInt() == 1);
        publisher.publish(BusEvent.of("token/a", "seen with a token".getBytes(StandardCharsets.UTF_8)));
        await().atMost(WAIT).until(() -> tailLines().stream().anyMatch(l -> l.contains("seen with a token")));
        await().atMost(WAIT).until(() -> text("tail-status").startsWith("Watching token/: 1 events"));

        // a restart under the token's stream: it reconnects by itself with Last-Event-ID
        publisher.close();
        server.close();
        server = HttpFaceServer.startOn(grpcPort, httpPort, root.resolve("store"), "--auth-tokens", tokens.toString());
        publisher = BusPublisher.builder("127.0.0.1:" + grpcPort)
                .credentials(dev.tailbus.protobus.client.BusCredentials.NONE.withToken("publisher-token-0001")).build();
        await().atMost(WAIT).until(() -> server.json("/api/server", "viewer-token-0002").getAsJsonObject()
                .get("event_streams").getAsInt() == 1);
        publisher.publish(BusEvent.of("token/a", "after the restart".getBytes(StandardCharsets.UTF_8)));
        await().atMost(WAIT).until(() -> tailLines().stream().anyMatch(l -> l.contains("after the restart")));
        assertThat(browser.findElements(By.cssSelector("#tail-list li .pl")).stream().map(WebElement::getText))
                .containsExactly("after the restart", "seen with a token");
        browser.manage().logs().get(LogType.BROWSER); // the restart's refused connections are behind
        publisher.publish(BusEvent.of("token/a", "once more".getBytes(StandardCharsets.UTF_8)));
        await().atMost(WAIT).until(() -> tailLines().stream().anyMatch(l -> l.contains("once more")));
        List<LogEntry> problems = browser.manage().logs().get(LogType.BROWSER).getAll().stream()
                .filter(e -> e.getLevel().intValue() >= Level.WARNING.intValue()).toList();
        assertThat(problems).as("the browser's console log once the stream was back").isEmpty();
    }

    private String text(String id) {
        return browser.findElement(By.id(id)).getText();
    }

    private WebElement row(String topic) {
        List<WebElement> rows = browser.findElements(By.cssSelector("#topics tbody tr"));
        for (WebElement r : rows) {
            if (topic.equals(r.getDomAttribute("data-topic"))) {
                return r;
            }
        }
        return null;
    }

    /** The rate shown for {@code topic}, or null while the row or its first measurement is missing. */
    private Double rate(String topic) {
        WebElement r = row(topic);
        if (r == null) {
            return null;
        }
        String shown = r.findElement(By.className("rate")).getText().replace(",", "");
        return shown.isEmpty() || shown.equals("-") ? null : Double.valueOf(shown);
    }

    private List<String> tailLines() {
        return browser.findElements(By.cssSelector("#tail-list li")).stream().map(WebElement::getText).toList();
    }
}
