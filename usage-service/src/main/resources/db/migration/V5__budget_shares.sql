-- Shares of hard budgets granted to proxy instances (docs/quotas.md, "Budget shares"). A proxy reserves each call's
-- worst case against a share it holds; usage-service only grants what the budget has left after its spend and
-- every other share still outstanding, so the instances together can never admit more than the budget.
create table budget_grant (
    grant_id       uuid            primary key,
    tenant_id      text            not null,
    budget_key     text            not null,
    period_start   timestamptz     not null,
    instance_id    text            not null,
    region         text,
    tokens         bigint          not null check (tokens > 0),
    -- The dearest price per token of the tenant when granted (USD); a cost budget's share is tokens at that price.
    usd_per_token  numeric(30, 18) not null,
    -- Tokens the ledger recorded for calls that reserved against this share (events name their grants).
    used_tokens    bigint          not null default 0,
    -- Tokens the proxy metered under the share when it gave it back; null while the proxy holds it.
    settled_tokens bigint,
    granted_at     timestamptz     not null,
    expires_at     timestamptz     not null
);

create index budget_grant_by_budget on budget_grant (budget_key, period_start);
