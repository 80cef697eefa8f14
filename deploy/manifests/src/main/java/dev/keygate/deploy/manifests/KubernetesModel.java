package dev.keygate.deploy.manifests;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.AnyType;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;

/**
 * Binds rendered resources to the fabric8 Kubernetes model. fabric8 keeps fields it does not know in
 * {@code additionalProperties} instead of failing, so every bound object is walked and any such field (a misspelt
 * {@code readinesProbe}, a field at the wrong level) is reported: binding here is strict. Kinds fabric8 does not
 * model (cert-manager's Certificate) stay generic.
 */
final class KubernetesModel {

    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
    private static final Set<String> GENERIC_KINDS = Set.of("Certificate");

    private KubernetesModel() {
    }

    /** {@code documents} as typed resources; throws on the first document that does not bind strictly. */
    public static List<HasMetadata> bind(List<ObjectNode> documents) {
        List<HasMetadata> resources = new ArrayList<>();
        for (ObjectNode document : documents) {
            String where = document.path("kind").asText() + "/" + document.path("metadata").path("name").asText();
            HasMetadata resource;
            try {
                resource = SERIALIZATION.unmarshal(document.toString());
            }
            catch (RuntimeException ex) {
                throw new ManifestException(where + ": " + ex.getMessage());
            }
            if (resource instanceof GenericKubernetesResource && !GENERIC_KINDS.contains(resource.getKind())) {
                throw new ManifestException(where + ": kind " + document.path("apiVersion").asText() + " "
                        + resource.getKind() + " is not a known Kubernetes kind");
            }
            List<String> unknown = new ArrayList<>();
            if (!(resource instanceof GenericKubernetesResource)) {
                collectUnknownFields(resource, where, unknown);
            }
            if (!unknown.isEmpty()) {
                throw new ManifestException("unknown fields: " + String.join(", ", unknown));
            }
            resources.add(resource);
        }
        return resources;
    }

    private static void collectUnknownFields(Object value, String path, List<String> unknown) {
        if (value == null) {
            return;
        }
        if (value instanceof Collection<?> collection) {
            int i = 0;
            for (Object element : collection) {
                collectUnknownFields(element, path + "[" + i++ + "]", unknown);
            }
            return;
        }
        if (value instanceof Map<?, ?> map) {
            map.forEach((key, element) -> collectUnknownFields(element, path + "." + key, unknown));
            return;
        }
        if (!value.getClass().getName().startsWith("io.fabric8.kubernetes.api.model")
                || value instanceof IntOrString || value instanceof Quantity || value instanceof AnyType) {
            return;
        }
        for (Method method : value.getClass().getMethods()) {
            if (method.getParameterCount() != 0 || Modifier.isStatic(method.getModifiers())
                    || !method.getName().startsWith("get") || method.getName().equals("getClass")) {
                continue;
            }
            Object child;
            try {
                child = method.invoke(value);
            }
            catch (IllegalAccessException | InvocationTargetException ex) {
                continue;
            }
            if (method.getName().equals("getAdditionalProperties")) {
                if (child instanceof Map<?, ?> extra && !extra.isEmpty()) {
                    unknown.add(path + " " + extra.keySet());
                }
                continue;
            }
            collectUnknownFields(child, path + "." + decapitalize(method.getName().substring(3)), unknown);
        }
    }

    private static String decapitalize(String name) {
        return name.isEmpty() ? name : Character.toLowerCase(name.charAt(0)) + name.substring(1);
    }
}
