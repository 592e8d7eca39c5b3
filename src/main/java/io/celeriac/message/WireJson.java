package io.celeriac.message;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

/**
 * The one JSON mapper for what leaves the process: messages on the broker and records in Redis. It is fixed here, not
 * taken from the application's {@code ObjectMapper}, because an app's global settings (indentation, naming
 * strategies, inclusion rules) would otherwise change the wire and storage formats that other processes, other
 * versions and Celery itself read. Task arguments and return values are still turned into JSON trees by the
 * application's mapper, since they are the application's own types.
 */
public final class WireJson {

    public static final ObjectMapper MAPPER = JsonMapper.builder().build();

    private WireJson() {
    }
}
