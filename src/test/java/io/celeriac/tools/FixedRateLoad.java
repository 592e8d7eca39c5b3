package io.celeriac.tools;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongFunction;

/**
 * An open-loop load of form POSTs at a fixed rate over keep-alive HTTP/1.1 connections. Each request has a due time
 * on the schedule and its latency counts from then, so a server that falls behind cannot slow the load down and hide
 * its own delay (coordinated omission). Plain sockets: the JDK's HttpClient added about 3 ms of its own to every
 * request here (server-side mean 1.1 ms, client-side p50 4.1 ms at 100 requests/s), more than what it measured.
 */
final class FixedRateLoad {

    record Result(List<Long> sortedLatencyNanos, long failures, String firstFailure, double seconds) {
    }

    private final int port;
    private final String path;
    private final LongFunction<String> body;
    private final int connections;

    /** {@code body} gives the form body of request {@code i}; {@code connections} bounds the requests in flight. */
    FixedRateLoad(int port, String path, LongFunction<String> body, int connections) {
        this.port = port;
        this.path = path;
        this.body = body;
        this.connections = connections;
    }

    Result run(int perSecond, int seconds) throws InterruptedException {
        long total = (long) perSecond * seconds;
        long period = 1_000_000_000L / perSecond;
        long start = System.nanoTime() + 10_000_000L;
        AtomicLong next = new AtomicLong();
        AtomicLong failures = new AtomicLong();
        AtomicReference<String> firstFailure = new AtomicReference<>();
        List<Long> latencies = Collections.synchronizedList(new ArrayList<>((int) total));
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < connections; c++) {
            Thread t = new Thread(() -> {
                Connection connection = null;
                for (long i = next.getAndIncrement(); i < total; i = next.getAndIncrement()) {
                    long due = start + i * period;
                    for (long wait = due - System.nanoTime(); wait > 0; wait = due - System.nanoTime()) {
                        LockSupport.parkNanos(wait);
                    }
                    try {
                        if (connection == null) {
                            connection = new Connection(port);
                        }
                        int status = connection.post(path, body.apply(i));
                        if (status == 200) {
                            latencies.add(System.nanoTime() - due);
                            continue;
                        }
                        failed(failures, firstFailure, "HTTP " + status);
                    } catch (IOException e) {
                        failed(failures, firstFailure, e.toString());
                        if (connection != null) {
                            connection.close();
                        }
                        connection = null;
                    }
                }
                if (connection != null) {
                    connection.close();
                }
            }, "load-" + c);
            t.setDaemon(true);
            t.start();
            threads.add(t);
        }
        for (Thread t : threads) {
            t.join();
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        List<Long> sorted = new ArrayList<>(latencies);
        Collections.sort(sorted);
        return new Result(sorted, failures.get(), firstFailure.get(), elapsed);
    }

    private static void failed(AtomicLong failures, AtomicReference<String> first, String why) {
        failures.incrementAndGet();
        first.compareAndSet(null, why);
    }

    /** One keep-alive connection; enough HTTP/1.1 to read a response with a length or in chunks. */
    private static final class Connection {
        private final Socket socket;
        private final OutputStream out;
        private final InputStream in;
        private final String host;

        Connection(int port) throws IOException {
            socket = new Socket();
            socket.setTcpNoDelay(true);
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            socket.setSoTimeout(60_000);
            out = socket.getOutputStream();
            in = new BufferedInputStream(socket.getInputStream());
            host = "127.0.0.1:" + port;
        }

        int post(String path, String form) throws IOException {
            byte[] content = form.getBytes(StandardCharsets.UTF_8);
            String head = "POST " + path + " HTTP/1.1\r\nHost: " + host
                    + "\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: " + content.length
                    + "\r\n\r\n";
            ByteArrayOutputStream request = new ByteArrayOutputStream(head.length() + content.length);
            request.write(head.getBytes(StandardCharsets.US_ASCII));
            request.write(content);
            out.write(request.toByteArray());
            out.flush();
            String status = line();
            if (!status.startsWith("HTTP/1.1 ")) {
                throw new IOException("not an HTTP response: " + status);
            }
            long length = -1;
            boolean chunked = false;
            boolean close = false;
            for (String header = line(); !header.isEmpty(); header = line()) {
                String lower = header.toLowerCase(Locale.ROOT);
                if (lower.startsWith("content-length:")) {
                    length = Long.parseLong(lower.substring(15).trim());
                } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
                    chunked = true;
                } else if (lower.startsWith("connection:") && lower.contains("close")) {
                    close = true;
                }
            }
            if (chunked) {
                for (long size = Long.parseLong(line().split(";")[0].trim(), 16); size > 0;
                        size = Long.parseLong(line().split(";")[0].trim(), 16)) {
                    skip(size);
                    line();
                }
                line();
            } else if (length > 0) {
                skip(length);
            }
            if (close) {
                throw new IOException("the server closed the connection");
            }
            return Integer.parseInt(status.substring(9, 12));
        }

        private String line() throws IOException {
            StringBuilder line = new StringBuilder();
            for (int b = in.read(); b != '\n'; b = in.read()) {
                if (b < 0) {
                    throw new IOException("connection closed mid-response");
                }
                if (b != '\r') {
                    line.append((char) b);
                }
            }
            return line.toString();
        }

        private void skip(long n) throws IOException {
            in.skipNBytes(n);
        }

        void close() {
            try {
                socket.close();
            } catch (IOException ignored) {
                // going away anyway
            }
        }
    }
}
