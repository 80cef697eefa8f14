package dev.keygate.admin.user;

import java.util.List;

import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/** The body of {@code POST /api/v1/users}. The user joins the caller's tenant. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
record CreateUser(String username, String email, String firstName, String lastName, List<String> roles) {
}
