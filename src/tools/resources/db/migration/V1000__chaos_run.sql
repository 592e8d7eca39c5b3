-- Only in the tools build (-Ptools): the rows chaos_probe leaves, one per execution, so scripts/chaos can count
-- duplicate runs. A number far above the app's own migrations, so they never collide; "if not exists" because
-- databases made before the table left V1 have it already.
create sequence if not exists chaos_run_SEQ start with 1 increment by 50;
create table if not exists chaos_run (
    id bigint not null,
    run varchar(255) not null,
    seq integer not null,
    worker varchar(255),
    primary key (id)
);
create index if not exists chaos_run_run_seq on chaos_run (run, seq);
