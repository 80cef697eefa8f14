package dev.keygate.admin.license;

import dev.keygate.admin.system.InvalidRequestException;
import dev.keygate.admin.system.ProblemResponses;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.method.HandlerMethod;

/**
 * Refused activations as RFC 9457 problems. The seed shows no activation error, but its success answer has
 * {@code success} and its other errors are {@code {"error": "…"}}: answers of {@code /activate} carry both as
 * extension members ({@code "success": false, "error": detail}), so a seed client sees a familiar shape.
 */
@RestControllerAdvice(assignableTypes = {LegacyActivationController.class, ActivationController.class})
@Order(Ordered.HIGHEST_PRECEDENCE)
class ActivationProblems {

    private final ProblemResponses problems;

    ActivationProblems(ProblemResponses problems) {
        this.problems = problems;
    }

    @ExceptionHandler(ActivationRefusedException.class)
    ProblemDetail refused(ActivationRefusedException ex, HandlerMethod handler) {
        return shaped(problems.problem(ex.status(), ex.slug(), ex.title(), ex.getMessage()), handler);
    }

    @ExceptionHandler(InvalidRequestException.class)
    ProblemDetail invalid(InvalidRequestException ex, HandlerMethod handler) {
        return shaped(problems.problem(HttpStatus.BAD_REQUEST, "invalid-request", "Invalid request", ex.getMessage()),
                handler);
    }

    @ExceptionHandler(HttpMessageNotReadableException.class)
    ProblemDetail unreadable(HttpMessageNotReadableException ex, HandlerMethod handler) {
        return shaped(problems.problem(HttpStatus.BAD_REQUEST, "unreadable-body", "Unreadable request body",
                "Send a JSON object with license_key and hardware_id."), handler);
    }

    private static ProblemDetail shaped(ProblemDetail problem, HandlerMethod handler) {
        if (LegacyActivationController.class.isAssignableFrom(handler.getBeanType())) {
            problem.setProperty("success", false);
            problem.setProperty("error", problem.getDetail());
        }
        return problem;
    }
}
