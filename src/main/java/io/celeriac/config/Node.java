package io.celeriac.config;

import java.net.InetAddress;
import java.net.UnknownHostException;

/** This process as other instances see it: Celery's node names are {@code name@hostname}. */
public final class Node {

    private Node() {
    }

    public static String hostname() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "unknown";
        }
    }

    /** {@code pid@hostname}: unique among the processes of a cluster. */
    public static String id() {
        return ProcessHandle.current().pid() + "@" + hostname();
    }
}
