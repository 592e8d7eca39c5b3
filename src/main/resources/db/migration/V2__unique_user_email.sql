-- POST /users answers 409 for a taken email; the constraint holds when two requests race past the check.
alter table app_user add constraint app_user_email_key unique (email);
