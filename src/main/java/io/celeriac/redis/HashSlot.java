package io.celeriac.redis;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Redis Cluster's hash slot of a key (CRC16/XMODEM of the key, or of its first non-empty {@code {tag}}, mod 16384).
 * A script's keys must share one slot on a cluster: {@link LuaScript} checks those of scripts that are one slot on
 * every Redis, and {@link MultiGet} reads many keys by slot.
 */
public final class HashSlot {

    public static final int SLOTS = 16384;

    private HashSlot() {
    }

    public static int of(String key) {
        byte[] bytes = key.getBytes(StandardCharsets.UTF_8);
        int from = 0;
        int to = bytes.length;
        int open = indexOf(bytes, (byte) '{', 0);
        if (open >= 0) {
            int close = indexOf(bytes, (byte) '}', open + 1);
            if (close > open + 1) {
                from = open + 1;
                to = close;
            }
        }
        return crc16(bytes, from, to) & (SLOTS - 1);
    }

    /**
     * A key in the slot of {@code key}: {@code {key}suffix}. Celery names a task's record {@code celery-task-meta-<id>}
     * without a tag, and Python reads it there; this puts Celeriac's own keys of that task beside it.
     */
    public static String beside(String key, String suffix) {
        if (key.indexOf('{') >= 0 || key.indexOf('}') >= 0) {
            // Task and group ids are checked (TaskIds): a brace would move the record's own slot.
            throw new IllegalArgumentException("a key with braces has no stable slot to share: " + key);
        }
        return "{" + key + "}" + suffix;
    }

    /** True when every key is in the same slot (or there are none). */
    public static boolean same(List<String> keys) {
        for (int i = 1; i < keys.size(); i++) {
            if (of(keys.get(i)) != of(keys.get(0))) {
                return false;
            }
        }
        return true;
    }

    private static int indexOf(byte[] bytes, byte wanted, int from) {
        for (int i = from; i < bytes.length; i++) {
            if (bytes[i] == wanted) {
                return i;
            }
        }
        return -1;
    }

    private static int crc16(byte[] bytes, int from, int to) {
        int crc = 0;
        for (int i = from; i < to; i++) {
            crc ^= (bytes[i] & 0xff) << 8;
            for (int bit = 0; bit < 8; bit++) {
                crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1;
            }
        }
        return crc & 0xffff;
    }
}
