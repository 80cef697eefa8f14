-- A user's and a proxy key's budget spend are their rows of usage_user_daily and usage_key_daily (V10), which hold the
-- same sums per UTC day (cost, input and output tokens) in the same ledger transaction. The ledger stops writing them
-- to budget_spend a second time (per day and per month, four rows per call of a new subject); budget_spend keeps the
-- whole tenant's and each license tier's spend. Budgets read a user's or key's day or month from these indexes.
create index usage_user_daily_subject on usage_user_daily (tenant_id, user_id, day);
create index usage_key_daily_subject on usage_key_daily (tenant_id, proxy_key_id, day);

delete from budget_spend where scope in ('user', 'proxy-key');
