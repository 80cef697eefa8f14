-- Budget alerts raised for admins: once per budget, period and level ('warning' at 80 % used, 'exhausted' at 100 %),
-- for soft and hard budgets alike. Kept so the dashboard and GET /api/v1/analytics/budgets/alerts show what was raised
-- and when, and so a restart does not raise (and send to the webhook) the same alert again.
create table budget_alert (
    tenant_id    text            not null,
    budget_key   text            not null,
    period_start timestamptz     not null,
    level        text            not null,
    scope        text            not null,
    subject      text,
    source       text            not null,
    period       text            not null,
    hard         boolean         not null,
    limit_usd    numeric(24, 12),
    limit_tokens bigint,
    spent_usd    numeric(24, 12) not null,
    spent_tokens bigint          not null,
    raised_at    timestamptz     not null,
    primary key (budget_key, period_start, level)
);

create index budget_alert_by_tenant on budget_alert (tenant_id, raised_at desc);
