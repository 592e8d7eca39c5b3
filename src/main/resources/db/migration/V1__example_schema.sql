-- The example app's tables, as its entities map them (PanacheEntity ids from sequences allocating 50 at a time).
create sequence app_user_SEQ start with 1 increment by 50;
create table app_user (
    id bigint not null,
    email varchar(255) not null,
    name varchar(255) not null,
    primary key (id)
);
