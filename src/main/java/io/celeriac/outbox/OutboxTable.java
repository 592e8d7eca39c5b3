package io.celeriac.outbox;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;

import io.agroal.api.AgroalDataSource;

/**
 * The outbox's rows in the application's database, one per held message: written in the sender's transaction, each
 * claimed for a while by the instance that publishes it, deleted once the broker confirmed it. Plain JDBC on the
 * default datasource, so a row commits or rolls back with whatever the sender's transaction holds.
 */
@ApplicationScoped
public class OutboxTable {

    static final String NAME = "celeriac_outbox";

    /** Portable to PostgreSQL and H2; times are epoch milliseconds. */
    static final String DDL = "create table if not exists " + NAME + " ("
            + "row_id varchar(36) not null primary key, "
            + "task_id varchar(128) not null, "
            + "message text not null, "
            + "created_at bigint not null, "
            + "claimed_until bigint not null, "
            + "claimed_by varchar(255))";

    /** A held message: its row and the stored form of the message ({@code TaskMessageCodec.store}). */
    public record Row(String rowId, String taskId, String message) {
    }

    private final AgroalDataSource dataSource;

    public OutboxTable(AgroalDataSource dataSource) {
        this.dataSource = dataSource;
    }

    void create() throws SQLException {
        try (Connection db = dataSource.getConnection(); Statement sql = db.createStatement()) {
            sql.execute(DDL);
            sql.execute("create index if not exists " + NAME + "_claimed on " + NAME + " (claimed_until)");
        }
    }

    /** Inside the caller's transaction (the datasource enlists the connection in it). */
    Row insert(String taskId, String message, String claimedBy, long claimedUntil) throws SQLException {
        Row row = new Row(UUID.randomUUID().toString(), taskId, message);
        try (Connection db = dataSource.getConnection(); PreparedStatement sql = db.prepareStatement("insert into "
                + NAME + " (row_id, task_id, message, created_at, claimed_until, claimed_by) values (?, ?, ?, ?, ?, ?)")) {
            sql.setString(1, row.rowId());
            sql.setString(2, taskId);
            sql.setString(3, message);
            sql.setLong(4, System.currentTimeMillis());
            sql.setLong(5, claimedUntil);
            sql.setString(6, claimedBy);
            sql.executeUpdate();
        }
        return row;
    }

    /** Sets the claim of these rows (in the caller's transaction, before its commit). */
    void claim(List<Row> rows, String claimedBy, long until) throws SQLException {
        try (Connection db = dataSource.getConnection(); PreparedStatement sql = db.prepareStatement("update " + NAME
                + " set claimed_until = ?, claimed_by = ? where row_id = ?")) {
            for (Row row : rows) {
                sql.setLong(1, until);
                sql.setString(2, claimedBy);
                sql.setString(3, row.rowId());
                sql.addBatch();
            }
            sql.executeBatch();
        }
    }

    /**
     * Claims up to {@code limit} rows whose claim ran out, for {@code claimedBy} until {@code until}. Each claim is
     * an update guarded by the expired claim, so of two instances sweeping at once only one gets a row.
     */
    List<Row> claimExpired(String claimedBy, long now, long until, int limit) throws SQLException {
        List<String> candidates = new ArrayList<>();
        List<Row> claimed = new ArrayList<>();
        try (Connection db = dataSource.getConnection()) {
            try (PreparedStatement sql = db.prepareStatement("select row_id from " + NAME
                    + " where claimed_until < ? order by created_at")) {
                sql.setLong(1, now);
                sql.setMaxRows(limit);
                try (ResultSet rows = sql.executeQuery()) {
                    while (rows.next()) {
                        candidates.add(rows.getString(1));
                    }
                }
            }
            try (PreparedStatement claim = db.prepareStatement("update " + NAME
                    + " set claimed_until = ?, claimed_by = ? where row_id = ? and claimed_until < ?");
                    PreparedStatement read = db.prepareStatement("select task_id, message from " + NAME
                            + " where row_id = ?")) {
                for (String rowId : candidates) {
                    claim.setLong(1, until);
                    claim.setString(2, claimedBy);
                    claim.setString(3, rowId);
                    claim.setLong(4, now);
                    if (claim.executeUpdate() == 1) {
                        read.setString(1, rowId);
                        try (ResultSet row = read.executeQuery()) {
                            if (row.next()) {
                                claimed.add(new Row(rowId, row.getString(1), row.getString(2)));
                            }
                        }
                    }
                }
            }
        }
        return claimed;
    }

    void delete(List<Row> rows) throws SQLException {
        try (Connection db = dataSource.getConnection(); PreparedStatement sql = db.prepareStatement("delete from "
                + NAME + " where row_id = ?")) {
            for (Row row : rows) {
                sql.setString(1, row.rowId());
                sql.addBatch();
            }
            sql.executeBatch();
        }
    }

    /** Rows still held, for the dashboard and the tests. */
    public long count() throws SQLException {
        try (Connection db = dataSource.getConnection(); Statement sql = db.createStatement();
                ResultSet rows = sql.executeQuery("select count(*) from " + NAME)) {
            rows.next();
            return rows.getLong(1);
        }
    }
}
