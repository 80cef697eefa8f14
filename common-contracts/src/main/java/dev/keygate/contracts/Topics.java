package dev.keygate.contracts;

/**
 * Kafka topic names shared by producers and consumers. Each topic carries one family of wire types;
 * a breaking change gets a new topic version beside the old one.
 */
public final class Topics {

    /** {@link dev.keygate.contracts.usage.v1.UsageRecorded}, keyed by the billed subject (tenant/user). */
    public static final String USAGE_RECORDED = "keygate.usage.recorded.v1";

    /**
     * {@link dev.keygate.contracts.admin.v1.ProxyKeyEvent}s relayed from admin-service's outbox, keyed by
     * proxy key id. Compacted: the last event per key is its current state.
     */
    public static final String ADMIN_PROXY_KEYS = "keygate.admin.proxy-keys.v1";

    /**
     * {@link dev.keygate.contracts.admin.v1.ProviderChanged} relayed from admin-service's outbox, keyed by provider id.
     * Compacted: the last event per provider is its current routing state.
     */
    public static final String ADMIN_PROVIDERS = "keygate.admin.providers.v1";

    /**
     * {@link dev.keygate.contracts.admin.v1.QuotaPolicyChanged} relayed from admin-service's outbox, keyed by policy
     * id. Compacted: the last event per policy is its current state.
     */
    public static final String ADMIN_QUOTA_POLICIES = "keygate.admin.quota-policies.v1";

    /**
     * {@link dev.keygate.contracts.admin.v1.ModelPriced} relayed from admin-service's outbox, keyed by price version
     * id. Compacted, and every version has its own key: the topic holds each model's whole price history.
     */
    public static final String ADMIN_MODEL_PRICES = "keygate.admin.model-prices.v1";

    /**
     * {@link dev.keygate.contracts.usage.v1.BudgetState} published by usage-service, keyed by
     * {@code BudgetState.key()}. Compacted: the last state per budget is what proxies admit calls against.
     */
    public static final String USAGE_BUDGET_STATE = "keygate.usage.budget-state.v1";

    /**
     * {@link dev.keygate.contracts.admin.v1.ProviderKeyChanged} relayed from admin-service's outbox, keyed by
     * {@code tenant/user/provider} ({@code *} for the user of an organisation key). Compacted: the last change per
     * stored key. Never carries key material.
     */
    public static final String ADMIN_PROVIDER_KEYS = "keygate.admin.provider-keys.v1";

    /**
     * {@link dev.keygate.contracts.usage.v1.BudgetShareRequested}: proxies asking usage-service for shares of hard
     * budgets and giving them back, keyed by budget key.
     */
    public static final String PROXY_BUDGET_SHARE_REQUESTS = "keygate.proxy.budget-share-requests.v1";

    /**
     * {@link dev.keygate.contracts.usage.v1.BudgetShareGranted}: usage-service's grants and refusals, keyed by the
     * proxy instance id. Every proxy reads it from its end and keeps only its own.
     */
    public static final String USAGE_BUDGET_SHARES = "keygate.usage.budget-shares.v1";

    private Topics() {
    }
}
