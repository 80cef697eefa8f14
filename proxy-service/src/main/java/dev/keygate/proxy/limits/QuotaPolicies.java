package dev.keygate.proxy.limits;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import dev.keygate.contracts.admin.v1.QuotaPolicyChanged;
import org.springframework.stereotype.Component;

/**
 * The current quota policies, built from admin-service's compacted policy topic. Reads on the request path see an
 * immutable index, rebuilt on each (rare) policy change, so a lookup is a few map reads without locks.
 */
@Component
public class QuotaPolicies {

    private final Map<UUID, QuotaPolicyChanged> byId = new ConcurrentHashMap<>();
    private volatile Map<String, List<QuotaPolicyChanged>> index = Map.of();

    /** Applies one event; the last event per policy wins and a deleted policy disappears. Idempotent. */
    public synchronized void apply(QuotaPolicyChanged event) {
        if (event.deleted()) {
            byId.remove(event.policyId());
        }
        else {
            byId.put(event.policyId(), event);
        }
        Map<String, List<QuotaPolicyChanged>> rebuilt = new HashMap<>();
        for (QuotaPolicyChanged policy : byId.values()) {
            rebuilt.computeIfAbsent(key(policy.tenantId(), policy.scope(), policy.subject()), k -> new ArrayList<>())
                    .add(policy);
        }
        rebuilt.replaceAll((k, list) -> List.copyOf(list));
        index = Map.copyOf(rebuilt);
    }

    /** Policies of one scope and subject in a tenant ({@code subject} is ignored for {@code tenant} scope). */
    List<QuotaPolicyChanged> find(String tenantId, String scope, String subject) {
        if (subject == null && !"tenant".equals(scope)) {
            return List.of();
        }
        return index.getOrDefault(key(tenantId, scope, subject), List.of());
    }

    public int size() {
        return byId.size();
    }

    private static String key(String tenantId, String scope, String subject) {
        return tenantId + '\u0000' + scope + '\u0000' + ("tenant".equals(scope) ? "" : subject);
    }
}
