package dev.keygate.deploy.manifests;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/** Reads YAML files as Jackson trees, refusing duplicate keys, and binds them to strict records. */
final class Yaml {

    static final YAMLMapper MAPPER = YAMLMapper.builder(YAMLFactory.builder().build())
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .build();

    private Yaml() {
    }

    /** Every non-empty document of a (possibly multi-document) YAML file; each must be a mapping. */
    static List<ObjectNode> documents(Path file) {
        try {
            List<ObjectNode> documents = new ArrayList<>();
            try (MappingIterator<JsonNode> it = MAPPER.readerFor(JsonNode.class).readValues(Files.readString(file))) {
                while (it.hasNext()) {
                    JsonNode node = it.next();
                    if (node == null || node.isNull() || node.isMissingNode()) {
                        continue;
                    }
                    if (!node.isObject()) {
                        throw new ManifestException(file + ": a document is not a mapping");
                    }
                    documents.add((ObjectNode) node);
                }
            }
            return documents;
        }
        catch (NoSuchFileException ex) {
            throw new ManifestException(file + " does not exist");
        }
        catch (IOException ex) {
            throw new ManifestException(file + ": " + ex.getMessage());
        }
    }

    /** The single document of {@code file}. */
    static JsonNode tree(Path file) {
        try {
            return MAPPER.readTree(Files.readString(file));
        }
        catch (NoSuchFileException ex) {
            throw new ManifestException(file + " does not exist");
        }
        catch (IOException ex) {
            throw new ManifestException(file + ": " + ex.getMessage());
        }
    }

    /** {@code file} bound to {@code type}; an unknown field is an error. */
    static <T> T read(Path file, Class<T> type) {
        try {
            return MAPPER.treeToValue(tree(file), type);
        }
        catch (IOException ex) {
            throw new ManifestException(file + ": " + ex.getMessage());
        }
    }

    /**
     * A docker-compose file as a tree, with anchors, aliases and merge keys ({@code <<: *defaults}) resolved as
     * compose resolves them (Jackson's YAML parser leaves an alias as its anchor's name). Duplicate keys are refused.
     */
    static JsonNode composeTree(Path file) {
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(false);
        try {
            Object loaded = new org.yaml.snakeyaml.Yaml(new SafeConstructor(options)).load(text(file));
            return MAPPER.valueToTree(loaded);
        }
        catch (RuntimeException ex) {
            throw new ManifestException(file + ": " + ex.getMessage());
        }
    }

    static String text(Path file) {
        try {
            return Files.readString(file);
        }
        catch (NoSuchFileException ex) {
            throw new ManifestException(file + " does not exist");
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }
}
