package org.dure.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.logging.Level;
import org.dure.cohort.CohortGenerator;
import org.dure.testing.TestConsortium;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The web dashboard in a real browser: headless Chromium (Debian's {@code chromium} and {@code chromium-driver})
 * driven by Selenium against a real coordinator with real agents. A researcher signs in with a token, follows a
 * study whose rounds arrive over the event stream while the page stays loaded, sees the AUC chart drawn and the
 * declined site's reason, and opens the validation report (or its "no report yet" state); an administrator sees
 * the sites with their certificates and the ledger verified. Screenshots go to {@code target/screenshots/}, and the
 * browser console must hold no error.
 *
 * <p>The coordinator's TLS certificate comes from the test's throwaway consortium CA, which Chromium does not
 * know: the browser runs with {@code --ignore-certificate-errors}, in this test only (nothing is imported into a
 * trust store). Selenium is given both binaries' paths, so Selenium Manager never looks for or downloads a driver.
 * Without the binaries the test is skipped with the reason, unless {@code DURE_REQUIRE_BROWSER=1} (set by
 * {@code .ci/run}), which makes it fail instead.
 */
class DashboardBrowserTest {
  static final Path CHROMIUM = Path.of(System.getenv().getOrDefault("DURE_CHROMIUM", "/usr/bin/chromium"));
  static final Path CHROMEDRIVER = Path.of(System.getenv().getOrDefault("DURE_CHROMEDRIVER", "/usr/bin/chromedriver"));
  static final Path SCREENSHOTS = Path.of("target", "screenshots");
  static final int ROUNDS = 25;

  @TempDir Path dir;
  private final List<LogEntry> console = new ArrayList<>();

  @BeforeAll static void requireBrowser() {
    if (Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER)) return;
    String why = "the dashboard browser test needs Chromium and ChromeDriver at " + CHROMIUM + " and " + CHROMEDRIVER
        + " (apt-get install -y chromium chromium-driver, or set DURE_CHROMIUM and DURE_CHROMEDRIVER)";
    if ("1".equals(System.getenv("DURE_REQUIRE_BROWSER"))) fail(why + "; DURE_REQUIRE_BROWSER=1 makes their absence a failure");
    System.err.println("\n*** SKIPPED DashboardBrowserTest: " + why + " ***\n");
    Assumptions.abort("SKIPPED: " + why);
  }

  private static String study() throws Exception {
    ObjectNode s = (ObjectNode) TestConsortium.JSON.readTree(CohortGenerator.exampleStudyJson());
    s.put("name", "dashboard-browser-test");
    ((ObjectNode) s.path("training")).put("rounds", ROUNDS);
    s.put("minSites", 2).put("roundDeadlineSeconds", 60);
    ObjectNode privacy = s.putObject("privacy");
    privacy.putObject("secureAggregation").put("enabled", true);
    privacy.putObject("differentialPrivacy").put("enabled", true).put("noiseMultiplier", 1.2).put("clipNorm", 1.0);
    return s.toString();
  }

  private static WebDriver browser(Path profile) {
    System.setProperty("webdriver.chrome.driver", CHROMEDRIVER.toString());
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
        "--disable-quic", "--window-size=1400,2400", "--user-data-dir=" + profile,
        // the test coordinator's certificate is from a throwaway CA: test only, never for a real browser
        "--ignore-certificate-errors");
    LoggingPreferences logs = new LoggingPreferences();
    logs.enable(LogType.BROWSER, Level.ALL);
    options.setCapability(ChromeOptions.LOGGING_PREFS, logs);
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(new File(CHROMEDRIVER.toString())).usingAnyFreePort().build();
    return new ChromeDriver(service, options);
  }

  @Test
  void researcherFollowsALiveStudyAndAnAdministratorSeesSitesAndAVerifiedLedger() throws Exception {
    List<Path> files = TestConsortium.cohorts(dir, 3, 400, 17);
    Path unrelated = TestConsortium.write(dir.resolve("data/unrelated.csv"), List.of("patient_id,weight_kg,ward", "p1,70,A", "p2,82,B"));
    Files.createDirectories(SCREENSHOTS);
    try (TestConsortium c = new TestConsortium(dir)) {
      for (int i = 0; i < 3; i++) c.agent("hospital-" + (char) ('a' + i), files.get(i));
      c.agent("hospital-d", unrelated);
      c.awaitSites(4);
      TestConsortium.Response submitted = c.post("/api/studies", study());
      assertEquals(201, submitted.status(), String.valueOf(submitted.body()));
      String id = submitted.body().path("id").asText();

      WebDriver driver = browser(Files.createDirectories(dir.resolve("chromium-profile")));
      try {
        WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(30));
        driver.get(c.base() + "/ui/");
        signIn(driver, wait, c.researcherToken);
        wait.until(ExpectedConditions.elementToBeClickable(By.cssSelector("tr[data-study='" + id + "'] a")));
        assertEquals("researcher (researcher)", driver.findElement(By.id("whoami")).getText());
        screenshot(driver, "01-studies");

        driver.findElement(By.cssSelector("tr[data-study='" + id + "'] a")).click();
        wait.until(ExpectedConditions.textToBe(By.cssSelector("#study-status .badge"), "SUBMITTED"));
        wait.until(ExpectedConditions.textToBe(By.id("live"), "live"));
        js(driver, "window.dureTestMarker = 'same page';");

        assertEquals(202, c.post("/api/studies/" + id + "/start", "").status());
        Set<Integer> seen = new LinkedHashSet<>();
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        boolean runningShot = false;
        int completed = 0;
        while (completed < ROUNDS) {
          if (System.nanoTime() > deadline) fail("the round counter stopped at " + completed + " of " + ROUNDS + "; seen " + seen);
          completed = Integer.parseInt(driver.findElement(By.id("round-counter")).getAttribute("data-completed"));
          seen.add(completed);
          if (!runningShot && completed >= 3) {
            screenshot(driver, "02-study-running");
            runningShot = true;
          }
          drain(driver);
          Thread.sleep(100);
        }
        assertEquals("same page", js(driver, "return window.dureTestMarker;"), "progress arrived without reloading the page");
        List<Integer> advanced = seen.stream().filter(n -> n > 0).toList();
        assertTrue(advanced.size() >= 3, "the counter advanced round by round while the page watched, saw " + seen);
        assertEquals(advanced.stream().sorted().toList(), advanced, "the counter only goes up: " + seen);

        wait.withTimeout(Duration.ofMinutes(2)).until(ExpectedConditions.textToBe(By.cssSelector("#study-status .badge"), "COMPLETED"));
        wait.until(ExpectedConditions.textToBe(By.id("live"), "study ended"));
        // every round's pooled AUC and each site's AUC that left the site (rounds 0..ROUNDS), drawn on the chart's
        // canvas; a site whose validation split is too small for its minimum cell size sends none, and the page says so
        JsonNode apiRounds = c.get("/api/studies/" + id + "/rounds").body();
        int expectedPoints = 0;
        Set<String> quiet = new java.util.TreeSet<>();
        for (JsonNode r : apiRounds) {
          if (r.path("pooled").isNull() || r.path("pooled").isMissingNode()) continue;
          expectedPoints++;
          for (var site : (Iterable<java.util.Map.Entry<String, JsonNode>>) r.path("bySite")::fields) {
            if (site.getValue().path("auc").isNumber()) expectedPoints++;
            if (r.path("round").asInt() == ROUNDS && site.getValue().path("count").asLong() == 0) quiet.add(site.getKey());
          }
        }
        assertTrue(expectedPoints >= 2 * (ROUNDS + 1), "the pooled AUC and at least one site's in every round: " + apiRounds);
        int points = expectedPoints;
        wait.until(d -> Integer.parseInt(d.findElement(By.id("chart-auc")).getAttribute("data-points")) == points);
        assertEquals(String.join(",", quiet), driver.findElement(By.id("metrics-withheld")).getAttribute("data-sites"),
            "the sites whose figures stayed in the hospital are named");
        long pooledPixels = ((Number) js(driver, """
            const canvas = document.querySelector('#chart-auc canvas');
            const px = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
            let n = 0;
            for (let i = 0; i < px.length; i += 4) if (px[i] === 0xc2 && px[i + 1] === 0x18 && px[i + 2] === 0x5b && px[i + 3] === 255) n++;
            return n;""")).longValue();
        assertTrue(pooledPixels > 100, "the pooled AUC line is drawn on the canvas: " + pooledPixels + " pixels of its colour");
        assertEquals(String.valueOf(ROUNDS), driver.findElement(By.id("round-counter")).getAttribute("data-completed"));
        WebElement declined = driver.findElement(By.cssSelector("#sites-table tr[data-site='hospital-d']"));
        assertTrue(declined.getText().contains("DECLINED") && declined.getText().contains("none of the study's feature columns"),
            declined.getText());
        assertEquals(3, driver.findElements(By.cssSelector("#epsilon-table tbody tr")).size(), "ε spent by each participating site");
        assertEquals(ROUNDS + 1, driver.findElements(By.cssSelector("#rounds-table tbody tr")).size());
        wait.until(d -> !d.findElements(By.id("report-link")).isEmpty() || !d.findElements(By.id("report-missing")).isEmpty());
        screenshot(driver, "03-study-completed");

        boolean hasReport = !driver.findElements(By.id("report-link")).isEmpty();
        if (hasReport) {
          driver.findElement(By.id("report-link")).click();
          WebElement frame = wait.until(ExpectedConditions.presenceOfElementLocated(By.id("report-frame")));
          assertTrue(frame.getAttribute("srcdoc").length() > 100, "the report is shown in the frame");
          assertEquals("", frame.getAttribute("sandbox"), "the report runs no script");
        } else {
          driver.get(c.base() + "/ui/#/studies/" + id + "/report");
          wait.until(ExpectedConditions.textMatches(By.id("report-missing"), java.util.regex.Pattern.compile("^No report yet")));
        }
        screenshot(driver, "04-report");
        drain(driver);

        driver.findElement(By.id("sign-out")).click();
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("token")));
        signIn(driver, wait, c.pki.adminToken());
        wait.until(ExpectedConditions.presenceOfElementLocated(By.id("register")));
        for (String site : List.of("hospital-a", "hospital-b", "hospital-c", "hospital-d")) {
          String row = driver.findElement(By.cssSelector("#register tr[data-site='" + site + "']")).getText();
          assertTrue(row.contains("valid") && row.contains("connected since"), row);
        }
        screenshot(driver, "05-sites");

        driver.findElement(By.id("nav-ledger")).click();
        wait.until(ExpectedConditions.attributeToBe(By.id("ledger-status"), "data-ok", "true"));
        assertTrue(driver.findElement(By.id("ledger-status")).getText().startsWith("verified"),
            driver.findElement(By.id("ledger-status")).getText());
        wait.until(d -> d.findElements(By.cssSelector("#ledger-entries tbody tr")).size() > ROUNDS);
        screenshot(driver, "06-ledger");
        drain(driver);
      } finally {
        try {
          drain(driver);
        } catch (RuntimeException e) {
          console.add(new LogEntry(Level.WARNING, System.currentTimeMillis(), "could not read the console: " + e));
        }
        driver.quit();
        Files.write(SCREENSHOTS.resolve("browser-console.log"), console.stream().map(LogEntry::toString).toList());
      }
      List<LogEntry> severe = console.stream().filter(e -> e.getLevel().intValue() >= Level.SEVERE.intValue())
          .filter(e -> !expectedMissingReport(e)).toList();
      assertTrue(severe.isEmpty(), "browser console errors: " + severe);
    }
  }

  /** Before the report exists (or its endpoint does), asking for it is a 404, which Chromium logs as an error. */
  private static boolean expectedMissingReport(LogEntry e) {
    return e.getMessage().contains("/report.html") && e.getMessage().contains("404");
  }

  private static void signIn(WebDriver driver, WebDriverWait wait, String token) {
    wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("token"))).sendKeys(token);
    driver.findElement(By.id("sign-in")).click();
    wait.until(ExpectedConditions.invisibilityOfElementLocated(By.id("signin")));
  }

  private static Object js(WebDriver driver, String script) {
    return ((JavascriptExecutor) driver).executeScript(script);
  }

  /** Collects the browser console so far (Chromium hands each entry out once). */
  private void drain(WebDriver driver) {
    driver.manage().logs().get(LogType.BROWSER).forEach(console::add);
  }

  private static void screenshot(WebDriver driver, String name) throws Exception {
    File shot = ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE);
    Files.copy(shot.toPath(), SCREENSHOTS.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
  }
}
