package io.celeriac.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * No Docker engine runs here, so the docker/ files are checked for what can be checked: they parse, and they agree
 * with the scripts and with the configuration the app reads.
 */
class DockerFilesTest {

    @SuppressWarnings("unchecked")
    private static Map<String, Object> compose() throws IOException {
        try (Reader in = Files.newBufferedReader(Path.of("docker/compose.yml"))) {
            return new Yaml().load(in);
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> service(String name) throws IOException {
        return (Map<String, Object>) ((Map<String, Object>) compose().get("services")).get(name);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> env(String service) throws IOException {
        return (Map<String, Object>) service(service).get("environment");
    }

    /** Property names as environment variables, by Quarkus's rule (non-alphanumerics become _, upper case). */
    private static Set<String> knownEnvironmentVariables() throws IOException {
        Properties props = new Properties();
        try (Reader in = Files.newBufferedReader(Path.of("src/main/resources/application.properties"))) {
            props.load(in);
        }
        return props.stringPropertyNames().stream()
                .map(k -> k.replaceFirst("^%[a-z]+\\.", ""))
                .map(k -> k.replaceAll("[^A-Za-z0-9]", "_").toUpperCase())
                .collect(Collectors.toCollection(TreeSet::new));
    }

    @Test
    void composeRunsEveryRoleAgainstTheThreeServers() throws IOException {
        Map<String, Object> services = (Map<String, Object>) compose().get("services");
        assertEquals(Set.of("rabbitmq", "redis", "postgres", "api", "worker", "beat"), services.keySet());
        assertEquals("api", env("api").get("CELERIAC_ROLES"));
        assertEquals("worker", env("worker").get("CELERIAC_ROLES"));
        assertEquals("beat", env("beat").get("CELERIAC_ROLES"));
        @SuppressWarnings("unchecked")
        Map<String, Object> deploy = (Map<String, Object>) service("worker").get("deploy");
        assertTrue((Integer) deploy.get("replicas") >= 2);
    }

    @Test
    void everyVariableTheComposeFileSetsIsOneTheAppReads() throws IOException {
        Set<String> known = knownEnvironmentVariables();
        for (String app : List.of("api", "worker", "beat")) {
            for (String variable : env(app).keySet()) {
                assertTrue(known.contains(variable), app + " sets " + variable + ", which no key in "
                        + "application.properties reads; known: " + known);
            }
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void onlyTheApiIsPublishedAndEverythingElseSitsOnAnInternalNetwork() throws IOException {
        Map<String, Object> services = (Map<String, Object>) compose().get("services");
        for (String name : services.keySet()) {
            Map<String, Object> service = service(name);
            if (name.equals("api")) {
                assertEquals(List.of("8080:8080"), service.get("ports"));
            } else {
                assertEquals(null, service.get("ports"), name + " publishes ports");
                assertEquals(List.of("backend"), service.get("networks"), name);
            }
        }
        Map<String, Object> networks = (Map<String, Object>) compose().get("networks");
        assertEquals(Boolean.TRUE, ((Map<String, Object>) networks.get("backend")).get("internal"));
    }

    /** No password is written in the file: each comes from the environment, and compose refuses to start without. */
    @Test
    void passwordsComeFromTheEnvironmentWithNoDefault() throws IOException {
        Pattern fromEnvironment = Pattern.compile("\\$\\{[A-Z_]+:\\?[^}]+}");
        for (String app : List.of("api", "worker", "beat")) {
            for (String key : List.of("CELERIAC_BROKER_PASSWORD", "QUARKUS_DATASOURCE_PASSWORD")) {
                assertTrue(fromEnvironment.matcher(String.valueOf(env(app).get(key))).matches(), app + " " + key);
            }
            assertTrue(String.valueOf(env(app).get("QUARKUS_REDIS_HOSTS"))
                    .matches("redis://:\\$\\{REDIS_PASSWORD:\\?[^}]+}@redis:6379"), app + " reaches Redis with its password");
        }
        assertTrue(fromEnvironment.matcher(String.valueOf(((Map<?, ?>) service("postgres").get("environment"))
                .get("POSTGRES_PASSWORD"))).matches());
        assertTrue(String.valueOf(service("redis").get("command")).contains("--requirepass"));
        String definitions = Files.readString(Path.of("docker/rabbitmq/definitions.json"));
        assertTrue(!definitions.contains("\"users\"") && !definitions.contains("guest"),
                "the broker's topology file carries no user: compose writes the app's from the environment");
    }

    @Test
    void brokerAndRedisUseTheSamePortsQueuesAndTimeoutAsTheScripts() throws IOException {
        String services = Files.readString(Path.of("scripts/services"));
        assertTrue(services.contains("CELERIAC_RABBITMQ_PORT:-5672"), "scripts/services runs RabbitMQ on 5672");
        assertTrue(services.contains("CELERIAC_REDIS_PORT:-6379"), "scripts/services runs Redis on 6379");

        String rabbitScript = Files.readString(Path.of("scripts/lib/rabbitmq.sh"));
        assertTrue(rabbitScript.contains("docker/rabbitmq/definitions.json"), "the scripts import the same queues");
        assertTrue(((List<?>) service("rabbitmq").get("volumes")).stream()
                .anyMatch(v -> v.toString().startsWith("./rabbitmq/definitions.json:")));
        assertEquals(consumerTimeout(rabbitScript),
                consumerTimeout(Files.readString(Path.of("docker/rabbitmq/rabbitmq.conf"))));
        assertTrue(Files.readString(Path.of("docker/rabbitmq/enabled_plugins")).contains("rabbitmq_amqp1_0"));
    }

    @Test
    void theNativeWorkerImageBuildsWithTheMavenNativeProfile() throws IOException {
        String dockerfile = Files.readString(Path.of("docker/Dockerfile.native-worker"));
        assertTrue(dockerfile.contains("package -Dnative"));
        String pom = Files.readString(Path.of("pom.xml"));
        assertTrue(pom.contains("<id>native</id>") && pom.contains("<quarkus.native.enabled>true"));
    }

    private static String consumerTimeout(String text) {
        Matcher m = Pattern.compile("consumer_timeout\\s*=\\s*(\\d+)").matcher(text);
        assertTrue(m.find(), "no consumer_timeout in " + text);
        return m.group(1);
    }
}
