package dev.keygate.admin.user;

import java.net.URI;
import java.util.List;

import dev.keygate.admin.system.Caller;
import dev.keygate.admin.system.ProblemResponses;
import org.springframework.http.CacheControl;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/** Users of the caller's tenant, for platform admins: list, create (with a one-time password), roles, disable. */
@RestController
@RequestMapping("/api/v1/users")
class UserController {

    private final KeycloakUsers users;
    private final ProblemResponses problems;

    UserController(KeycloakUsers users, ProblemResponses problems) {
        this.users = users;
        this.problems = problems;
    }

    @GetMapping
    List<UserView> list(@AuthenticationPrincipal Jwt token) {
        return users.list(Caller.from(token));
    }

    @PostMapping
    ResponseEntity<UserView> create(@AuthenticationPrincipal Jwt token, @RequestBody CreateUser request) {
        UserView created = users.create(Caller.from(token), request);
        return ResponseEntity.created(URI.create("/api/v1/users/" + created.id()))
                .cacheControl(CacheControl.noStore()).body(created);
    }

    @PutMapping("/{id}/roles")
    UserView roles(@AuthenticationPrincipal Jwt token, @PathVariable String id, @RequestBody List<String> roles) {
        return users.setRoles(Caller.from(token), id, roles);
    }

    @PostMapping("/{id}/disable")
    UserView disable(@AuthenticationPrincipal Jwt token, @PathVariable String id) {
        return users.setEnabled(Caller.from(token), id, false);
    }

    @PostMapping("/{id}/enable")
    UserView enable(@AuthenticationPrincipal Jwt token, @PathVariable String id) {
        return users.setEnabled(Caller.from(token), id, true);
    }

    @ExceptionHandler(KeycloakUsers.DuplicateUserException.class)
    ProblemDetail duplicate(KeycloakUsers.DuplicateUserException ex) {
        return problems.problem(HttpStatus.CONFLICT, "duplicate-user", "User exists", ex.getMessage());
    }
}
