-- Spend per budget subject and UTC period, maintained in the ledger's transaction for newly recorded events only.
-- scope: tenant (subject '*'), user (subject = user id) or proxy-key (subject = key id); period: day or month.
create table budget_spend (
    tenant_id    text            not null,
    scope        text            not null,
    subject      text            not null,
    period       text            not null,
    period_start timestamptz     not null,
    cost_usd     numeric(24, 12) not null,
    tokens       bigint          not null,
    primary key (tenant_id, scope, subject, period, period_start)
);

-- The budgets to hold: token and cost limits of admin-service's quota policies (topic keygate.admin.quota-policies.v1)
-- and proxy keys' own monthly budgets (topic keygate.admin.proxy-keys.v1).
create table budget_limit (
    tenant_id   text            not null,
    scope       text            not null,
    subject     text            not null,
    source      text            not null,
    period      text            not null,
    limit_usd   numeric(24, 12),
    limit_tokens bigint,
    hard        boolean         not null,
    primary key (tenant_id, scope, subject, source, period)
);
