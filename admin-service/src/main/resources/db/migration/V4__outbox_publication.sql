-- The publication the outbox relay reads. It must exist before the first outbox row is written: logical decoding
-- judges membership as of each change, so a table added to a publication later never emits its earlier changes.
create publication keygate_admin_outbox for table outbox_event;
