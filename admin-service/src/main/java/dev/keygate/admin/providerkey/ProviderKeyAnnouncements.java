package dev.keygate.admin.providerkey;

import java.time.Clock;
import java.util.UUID;

import dev.keygate.admin.outbox.Outbox;
import dev.keygate.contracts.Topics;
import dev.keygate.contracts.admin.v1.ProviderKeyChanged;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Announces through the outbox that a user's own provider key or an organisation key was stored, replaced or
 * deleted, so proxies drop the key they cached at once. The event names whose key for which provider and nothing
 * of the key itself.
 * <p>
 * keyvault holds the key and is called before the announcement, outside any database transaction (a slow vault
 * must not hold a connection). So a crash between keyvault's answer and the commit loses the announcement; proxies
 * then use the old key for at most their cache TTL, as they did before this event existed.
 */
@Component
class ProviderKeyAnnouncements {

    private final Outbox outbox;
    private final TransactionTemplate transaction;
    private final Clock clock = Clock.systemUTC();

    ProviderKeyAnnouncements(Outbox outbox, TransactionTemplate transaction) {
        this.outbox = outbox;
        this.transaction = transaction;
    }

    /** A user's own key changed; must run in the transaction that changed the key's metadata. */
    void userKey(String tenantId, String userId, String provider, String action) {
        publish(new ProviderKeyChanged(UUID.randomUUID(), null, 0, clock.instant(), tenantId, userId, provider,
                action));
    }

    /** The tenant's organisation key changed (admin keeps no metadata of it): announced in a transaction of its own. */
    void organisationKey(String tenantId, String provider, String action) {
        ProviderKeyChanged changed = new ProviderKeyChanged(UUID.randomUUID(), null, 0, clock.instant(), tenantId,
                null, provider, action);
        transaction.executeWithoutResult(status -> publish(changed));
    }

    private void publish(ProviderKeyChanged changed) {
        outbox.publish(changed.eventId(), Topics.ADMIN_PROVIDER_KEYS,
                ProviderKeyChanged.key(changed.tenantId(), changed.userId(), changed.provider()), ProviderKeyChanged.TYPE,
                changed);
    }
}
