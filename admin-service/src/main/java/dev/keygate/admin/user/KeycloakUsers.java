package dev.keygate.admin.user;

import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import dev.keygate.admin.system.Caller;
import dev.keygate.admin.system.InvalidRequestException;
import dev.keygate.admin.system.NotFoundException;
import dev.keygate.admin.system.UpstreamUnavailableException;
import jakarta.annotation.PreDestroy;
import jakarta.ws.rs.ProcessingException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import org.keycloak.OAuth2Constants;
import org.keycloak.admin.client.Keycloak;
import org.keycloak.admin.client.KeycloakBuilder;
import org.keycloak.admin.client.resource.RealmResource;
import org.keycloak.admin.client.resource.UserResource;
import org.keycloak.representations.idm.CredentialRepresentation;
import org.keycloak.representations.idm.RoleRepresentation;
import org.keycloak.representations.idm.UserRepresentation;
import org.springframework.stereotype.Service;

/**
 * Users live in Keycloak, not in a shadow table: this service reads and changes them through keycloak-admin-client
 * with admin-service's own service account. Every operation is confined to the caller's tenant (the user attribute
 * {@code tenant}); a user of another tenant does not exist as far as the caller can tell.
 */
@Service
public class KeycloakUsers {

    static final Set<String> KEYGATE_ROLES = Set.of("platform-admin", "developer", "analyst");
    private static final Pattern USERNAME = Pattern.compile("[a-z0-9][a-z0-9._@-]{1,63}");
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Keycloak keycloak;
    private final String realm;

    KeycloakUsers(KeycloakProperties properties) {
        this.realm = properties.realm();
        this.keycloak = KeycloakBuilder.builder()
                .serverUrl(properties.serverUrl())
                .realm(realm)
                .grantType(OAuth2Constants.CLIENT_CREDENTIALS)
                .clientId(properties.clientId())
                .clientSecret(properties.clientSecret())
                .build();
    }

    /** Whether {@code userId} is a Keycloak user of {@code tenantId}; another tenant's user is as absent as none. */
    public boolean isMember(String tenantId, String userId) {
        return call(() -> {
            try {
                return tenantId.equals(tenantOf(realm().users().get(userId).toRepresentation()));
            }
            catch (jakarta.ws.rs.NotFoundException ex) {
                return false;
            }
        });
    }

    List<UserView> list(Caller caller) {
        return call(() -> realm().users().searchByAttributes(0, 500, null, false, "tenant:" + caller.tenantId())
                .stream()
                .filter(user -> caller.tenantId().equals(tenantOf(user)))
                .map(user -> view(user, roles(user.getId()), null))
                .toList());
    }

    UserView create(Caller caller, CreateUser request) {
        if (request == null || request.username() == null || !USERNAME.matcher(request.username()).matches()) {
            throw new InvalidRequestException("username must be 2-64 lower-case letters, digits or '.', '_', '@', '-'.");
        }
        List<String> roles = checkedRoles(request.roles() == null ? List.of("developer") : request.roles());
        String temporaryPassword = Base64.getUrlEncoder().withoutPadding().encodeToString(randomBytes(15));
        UserRepresentation user = new UserRepresentation();
        user.setUsername(request.username());
        user.setEmail(request.email());
        user.setFirstName(request.firstName());
        user.setLastName(request.lastName());
        user.setEnabled(true);
        user.setEmailVerified(request.email() != null);
        user.setAttributes(Map.of("tenant", List.of(caller.tenantId())));
        CredentialRepresentation password = new CredentialRepresentation();
        password.setType(CredentialRepresentation.PASSWORD);
        password.setValue(temporaryPassword);
        password.setTemporary(true);
        user.setCredentials(List.of(password));
        return call(() -> {
            try (Response response = realm().users().create(user)) {
                if (response.getStatus() == 409) {
                    throw new DuplicateUserException(request.username());
                }
                if (response.getStatus() != 201) {
                    throw new UpstreamUnavailableException("Keycloak refused the new user (" + response.getStatus() + ").");
                }
                String id = response.getLocation().getPath().replaceAll(".*/", "");
                assignRoles(id, roles);
                return view(realm().users().get(id).toRepresentation(), roles, temporaryPassword);
            }
        });
    }

