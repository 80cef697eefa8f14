package dev.keygate.deploy.manifests;

import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** RFC 6902 JSON patches as Kustomize applies them: add, replace, remove and test, on JSON pointers. */
final class JsonPatch {

    /** One operation of a patch file; any other field is refused. */
    record Operation(String op, String path, JsonNode value, String from) {
    }

    private JsonPatch() {
    }

    static void apply(List<Operation> operations, ObjectNode document, String where) {
        for (Operation operation : operations) {
            if (operation.path() == null || !operation.path().startsWith("/")) {
                throw new ManifestException(where + ": patch path '" + operation.path() + "' is not a JSON pointer");
            }
            String parentPath = operation.path().substring(0, operation.path().lastIndexOf('/'));
            String last = unescape(operation.path().substring(operation.path().lastIndexOf('/') + 1));
            JsonNode parent = parentPath.isEmpty() ? document : document.at(parentPath);
            if (parent.isMissingNode()) {
                throw new ManifestException(where + ": " + parentPath + " does not exist");
            }
            switch (String.valueOf(operation.op())) {
                case "test" -> {
                    JsonNode actual = document.at(operation.path());
                    if (!actual.equals(operation.value())) {
                        throw new ManifestException(where + ": test " + operation.path() + " expected "
                                + operation.value() + " but found " + actual);
                    }
                }
                case "replace" -> {
                    if (document.at(operation.path()).isMissingNode()) {
                        throw new ManifestException(where + ": cannot replace missing " + operation.path());
                    }
                    set(parent, last, operation.value(), false, where);
                }
                case "add" -> set(parent, last, operation.value(), true, where);
                case "remove" -> {
                    if (document.at(operation.path()).isMissingNode()) {
                        throw new ManifestException(where + ": cannot remove missing " + operation.path());
                    }
                    if (parent instanceof ObjectNode object) {
                        object.remove(last);
                    }
                    else {
                        ((ArrayNode) parent).remove(Integer.parseInt(last));
                    }
                }
                default -> throw new ManifestException(where + ": unsupported patch op '" + operation.op() + "'");
            }
        }
    }

    private static void set(JsonNode parent, String key, JsonNode value, boolean insert, String where) {
        if (value == null) {
            throw new ManifestException(where + ": patch has no value for " + key);
        }
        if (parent instanceof ObjectNode object) {
            object.set(key, value.deepCopy());
        }
        else if (parent instanceof ArrayNode array) {
            if (insert && key.equals("-")) {
                array.add(value.deepCopy());
            }
            else {
                int index = Integer.parseInt(key);
                if (index < 0 || index > array.size() || (!insert && index == array.size())) {
                    throw new ManifestException(where + ": index " + index + " out of bounds");
                }
                if (insert) {
                    array.insert(index, value.deepCopy());
                }
                else {
                    array.set(index, value.deepCopy());
                }
            }
        }
        else {
            throw new ManifestException(where + ": cannot set " + key + " inside a scalar");
        }
    }

    private static String unescape(String token) {
        return token.replace("~1", "/").replace("~0", "~");
    }
}
