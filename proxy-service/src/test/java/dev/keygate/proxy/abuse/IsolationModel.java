package dev.keygate.proxy.abuse;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

/**
 * A seeded world of tenants, users (the same user names recur in every tenant), provider keys per user and per
 * organisation, and callers (proxy keys scoped to providers, and signed-in users), with the one rule of who may use
 * which key: the caller's own key for the provider, else their organisation's, else none; and nothing at all for a
 * provider outside a proxy key's scope.
 */
final class IsolationModel {

    static final List<String> PROVIDERS = List.of("openai", "anthropic", "gemini", "xai", "brave");
    private static final List<String> USER_NAMES = List.of("alice", "bob", "carol");

    /** A caller: a proxy key (secret set, scope maybe limited) or a signed-in user (token minted later). */
    record Caller(String tenant, String user, String proxyKey, Set<String> scope) {

        boolean mayUse(String provider) {
            return scope.isEmpty() || scope.contains(provider);
        }

        @Override
        public String toString() {
            return (proxyKey == null ? "token" : "px key ..." + proxyKey.substring(proxyKey.length() - 4))
                    + " of " + user + "@" + tenant + (scope.isEmpty() ? "" : " scoped to " + scope);
        }
    }

    final Random random;
    final List<String> tenants = new ArrayList<>();
    final Map<String, List<String>> users = new LinkedHashMap<>();
    /** Slot (AbuseServers.userKeySlot / orgKeySlot) → key, mirrored into the fake keyvault. */
    final Map<String, String> keys = new LinkedHashMap<>();
    final List<Caller> callers = new ArrayList<>();

    IsolationModel(long seed) {
        random = new Random(seed);
        int tenantCount = 3 + random.nextInt(2);
        for (int t = 0; t < tenantCount; t++) {
            String tenant = "iso-" + Long.toHexString(seed) + "-t" + t;
            tenants.add(tenant);
            List<String> names = new ArrayList<>(USER_NAMES.subList(0, 2 + random.nextInt(2)));
            users.put(tenant, names);
            for (String provider : PROVIDERS) {
                if (random.nextInt(2) == 0) {
                    keys.put(AbuseServers.orgKeySlot(tenant, provider), newKey(tenant, "org", provider));
                }
                for (String user : names) {
                    if (random.nextInt(5) < 2) {
                        keys.put(AbuseServers.userKeySlot(tenant, user, provider), newKey(tenant, user, provider));
                    }
                }
            }
            for (String user : names) {
                callers.add(new Caller(tenant, user, null, Set.of()));
                for (int k = 1 + random.nextInt(2); k > 0; k--) {
                    Set<String> scope = new TreeSet<>();
                    if (random.nextInt(10) >= 3) {
                        PROVIDERS.stream().filter(any -> random.nextBoolean()).forEach(scope::add);
                    }
                    callers.add(new Caller(tenant, user, "px_" + hex(24), scope));
                }
            }
        }
    }

    /** The key this caller's call to this provider must carry, or {@code null} when it must not be forwarded. */
    String expectedKey(Caller caller, String provider) {
        if (!caller.mayUse(provider)) {
            return null;
        }
        String own = keys.get(AbuseServers.userKeySlot(caller.tenant(), caller.user(), provider));
        return own != null ? own : keys.get(AbuseServers.orgKeySlot(caller.tenant(), provider));
    }

    /** Whose key this is, for a failure message that names the breach. */
    String ownerOf(String key) {
        return keys.entrySet().stream().filter(entry -> entry.getValue().equals(key)).map(Map.Entry::getKey)
                .findFirst().orElse("nobody in the model (" + (key == null ? "no key" : "a key not issued") + ")");
    }

    /**
     * Changes one stored key as a user or an admin would: stores a new one where none was, replaces or deletes one.
     *
     * @return {tenant, user or null for the organisation key, provider, action}
     */
    String[] mutate() {
        String tenant = tenants.get(random.nextInt(tenants.size()));
        String provider = PROVIDERS.get(random.nextInt(PROVIDERS.size()));
        List<String> names = users.get(tenant);
        String user = random.nextBoolean() ? names.get(random.nextInt(names.size())) : null;
        String slot = user == null ? AbuseServers.orgKeySlot(tenant, provider)
                : AbuseServers.userKeySlot(tenant, user, provider);
        if (keys.containsKey(slot) && random.nextBoolean()) {
            keys.remove(slot);
            return new String[] {tenant, user, provider, "deleted"};
        }
        keys.put(slot, newKey(tenant, user == null ? "org" : user, provider));
        return new String[] {tenant, user, provider, "stored"};
    }

    private String newKey(String tenant, String owner, String provider) {
        return "sk-iso-" + tenant + "-" + owner + "-" + provider + "-" + hex(6);
    }

    private String hex(int bytes) {
        byte[] random = new byte[bytes];
        this.random.nextBytes(random);
        return HexFormat.of().formatHex(random);
    }
}
