package dev.keygate.keyvault.system;

import dev.keygate.keyvault.envelope.SecretUnavailableException;
import dev.keygate.keyvault.rotation.RotationIncompleteException;
import dev.keygate.keyvault.storedkey.KeyNotConfiguredException;
import dev.keygate.keyvault.storedkey.SecretNotFoundException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;

/** Turns every failure into problem+json. Details name the fix and never carry key material or request bodies. */
@RestControllerAdvice
class ProblemDetailsAdvice extends ResponseEntityExceptionHandler {

    private final ProblemResponses problems;

    ProblemDetailsAdvice(ProblemResponses problems) {
        this.problems = problems;
    }

    @ExceptionHandler(KeyNotConfiguredException.class)
    ProblemDetail keyNotConfigured(KeyNotConfiguredException ex) {
        return ex.allRejected()
                ? problems.problem(HttpStatus.NOT_FOUND, "no-usable-key", "Every stored key was rejected", ex.getMessage())
                : problems.problem(HttpStatus.NOT_FOUND, "no-key-configured", "API key not configured", ex.getMessage());
    }

    @ExceptionHandler(SecretNotFoundException.class)
    ProblemDetail secretNotFound(SecretNotFoundException ex) {
        return problems.problem(HttpStatus.NOT_FOUND, "secret-not-found", "Stored key not found", ex.getMessage());
    }

    @ExceptionHandler(RotationIncompleteException.class)
    ProblemDetail rotationIncomplete(RotationIncompleteException ex) {
        return problems.problem(HttpStatus.CONFLICT, "rotation-incomplete", "Master key still in use", ex.getMessage());
    }

    @ExceptionHandler(SecretUnavailableException.class)
    ProblemDetail secretUnavailable(SecretUnavailableException ex) {
        return problems.problem(HttpStatus.SERVICE_UNAVAILABLE, "secret-unavailable", "Stored key cannot be opened",
                "The stored key cannot be decrypted with the configured master keys; store it again or restore "
                        + "the retired master key version.");
    }

    @ExceptionHandler(IllegalArgumentException.class)
    ProblemDetail invalidInput(IllegalArgumentException ex) {
        return problems.problem(HttpStatus.BAD_REQUEST, "invalid-request", "Invalid request", ex.getMessage());
    }

    @Override
    protected ResponseEntity<Object> handleHttpMessageNotReadable(HttpMessageNotReadableException ex,
            HttpHeaders headers, HttpStatusCode status, WebRequest request) {
        return ResponseEntity.badRequest().body(problems.problem(HttpStatus.BAD_REQUEST, "unreadable-body",
                "Unreadable request body", "Send a JSON object such as {\"key\": \"...\"}."));
    }

    @Override
    protected ResponseEntity<Object> createResponseEntity(Object body, HttpHeaders headers, HttpStatusCode statusCode,
                                                          WebRequest request) {
        if (body instanceof ProblemDetail problem
                && (problem.getType() == null || problem.getType().toString().equals("about:blank"))) {
            ProblemDetail typed = problems.problem(HttpStatus.valueOf(statusCode.value()), "http-" + statusCode.value(),
                    problem.getTitle(), problem.getDetail());
            return super.createResponseEntity(typed, headers, statusCode, request);
        }
        return super.createResponseEntity(body, headers, statusCode, request);
    }
}
