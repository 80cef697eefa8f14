package dev.keygate.admin.user;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/**
 * A Keygate user as platform admins see it; {@code temporaryPassword} is present once, in the answer that created the
 * user, and must be changed at first sign-in.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonInclude(JsonInclude.Include.NON_NULL)
record UserView(String id, String username, String email, String firstName, String lastName, boolean enabled,
                List<String> roles, String tenant, String temporaryPassword) {

    @Override
    public String toString() {
        return "UserView[id=" + id + ", username=" + username + ", roles=" + roles + ", tenant=" + tenant + "]";
    }
}
