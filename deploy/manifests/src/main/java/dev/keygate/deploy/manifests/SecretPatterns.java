package dev.keygate.deploy.manifests;

import java.util.regex.Pattern;

/** What a plaintext secret looks like in a manifest: by the name of the setting, or by the value itself. */
final class SecretPatterns {

    private static final Pattern SECRET_NAME = Pattern.compile(
            "(?i).*(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIAL|MASTER_?KEYS?$).*");
    private static final Pattern SECRET_VALUE = Pattern.compile(
            "(?s).*(-----BEGIN [A-Z ]*PRIVATE KEY-----|\\b(sk|px|pk|rk|xai|sk-ant)[-_][A-Za-z0-9_-]{16,}"
                    + "|\\bAKIA[0-9A-Z]{16}\\b|\\bgh[pousr]_[A-Za-z0-9]{30,}|\\beyJ[A-Za-z0-9_-]{10,}\\.[A-Za-z0-9_-]{10,}"
                    + "|\\b\\d+=[A-Za-z0-9+/]{42,}={0,2}).*");
    private static final Pattern OPAQUE_TOKEN = Pattern.compile("[A-Za-z0-9+/_=-]{32,}");

    private SecretPatterns() {
    }

    /** A setting whose value must never be written in a manifest, only referenced. */
    public static boolean isSecretName(String name) {
        return SECRET_NAME.matcher(name).matches();
    }

    /** A line of any file that contains key material, a known key format, or a token that looks random. */
    public static boolean lineContainsSecret(String line) {
        if (SECRET_VALUE.matcher(line).matches()) {
            return true;
        }
        for (String token : line.split("[\\s=:\"',()\\[\\]{}]+")) {
            if (looksLikeSecret(token)) {
                return true;
            }
        }
        return false;
    }

    /** A value that looks like key material, a provider or proxy key, a JWT or a long random token. */
    public static boolean looksLikeSecret(String value) {
        if (value == null) {
            return false;
        }
        if (SECRET_VALUE.matcher(value).matches()) {
            return true;
        }
        // A path or JSON pointer (/spec/template/...) is long and mixed-case too, but starts with a slash.
        return OPAQUE_TOKEN.matcher(value).matches() && !value.startsWith("/") && value.chars().anyMatch(Character::isDigit)
                && value.chars().anyMatch(Character::isUpperCase) && value.chars().anyMatch(Character::isLowerCase);
    }
}
