package io.celeriac.example;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Index;
import jakarta.persistence.Table;

import io.quarkus.hibernate.orm.panache.PanacheEntity;

/** One execution of {@code chaos_probe}: scripts/chaos counts duplicate runs from these rows. */
@Entity
@Table(name = "chaos_run", indexes = @Index(columnList = "run, seq"))
public class ChaosRun extends PanacheEntity {

    @Column(nullable = false)
    public String run;

    public int seq;

    public String worker;
}
