package io.celeriac.tools;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * How many of the tasks PREFIX-0 .. PREFIX-(N-1) have a SUCCESS record in Redis: the end of an e2e phase for Celeriac
 * and for Celery alike, read where a client would read it rather than from either worker's own counters.
 * One Lua script per poll counts from the first id not yet done until a run of ids not done, so a poll reads a few
 * hundred small keys and the Redis both sides write to is barely disturbed (its CPU is part of the figures).
 */
final class StoredResults implements AutoCloseable {

    /** The most ids one poll reads after the first one not yet done. */
    static final int WINDOW = 4000;
    /** A poll stops after this many ids in a row not done: those after them were sent later still. */
    static final int GAP = 256;

    private static final String SCRIPT = """
            local prefix, from, to, gap = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
            local first, done, missing = -1, 0, 0
            for i = from, to - 1 do
              local v = redis.call('GET', 'celery-task-meta-' .. prefix .. '-' .. i)
              if v and string.find(v, '"status"%s*:%s*"SUCCESS"') then
                done = done + 1
                missing = 0
              else
                if first < 0 then first = i end
                missing = missing + 1
                if missing >= gap then break end
              end
            end
            if first < 0 then first = to end
            return {first, done}
            """;

    private final Socket socket;
    private final OutputStream out;
    private final InputStream in;
    private final String prefix;
    private final long count;
    private long firstNotDone;

    StoredResults(int redisPort, String prefix, long count) throws IOException {
        socket = new Socket("127.0.0.1", redisPort);
        out = socket.getOutputStream();
        in = new BufferedInputStream(socket.getInputStream());
        this.prefix = prefix;
        this.count = count;
    }

    /** The tasks done so far (every id before the first not done, and those done in the window after it). */
    long done() throws IOException {
        if (firstNotDone >= count) {
            return count;
        }
        long to = Math.min(count, firstNotDone + WINDOW);
        List<Long> reply = eval(String.valueOf(firstNotDone), String.valueOf(to), String.valueOf(GAP));
        long before = firstNotDone;
        firstNotDone = reply.get(0);
        return before + reply.get(1);
    }

    private List<Long> eval(String from, String to, String gap) throws IOException {
        List<String> command = List.of("EVAL", SCRIPT, "0", prefix, from, to, gap);
        StringBuilder request = new StringBuilder("*").append(command.size()).append("\r\n");
        for (String part : command) {
            byte[] bytes = part.getBytes(StandardCharsets.UTF_8);
            request.append('$').append(bytes.length).append("\r\n").append(part).append("\r\n");
        }
        out.write(request.toString().getBytes(StandardCharsets.UTF_8));
        out.flush();
        String header = line();
        if (!header.equals("*2")) {
            throw new IOException("Redis answered " + header + " " + (header.startsWith("-") ? "" : line()));
        }
        return List.of(integer(line()), integer(line()));
    }

    private static long integer(String line) throws IOException {
        if (!line.startsWith(":")) {
            throw new IOException("not an integer reply: " + line);
        }
        return Long.parseLong(line.substring(1));
    }

    private String line() throws IOException {
        StringBuilder line = new StringBuilder();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) {
                throw new IOException("Redis closed the connection");
            }
            if (c != '\r') {
                line.append((char) c);
            }
        }
        return line.toString();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
