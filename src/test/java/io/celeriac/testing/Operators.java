package io.celeriac.testing;

import static io.restassured.RestAssured.given;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.restassured.specification.RequestSpecification;

/** Requests as the tests' own operators (application.properties, %test; {@link InProduction} for the packaged jar). */
public final class Operators {

    public static final String ADMIN = "test-admin";
    public static final String ADMIN_PASSWORD = "test-admin-password";
    public static final String VIEWER = "test-viewer";
    public static final String VIEWER_PASSWORD = "test-viewer-password";
    /** Signed in, but with neither operator role. */
    public static final String OUTSIDER = "test-outsider";
    public static final String OUTSIDER_PASSWORD = "test-outsider-password";

    private Operators() {
    }

    public static RequestSpecification asAdmin() {
        return given().auth().preemptive().basic(ADMIN, ADMIN_PASSWORD);
    }

    public static RequestSpecification asViewer() {
        return given().auth().preemptive().basic(VIEWER, VIEWER_PASSWORD);
    }

    public static RequestSpecification asOutsider() {
        return given().auth().preemptive().basic(OUTSIDER, OUTSIDER_PASSWORD);
    }

    /** The {@code Authorization} header of the viewer, for clients other than RestAssured (SSE streams). */
    public static String viewerAuthorization() {
        return "Basic " + Base64.getEncoder().encodeToString((VIEWER + ":" + VIEWER_PASSWORD)
                .getBytes(StandardCharsets.UTF_8));
    }

    /** A password as production's embedded realm takes it (README): HEX(SHA-512(user ":Quarkus:" password)). */
    public static String hash(String user, String password) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-512")
                    .digest((user + ":Quarkus:" + password).getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The same two operators configured for the production profile, hashed, as a user of the packaged jar would. */
    public static Map<String, String> inProduction() {
        return Map.of("quarkus.security.users.embedded.users." + ADMIN, hash(ADMIN, ADMIN_PASSWORD),
                "quarkus.security.users.embedded.roles." + ADMIN, "celeriac-admin,celeriac-viewer",
                "quarkus.security.users.embedded.users." + VIEWER, hash(VIEWER, VIEWER_PASSWORD),
                "quarkus.security.users.embedded.roles." + VIEWER, "celeriac-viewer");
    }

    /** Gives an integration test's packaged app the operators of {@link #inProduction()}. */
    public static class InProduction implements QuarkusTestResourceLifecycleManager {

        @Override
        public Map<String, String> start() {
            return inProduction();
        }

        @Override
        public void stop() {
        }
    }
}
