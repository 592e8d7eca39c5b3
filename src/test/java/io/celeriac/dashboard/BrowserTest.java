package io.celeriac.dashboard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

import io.celeriac.testing.Operators;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * The page at / in a real browser (Debian's Chromium, headless): each seed form is submitted and its result and
 * progress appear, pushed by Server-Sent Events; an operator signs in, and the dashboard's counts move. Screenshots
 * go to target/screenshots.
 */
@QuarkusTest
class BrowserTest {

    private static ChromeDriver browser;
    private static final Path SHOTS = Path.of("target", "screenshots");

    @TestHTTPResource("/")
    URL page;

    @BeforeAll
    static void openBrowser() throws IOException {
        File driver = new File("/usr/bin/chromedriver");
        assertTrue(driver.canExecute(), "chromium-driver is not installed: scripts/test installs it");
        ChromeOptions options = new ChromeOptions().setBinary("/usr/bin/chromium").addArguments("--headless=new",
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=1280,1500", "--user-data-dir=" + Files.createTempDirectory("celeriac-chromium"));
        // An explicit driver keeps Selenium Manager from trying to download one.
        browser = new ChromeDriver(new ChromeDriverService.Builder().usingDriverExecutable(driver).build(), options);
        Files.createDirectories(SHOTS);
    }

    @AfterAll
    static void closeBrowser() {
        if (browser != null) {
            browser.quit();
        }
    }

    private static WebDriverWait within(int seconds) {
        return new WebDriverWait(browser, Duration.ofSeconds(seconds), Duration.ofMillis(100));
    }

    private static void screenshot(String name) throws IOException {
        Files.copy(browser.getScreenshotAs(OutputType.FILE).toPath(), SHOTS.resolve(name + ".png"),
                StandardCopyOption.REPLACE_EXISTING);
    }

    private static long stat(String key) {
        return Long.parseLong(browser.findElement(By.id("stat-" + key)).getText());
    }

    /** The newest entry of "Your tasks" once it has its id. */
    private static WebElement newestTask(String label) {
        return within(10).until(d -> d.findElements(By.cssSelector("#results li[data-task-id]")).stream()
                .filter(li -> li.getText().startsWith(label)).findFirst().orElse(null));
    }

    /** Opens the page signed out (the sign-in lives in the tab's sessionStorage). */
    private void openSignedOut() {
        browser.get(page.toString());
        browser.executeScript("sessionStorage.clear();");
        browser.get(page.toString());
    }

    private static void signIn(String user, String password) {
        WebElement name = within(10).until(d -> d.findElement(By.id("operator-user")));
        name.clear();
        name.sendKeys(user);
        browser.findElement(By.id("operator-password")).sendKeys(password);
        browser.findElement(By.cssSelector("#sign-in button")).click();
    }

    /** The page with the dashboard shown to the tests' viewer. */
    private void openAsViewer() {
        openSignedOut();
        signIn(Operators.VIEWER, Operators.VIEWER_PASSWORD);
        within(10).until(d -> d.findElement(By.id("operator-panels")).isDisplayed());
    }

    @Test
    void theDashboardIsShownOnlyToASignedInOperator() throws IOException {
        openSignedOut();
        assertTrue(browser.findElement(By.id("sign-in")).isDisplayed());
        assertFalse(browser.findElement(By.id("operator-panels")).isDisplayed(), "no dashboard before signing in");
        assertTrue(browser.findElement(By.id("add-form")).isDisplayed(), "the seed's forms need no sign-in");

        signIn(Operators.VIEWER, "not-the-password");
        WebElement error = within(10).until(d -> d.findElement(By.id("sign-in-error")));
        within(10).until(d -> error.getText().contains("wrong password"));
        assertFalse(browser.findElement(By.id("operator-panels")).isDisplayed());
        screenshot("0-sign-in");

        browser.findElement(By.id("operator-password")).clear();
        signIn(Operators.VIEWER, Operators.VIEWER_PASSWORD);
        within(10).until(d -> d.findElement(By.id("operator-panels")).isDisplayed());
        assertEquals(Operators.VIEWER, browser.findElement(By.id("operator-name")).getText());
        assertEquals("viewer", browser.findElement(By.id("operator-role")).getText());
        assertFalse(browser.findElement(By.id("sign-in")).isDisplayed());

        browser.navigate().refresh();
        within(10).until(d -> d.findElement(By.id("operator-panels")).isDisplayed());

        browser.findElement(By.id("sign-out")).click();
        within(10).until(d -> d.findElement(By.id("sign-in")).isDisplayed());
        assertFalse(browser.findElement(By.id("operator-panels")).isDisplayed());
    }

    @Test
    void everyFormRunsItsTaskAndTheDashboardFollows() throws IOException {
        openAsViewer();
        within(10).until(d -> !d.findElements(By.cssSelector("#users option")).isEmpty());
        within(10).until(d -> !d.findElement(By.id("stat-sent")).getText().isEmpty());
        long succeededBefore = stat("SUCCESS");
        long sentBefore = stat("sent");
        screenshot("1-page");

        browser.findElement(By.cssSelector("#add-form button")).click();
        WebElement add = newestTask("add(a=2, b=4)");
        within(15).until(d -> "SUCCESS".equals(add.getAttribute("data-state")));
        assertTrue(add.getText().contains("→ 6"), add.getText());

        WebElement total = browser.findElement(By.cssSelector("#process-form input[name=total]"));
        total.clear();
        total.sendKeys("3");
        browser.findElement(By.cssSelector("#process-form button")).click();
        WebElement process = newestTask("process(total=3)");
        WebElement bar = within(15).until(d -> process.findElements(By.tagName("progress")).stream().findFirst()
                .orElse(null));
        assertEquals("3", bar.getAttribute("max"));
        assertEquals("events", process.getAttribute("data-via"), "progress came by Server-Sent Events");
        screenshot("2-progress");

        browser.findElement(By.cssSelector("#block-form button")).click();
        WebElement block = newestTask("block()");
        within(10).until(d -> "IGNORED".equals(block.getAttribute("data-state")));

        browser.findElement(By.cssSelector("#archive-form button")).click();
        WebElement archive = newestTask("generate_user_archive(1)");
        within(15).until(d -> "SUCCESS".equals(archive.getAttribute("data-state")));
        assertTrue(archive.getText().contains("user-1-"), archive.getText());

        WebElement email = browser.findElement(By.cssSelector("#user-form input[name=email]"));
        email.clear();
        email.sendKeys("katherine-" + System.nanoTime() + "@example.org");
        browser.findElement(By.cssSelector("#user-form button")).click();
        WebElement created = newestTask("new user(name=Katherine Johnson");
        within(15).until(d -> "SUCCESS".equals(created.getAttribute("data-state")));
        assertTrue(created.getText().contains("userId"), created.getText());
        within(10).until(d -> browser.findElement(By.id("users")).getText().contains("Katherine Johnson"));

        within(15).until(d -> "SUCCESS".equals(process.getAttribute("data-state")));
        assertTrue(process.getText().contains("{\"current\":3,\"total\":3}"), process.getText());
        within(15).until(d -> block.getText().contains("finished (result not kept)"));

        within(15).until(d -> stat("SUCCESS") >= succeededBefore + 3 && stat("sent") >= sentBefore + 4);
        within(10).until(d -> d.findElements(By.cssSelector("#recent tbody tr")).size() >= 4);
        // The tasks above moved the throughput chart (a sample a second in this profile) and the runtimes table.
        within(20).until(d -> Double.parseDouble(d.findElement(By.id("chart-rate")).getAttribute("data-peak")) > 0);
        assertFalse(browser.findElements(By.cssSelector("#chart-rate polyline.ok")).isEmpty());
        within(10).until(d -> d.findElement(By.id("runtimes")).getText().contains("add"));
        assertTrue(browser.findElement(By.id("workers")).getText().contains("/8 busy"),
                browser.findElement(By.id("workers")).getText());
        screenshot("3-done");
    }

    @Test
    void archivingEveryUserShowsTheWorkflowsProgressAndTheDashboardItsChord() throws IOException {
        openAsViewer();
        browser.findElement(By.cssSelector("#archive-all-form button")).click();
        WebElement bundle = newestTask("bundle_user_archives(every user)");
        WebElement members = within(15).until(d -> bundle.findElements(By.cssSelector(".workflow")).stream()
                .findFirst().orElse(null));
        within(20).until(d -> "SUCCESS".equals(bundle.getAttribute("data-state")));
        within(10).until(d -> members.getAttribute("data-done") != null
                && members.getAttribute("data-done").equals(members.getAttribute("data-size")));
        assertTrue(Integer.parseInt(members.getAttribute("data-size")) >= 2, members.getText());
        assertTrue(members.getText().matches("members (\\d+)/\\1 done"), members.getText());
        assertTrue(bundle.getText().contains("all-users-"), bundle.getText());
        // Other tests' groups may be listed too: this chord is the newest, with its body done.
        within(15).until(d -> d.findElement(By.id("groups")).getText().lines().findFirst()
                .filter(line -> line.startsWith("chord ") && line.endsWith("bundle_user_archives SUCCESS"))
                .isPresent());
        screenshot("5-workflow");
    }

    @Test
    void badInputShowsTheErrorNamingTheField() throws IOException {
        browser.get(page.toString());
        WebElement total = browser.findElement(By.cssSelector("#process-form input[name=total]"));
        total.clear();
        total.sendKeys("0");
        // The browser's own min=1 check would stop the form: submit it the way a script would.
        browser.executeScript("document.getElementById('process-form').requestSubmit = null;"
                + "document.getElementById('process-form').dispatchEvent(new Event('submit', {cancelable: true}))");
        WebElement error = within(10).until(d -> d.findElements(By.cssSelector("#results li.error")).stream()
                .findFirst().orElse(null));
        assertTrue(error.getText().contains("400 'total' must be between 1 and 86400, got 0"), error.getText());
        screenshot("4-bad-input");
    }

    @Test
    void anAdminOpensATaskSeesWhatItWentThroughAndSendsItAgain() throws IOException {
        openSignedOut();
        signIn(Operators.ADMIN, Operators.ADMIN_PASSWORD);
        within(10).until(d -> d.findElement(By.id("operator-panels")).isDisplayed());
        browser.findElement(By.cssSelector("#add-form button")).click();
        WebElement add = newestTask("add(a=2, b=4)");
        within(15).until(d -> "SUCCESS".equals(add.getAttribute("data-state")));
        String id = add.getAttribute("data-task-id");

        openTaskRow(id);
        within(10).until(d -> "SUCCESS".equals(d.findElement(By.id("task-view-state")).getText()));
        assertEquals(id, browser.findElement(By.id("task-view-id")).getText());
        String timeline = browser.findElement(By.id("task-view-timeline")).getText();
        assertTrue(timeline.contains("PENDING") && timeline.contains("STARTED") && timeline.contains("SUCCESS"),
                timeline);
        assertEquals("6", browser.findElement(By.id("task-view-result")).getText());
        assertTrue(browser.findElement(By.id("task-view-trace")).getText().matches("[0-9a-f]{32}"));
        assertTrue(browser.findElement(By.id("task-view-call")).getText().contains("4"),
                "an admin sees the arguments");
        assertFalse(browser.findElement(By.id("task-revoke")).isDisplayed(), "a finished task cannot be revoked");
        screenshot("6-task-view");

        browser.findElement(By.id("task-retry")).click();
        within(10).until(d -> d.findElement(By.id("task-view-message")).getText().startsWith("sent again as "));
        String again = browser.findElement(By.id("task-view-id")).getText();
        assertFalse(again.equals(id), "the view follows the new task");
        within(15).until(d -> "SUCCESS".equals(d.findElement(By.id("task-view-state")).getText()));
        assertEquals("6", browser.findElement(By.id("task-view-result")).getText());
    }

    /** Clicks the task's row in the dashboard's recent tasks, once it is listed. */
    private static void openTaskRow(String id) {
        within(15).until(d -> d.findElements(By.cssSelector("#recent tbody tr[data-id='" + id + "']")).stream()
                .findFirst().orElse(null)).click();
        within(10).until(d -> d.findElement(By.id("task-view")).isDisplayed());
    }

    @Test
    void thePageFitsAPhone() throws IOException {
        browser.manage().window().setSize(new org.openqa.selenium.Dimension(390, 844));
        try {
            String id = io.restassured.RestAssured.given().formParam("a", 1).formParam("b", 1).post(page.toString()
                    + "tasks/add").then().statusCode(200).extract().path("result_id");
            openAsViewer();
            openTaskRow(id);
            within(15).until(d -> "SUCCESS".equals(d.findElement(By.id("task-view-state")).getText()));
            assertFalse(browser.findElement(By.id("task-view-call-line")).isDisplayed(), "a viewer sees no arguments");
            assertFalse(browser.findElement(By.id("task-retry")).isDisplayed(), "nor the admin's buttons");
            Long overflow = (Long) browser.executeScript(
                    "return document.documentElement.scrollWidth - document.documentElement.clientWidth;");
            assertEquals(0L, overflow, "the page scrolls sideways on a phone");
            screenshot("5-phone");
        } finally {
            browser.manage().window().setSize(new org.openqa.selenium.Dimension(1280, 1500));
        }
    }
}
