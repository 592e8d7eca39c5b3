package io.celeriac.testing;

import static io.restassured.RestAssured.given;

import io.restassured.specification.RequestSpecification;

/** Requests as the tests' own operators (application.properties, %test). */
public final class Operators {

    public static final String ADMIN = "test-admin";
    public static final String ADMIN_PASSWORD = "test-admin-password";
    public static final String VIEWER = "test-viewer";
    public static final String VIEWER_PASSWORD = "test-viewer-password";

    private Operators() {
    }

    public static RequestSpecification asAdmin() {
        return given().auth().preemptive().basic(ADMIN, ADMIN_PASSWORD);
    }

    public static RequestSpecification asViewer() {
        return given().auth().preemptive().basic(VIEWER, VIEWER_PASSWORD);
    }
}
