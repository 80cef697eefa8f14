package dev.keygate.usage.system;

import org.springframework.beans.TypeMismatchException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.method.annotation.MethodArgumentTypeMismatchException;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;

/** Turns every failure into problem+json whose detail names the fix. */
@RestControllerAdvice
class ProblemDetailsAdvice extends ResponseEntityExceptionHandler {

    private final ProblemResponses problems;

    ProblemDetailsAdvice(ProblemResponses problems) {
        this.problems = problems;
    }

    @ExceptionHandler(Caller.NoTenantException.class)
    ProblemDetail noTenant(Caller.NoTenantException ex) {
        return problems.problem(HttpStatus.FORBIDDEN, "no-tenant", "No tenant", ex.getMessage());
    }

    @ExceptionHandler(InvalidRequestException.class)
    ProblemDetail invalid(InvalidRequestException ex) {
        return problems.problem(HttpStatus.BAD_REQUEST, "invalid-request", "Invalid request", ex.getMessage());
    }

    /** A parameter of the wrong type: say which one and what it must look like. */
    @Override
    protected ResponseEntity<Object> handleTypeMismatch(TypeMismatchException ex, HttpHeaders headers,
                                                        HttpStatusCode status, WebRequest request) {
        String name = ex instanceof MethodArgumentTypeMismatchException mismatch ? mismatch.getName()
                : ex.getPropertyName();
        Class<?> type = ex.getRequiredType();
        String expected = type == java.time.Instant.class ? "an ISO-8601 UTC instant such as 2026-02-01T00:00:00Z"
                : type == int.class || type == Integer.class ? "a whole number"
                : "a value of type " + (type == null ? "?" : type.getSimpleName());
        ProblemDetail problem = problems.problem(HttpStatus.BAD_REQUEST, "invalid-request", "Invalid request",
                "'" + name + "' must be " + expected + ".");
        return createResponseEntity(problem, headers, HttpStatus.BAD_REQUEST, request);
    }

    @Override
    protected ResponseEntity<Object> createResponseEntity(Object body, HttpHeaders headers, HttpStatusCode statusCode,
                                                          WebRequest request) {
        if (body instanceof ProblemDetail problem
                && (problem.getType() == null || "about:blank".equals(problem.getType().toString()))) {
            return super.createResponseEntity(problems.problem(HttpStatus.valueOf(statusCode.value()),
                    "http-" + statusCode.value(), problem.getTitle(), problem.getDetail()), headers, statusCode, request);
        }
        return super.createResponseEntity(body, headers, statusCode, request);
    }
}
