package dev.keygate.proxy.system;

import org.springframework.http.HttpStatus;

/**
 * A refusal by the proxy itself, as RFC 9457 problem+json that also carries an OpenAI-style {@code error} object,
 * so the official SDKs surface the message instead of a bare status.
 *
 * @param slug the last part of the problem type URI, see {@link ProxyProblems#TYPE_BASE}
 * @param errorType the OpenAI-style {@code error.type}, e.g. {@code invalid_request_error}
 * @param errorCode the OpenAI-style {@code error.code}, e.g. {@code invalid_api_key}
 */
public record ProxyProblem(HttpStatus status, String slug, String title, String detail, String errorType,
                           String errorCode) {
}
