insert into app_user (id, name, email) values (1, 'Ada Lovelace', 'ada@example.org');
insert into app_user (id, name, email) values (2, 'Grace Hopper', 'grace@example.org');
insert into app_user (id, name, email) values (3, 'Alan Turing', 'alan@example.org');
alter sequence app_user_SEQ restart with 100;
