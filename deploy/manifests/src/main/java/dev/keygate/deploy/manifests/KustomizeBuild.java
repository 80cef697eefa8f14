package dev.keygate.deploy.manifests;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Renders a Kustomize directory the way {@code kustomize build} does for the subset Keygate uses: {@code resources}
 * (files and directories with their own kustomization), {@code namespace}, {@code images} and {@code patches} whose
 * file is a JSON 6902 patch with a kind/name target. Any other Kustomize field is refused rather than ignored, so the
 * rendering checked here is the rendering a cluster gets.
 */
final class KustomizeBuild {

    record Kustomization(String apiVersion, String kind, String namespace, List<String> resources,
                         List<Image> images, List<Patch> patches) {
    }

    record Image(String name, String newName, String newTag, String digest) {
    }

    record Patch(String path, Target target) {
    }

    record Target(String group, String version, String kind, String name) {
    }

    private KustomizeBuild() {
    }

    /** The resources {@code directory}'s kustomization.yaml renders to, in order. */
    public static List<ObjectNode> render(Path directory) {
        Path file = directory.resolve("kustomization.yaml");
        if (!Files.isRegularFile(file)) {
            throw new ManifestException(directory + " has no kustomization.yaml");
        }
        Kustomization kustomization = Yaml.read(file, Kustomization.class);
        if (kustomization.kind() != null && !kustomization.kind().equals("Kustomization")) {
            throw new ManifestException(file + ": kind is " + kustomization.kind());
        }
        List<ObjectNode> resources = new ArrayList<>();
        for (String resource : nonNull(kustomization.resources())) {
            Path path = directory.resolve(resource).normalize();
            if (Files.isDirectory(path)) {
                resources.addAll(render(path));
            }
            else if (Files.isRegularFile(path)) {
                resources.addAll(Yaml.documents(path));
            }
            else {
                throw new ManifestException(file + ": resource " + resource + " does not exist");
            }
        }
        for (Patch patch : nonNull(kustomization.patches())) {
            applyPatch(directory, file, patch, resources);
        }
        for (Image image : nonNull(kustomization.images())) {
            applyImage(file, image, resources);
        }
        if (kustomization.namespace() != null) {
            resources.forEach(resource -> ((ObjectNode) resource.with("metadata"))
                    .put("namespace", kustomization.namespace()));
        }
        return resources;
    }

    private static void applyPatch(Path directory, Path file, Patch patch, List<ObjectNode> resources) {
        if (patch.path() == null || patch.target() == null || patch.target().kind() == null
                || patch.target().name() == null) {
            throw new ManifestException(file + ": only patches with a path and a kind/name target are supported");
        }
        Path patchFile = directory.resolve(patch.path()).normalize();
        JsonNode tree = Yaml.tree(patchFile);
        if (!tree.isArray()) {
            throw new ManifestException(patchFile + ": only JSON 6902 patches (a list of operations) are supported");
        }
        List<JsonPatch.Operation> operations;
        try {
            operations = Yaml.MAPPER.convertValue(tree, new TypeReference<List<JsonPatch.Operation>>() { });
        }
        catch (IllegalArgumentException ex) {
            throw new ManifestException(patchFile + ": " + ex.getMessage());
        }
        int matched = 0;
        for (ObjectNode resource : resources) {
            if (patch.target().kind().equals(resource.path("kind").asText())
                    && patch.target().name().equals(resource.path("metadata").path("name").asText())) {
                JsonPatch.apply(operations, resource, patchFile.toString());
                matched++;
            }
        }
        if (matched == 0) {
            throw new ManifestException(file + ": patch " + patch.path() + " matches no " + patch.target().kind()
                    + " named " + patch.target().name());
        }
    }

    private static void applyImage(Path file, Image image, List<ObjectNode> resources) {
        boolean matched = false;
        for (ObjectNode resource : resources) {
            for (JsonNode container : resource.at("/spec/template/spec/containers")) {
                String current = container.path("image").asText();
                String name = current.contains(":") ? current.substring(0, current.lastIndexOf(':')) : current;
                if (!name.equals(image.name())) {
                    continue;
                }
                String newName = image.newName() != null ? image.newName() : name;
                String tag = current.contains(":") ? current.substring(current.lastIndexOf(':') + 1) : null;
                String reference = image.digest() != null ? newName + "@" + image.digest()
                        : newName + ":" + (image.newTag() != null ? image.newTag() : tag);
                ((ObjectNode) container).put("image", reference);
                matched = true;
            }
        }
        if (!matched) {
            throw new ManifestException(file + ": image " + image.name() + " is used by no container");
        }
    }

    private static <T> List<T> nonNull(List<T> list) {
        return list == null ? List.of() : list;
    }
}