    UserView setRoles(Caller caller, String id, List<String> wanted) {
        List<String> roles = checkedRoles(wanted);
        return call(() -> {
            UserResource user = ownUser(caller, id);
            List<RoleRepresentation> current = user.roles().realmLevel().listEffective().stream()
                    .filter(role -> KEYGATE_ROLES.contains(role.getName())).toList();
            if (!current.isEmpty()) {
                user.roles().realmLevel().remove(current);
            }
            assignRoles(id, roles);
            return view(user.toRepresentation(), roles(id), null);
        });
    }

    UserView setEnabled(Caller caller, String id, boolean enabled) {
        if (!enabled && id.equals(caller.userId())) {
            throw new InvalidRequestException("You cannot disable your own account.");
        }
        return call(() -> {
            UserResource user = ownUser(caller, id);
            UserRepresentation representation = user.toRepresentation();
            representation.setEnabled(enabled);
            user.update(representation);
            return view(user.toRepresentation(), roles(id), null);
        });
    }

    private UserResource ownUser(Caller caller, String id) {
        UserResource user = realm().users().get(id);
        try {
            if (!caller.tenantId().equals(tenantOf(user.toRepresentation()))) {
                throw new NotFoundException("No user " + id + " in your tenant.");
            }
        }
        catch (jakarta.ws.rs.NotFoundException ex) {
            throw new NotFoundException("No user " + id + " in your tenant.");
        }
        return user;
    }

    private void assignRoles(String id, List<String> roles) {
        List<RoleRepresentation> representations = roles.stream()
                .map(role -> realm().roles().get(role).toRepresentation()).toList();
        realm().users().get(id).roles().realmLevel().add(representations);
    }

    private List<String> roles(String id) {
        return realm().users().get(id).roles().realmLevel().listEffective().stream()
                .map(RoleRepresentation::getName).filter(KEYGATE_ROLES::contains).sorted().toList();
    }

    private static List<String> checkedRoles(List<String> roles) {
        if (roles.isEmpty() || !KEYGATE_ROLES.containsAll(roles)) {
            throw new InvalidRequestException("roles must be one or more of " + KEYGATE_ROLES.stream().sorted().toList()
                    + ".");
        }
        return roles.stream().distinct().sorted().toList();
    }

    private static String tenantOf(UserRepresentation user) {
        List<String> tenant = user.getAttributes() == null ? null : user.getAttributes().get("tenant");
        return tenant == null || tenant.isEmpty() ? null : tenant.get(0);
    }

    private static UserView view(UserRepresentation user, List<String> roles, String temporaryPassword) {
        return new UserView(user.getId(), user.getUsername(), user.getEmail(), user.getFirstName(),
                user.getLastName(), Boolean.TRUE.equals(user.isEnabled()), roles, tenantOf(user), temporaryPassword);
    }

    private RealmResource realm() {
        return keycloak.realm(realm);
    }

    /** Keycloak unreachable or answering errors becomes a 503 problem; our own exceptions pass through. */
    private static <T> T call(java.util.function.Supplier<T> operation) {
        try {
            return operation.get();
        }
        catch (ProcessingException | WebApplicationException ex) {
            throw new UpstreamUnavailableException("Keycloak's admin API failed; try again shortly.", ex);
        }
    }

    private static byte[] randomBytes(int count) {
        byte[] bytes = new byte[count];
        RANDOM.nextBytes(bytes);
        return bytes;
    }

    @PreDestroy
    void close() {
        keycloak.close();
    }

    /** A username that already exists in the realm (in any tenant): 409. */
    static class DuplicateUserException extends RuntimeException {
        DuplicateUserException(String username) {
            super("A user named '" + username + "' already exists; choose another username.");
        }
    }
}
