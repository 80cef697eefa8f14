package dev.keygate.proxy.compat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;
import tools.jackson.databind.node.StringNode;

/**
 * The allow-list of seed 003's analytics queries, checked once at start: every template is JSON and uses only
 * declared parameters, every parameter is constrained. Rendering replaces {@code {{name}}} placeholders inside
 * JSON strings of a copy of the template, so a value is always string content and cannot add fields or messages.
 */
final class QueryTemplates {

    private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{([A-Za-z0-9_]+)}}");
    private static final int MAX_VALUE_LENGTH = 200;

    private final Map<String, Compiled> queries = new LinkedHashMap<>();

    QueryTemplates(Map<String, CompatProperties.QueryTemplate> templates, JsonMapper json) {
        templates.forEach((type, template) -> queries.put(type, compile(type, template, json)));
    }

    /** The allowed query types, sorted. */
    List<String> types() {
        return List.copyOf(new TreeSet<>(queries.keySet()));
    }

    Optional<Compiled> find(String queryType) {
        return Optional.ofNullable(queries.get(queryType));
    }

    private static Compiled compile(String type, CompatProperties.QueryTemplate template, JsonMapper json) {
        JsonNode body;
        try {
            body = json.readTree(template.template());
        }
        catch (JacksonException ex) {
            throw new IllegalStateException("keygate.proxy.compat.queries." + type + ".template is not JSON", ex);
        }
        if (!body.isObject()) {
            throw new IllegalStateException("keygate.proxy.compat.queries." + type + ".template must be a JSON object");
        }
        Map<String, Pattern> patterns = new LinkedHashMap<>();
        template.parameters().forEach((name, parameter) -> {
            if (parameter.allowed().isEmpty() && (parameter.pattern() == null || parameter.pattern().isBlank())) {
                throw new IllegalStateException("keygate.proxy.compat.queries." + type + ".parameters." + name
                        + " needs 'allowed' values or a 'pattern'");
            }
            patterns.put(name, parameter.pattern() == null ? null : Pattern.compile(parameter.pattern()));
        });
        List<String> used = new ArrayList<>();
        collectPlaceholders(body, used);
        for (String name : used) {
            if (!template.parameters().containsKey(name)) {
                throw new IllegalStateException("keygate.proxy.compat.queries." + type + ".template uses {{" + name
                        + "}}, which is not among its parameters");
            }
        }
        return new Compiled(type, template, (ObjectNode) body, patterns);
    }

    private static void collectPlaceholders(JsonNode node, List<String> into) {
        if (node.isString()) {
            Matcher matcher = PLACEHOLDER.matcher(node.asString());
            while (matcher.find()) {
                into.add(matcher.group(1));
            }
        }
        else if (node.isContainer()) {
            node.forEach(child -> collectPlaceholders(child, into));
            if (node.isObject()) {
                node.propertyNames().forEach(name -> {
                    if (PLACEHOLDER.matcher(name).find()) {
                        throw new IllegalStateException("placeholders are only allowed in string values, not in "
                                + "field names ('" + name + "')");
                    }
                });
            }
        }
    }

    /** A checked allow-list entry. */
    record Compiled(String type, CompatProperties.QueryTemplate template, ObjectNode body,
                    Map<String, Pattern> patterns) {

        /**
         * The provider request for these caller-supplied parameters.
         *
         * @throws InvalidParametersException naming what is wrong, never echoing more than the parameter's name
         */
        ObjectNode render(Map<String, String> supplied) {
            List<String> problems = new ArrayList<>();
            for (String name : new TreeSet<>(supplied.keySet())) {
                if (!template.parameters().containsKey(name)) {
                    problems.add("'" + name + "' is not a parameter of " + type);
                }
            }
            Map<String, String> values = new LinkedHashMap<>();
            template.parameters().forEach((name, parameter) -> {
                String value = supplied.getOrDefault(name, parameter.defaultValue());
                if (value == null) {
                    problems.add("'" + name + "' is required");
                }
                else if (!valid(name, parameter, value)) {
                    problems.add("'" + name + "' must be " + (parameter.allowed().isEmpty()
                            ? "at most " + MAX_VALUE_LENGTH + " characters matching " + parameter.pattern()
                            : "one of " + parameter.allowed()));
                }
                else {
                    values.put(name, value);
                }
            });
            if (!problems.isEmpty()) {
                throw new InvalidParametersException(String.join("; ", problems) + ".");
            }
            return (ObjectNode) substitute(body.deepCopy(), values);
        }

        private boolean valid(String name, CompatProperties.Parameter parameter, String value) {
            if (parameter.allowed().contains(value)) {
                return true;
            }
            Pattern pattern = patterns.get(name);
            return pattern != null && value.length() <= MAX_VALUE_LENGTH && pattern.matcher(value).matches();
        }

        private static JsonNode substitute(JsonNode node, Map<String, String> values) {
            if (node.isString()) {
                Matcher matcher = PLACEHOLDER.matcher(node.asString());
                StringBuilder out = new StringBuilder();
                while (matcher.find()) {
                    matcher.appendReplacement(out, Matcher.quoteReplacement(values.get(matcher.group(1))));
                }
                matcher.appendTail(out);
                return StringNode.valueOf(out.toString());
            }
            if (node instanceof ObjectNode object) {
                for (String name : new ArrayList<>(object.propertyNames())) {
                    object.set(name, substitute(object.get(name), values));
                }
            }
            else if (node instanceof ArrayNode array) {
                for (int i = 0; i < array.size(); i++) {
                    array.set(i, substitute(array.get(i), values));
                }
            }
            return node;
        }
    }

    /** The caller's parameters do not fit the query's declaration. */
    static final class InvalidParametersException extends RuntimeException {

        InvalidParametersException(String message) {
            super(message, null, false, false);
        }
    }
}
