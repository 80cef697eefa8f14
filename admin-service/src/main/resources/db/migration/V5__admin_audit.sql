-- Every change made through the admin API: who, what, when, from where, with what outcome. Never a request body.
create table admin_audit (
    id          bigint       generated always as identity primary key,
    occurred_at timestamptz  not null,
    tenant_id   varchar(64),
    actor_id    varchar(255),
    actor_name  varchar(255),
    method      varchar(8)   not null,
    path        varchar(512) not null,
    status      integer      not null,
    remote_addr varchar(64),
    trace_id    varchar(64)
);

create index admin_audit_tenant on admin_audit (tenant_id, occurred_at desc);
