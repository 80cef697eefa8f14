-- The caller's license tier (UsageRecorded.tier): analytics group and filter by it, and budgets can be set per tier
-- (budget_spend and budget_limit rows of scope 'tier', subject = the tier; no schema change needed for those).
-- V7 was never used here; V9 follows V8 so that databases already at V8 migrate in order.

-- null: the event carried no tier (a key a person created, a signed-in user, or a proxy older than the field).
-- Events recorded before this migration are not backfilled: the tier of a past call is not known here, and a
-- license's tier today may not be the one it had then.
alter table usage_event add column tier text;

-- Rollups are keyed by tier too, so usage groups by it. '' stands for "no tier", as for the other dimensions ('' can
-- be in a primary key, null cannot, and no tier is named ''). Every row already here rolls up events without a tier,
-- so '' is exactly what they hold and nothing needs recomputing. Rebuilding the primary key locks the table while it
-- runs: usage-service migrates before it consumes, so ingestion simply waits (see docs/analytics.md).
alter table usage_rollup_hourly add column tier text not null default '';
alter table usage_rollup_hourly drop constraint usage_rollup_hourly_pkey;
alter table usage_rollup_hourly add primary key (tenant_id, hour, provider, model, user_id, proxy_key_id, region, tier);
