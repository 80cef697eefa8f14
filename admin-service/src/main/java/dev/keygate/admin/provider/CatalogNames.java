package dev.keygate.admin.provider;

import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/** The naming rules shared by models.yaml and the API, so a predefined entry could always have been created by hand. */
final class CatalogNames {

    static final String PROVIDER_NAME_RULE = "a provider name is 1-64 lower-case letters, digits or '-', starting"
            + " with a letter or digit, like 'my-vllm'";
    static final String MODEL_NAME_RULE = "a model name is 1-200 letters, digits or . _ : / @ + -, starting with a"
            + " letter or digit, like 'gpt-4o-mini' or 'openclaw:main'";

    private static final Pattern PROVIDER = Pattern.compile("[a-z0-9][a-z0-9-]{0,63}");
    private static final Pattern UUID_SHAPED = Pattern.compile(
            "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
    // Path segments of the API itself: a provider with such a name could not be addressed by name.
    private static final Set<String> RESERVED = Set.of("models", "with-keys");
    private static final Pattern MODEL = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,199}");
    private static final Pattern HEADER = Pattern.compile("[A-Za-z0-9][A-Za-z0-9-]{0,63}");
    private static final Pattern QUERY = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}");
    // Headers that carry the HTTP exchange itself; a key placed in one would break or smuggle requests.
    private static final Set<String> FRAMING_HEADERS = Set.of("host", "content-length", "transfer-encoding",
            "connection", "upgrade", "te", "trailer", "cookie");
    private static final int DISPLAY_NAME_MAX = 200;

    private CatalogNames() {
    }

    static boolean isProviderName(String name) {
        return name != null && PROVIDER.matcher(name).matches() && !UUID_SHAPED.matcher(name).matches()
                && !RESERVED.contains(name);
    }

    static boolean isModelName(String name) {
        return name != null && MODEL.matcher(name).matches();
    }

    /** A display name fit to show, or {@code null} when it is too long or holds control characters. */
    static String displayName(String text) {
        if (text == null) {
            return null;
        }
        String stripped = text.strip();
        if (stripped.isEmpty() || stripped.length() > DISPLAY_NAME_MAX
                || stripped.chars().anyMatch(Character::isISOControl)) {
            return null;
        }
        return stripped;
    }

    /**
     * The header or query parameter a scheme puts the key in: required for {@code header}, {@code key} by default for
     * {@code query-param}, and absent for the schemes whose place is fixed.
     *
     * @throws IllegalArgumentException naming what to change
     */
    static String authParam(AuthScheme scheme, String param) {
        return switch (scheme) {
            case HEADER -> {
                if (param == null || !HEADER.matcher(param).matches()
                        || FRAMING_HEADERS.contains(param.toLowerCase(Locale.ROOT))) {
                    throw new IllegalArgumentException("auth_scheme 'header' needs auth_param naming the header,"
                            + " like 'X-Subscription-Token'");
                }
                yield param;
            }
            case QUERY_PARAM -> {
                String name = param == null ? "key" : param;
                if (!QUERY.matcher(name).matches()) {
                    throw new IllegalArgumentException("auth_param must be a query parameter name, like 'key'");
                }
                yield name;
            }
            default -> {
                if (param != null) {
                    throw new IllegalArgumentException("auth_param is only for auth_scheme 'header' or 'query-param'");
                }
                yield null;
            }
        };
    }
}
