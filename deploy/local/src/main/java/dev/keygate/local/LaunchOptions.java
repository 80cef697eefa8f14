package dev.keygate.local;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The launcher's command line.
 *
 * @param demo whether the fake LLM provider runs and the proxy points at it (default on; {@code --no-demo} or
 *             {@code KEYGATE_DEMO=false} turn it off, and the proxy then uses the real providers)
 * @param without services not to start, e.g. one a developer runs from the IDE against the stack
 */
record LaunchOptions(boolean demo, Set<KeygateService> without, boolean help) {

    static final String USAGE = """
            Usage: deploy/local/start.sh [--rebuild | --no-build] [--no-demo] [--without <service>[,<service>...]]

              --rebuild      build the whole project first (./mvnw -B -q install -DskipTests), even if built
              --no-build     never build; fail if a jar is missing
              --no-demo      no fake LLM provider; the proxy calls https://api.openai.com and
                             https://api.anthropic.com (also: KEYGATE_DEMO=false)
              --without S    do not start service S (keyvault, admin, usage or proxy), e.g. to run it from the IDE
              -h, --help     this text

            Data, secrets and logs live in <repository>/.keygate. Ctrl-C stops everything.""";

    LaunchOptions {
        without = Collections.unmodifiableSet(without.isEmpty()
                ? EnumSet.noneOf(KeygateService.class) : EnumSet.copyOf(without));
    }

    /** Parses {@code args}; {@code KEYGATE_DEMO} in {@code environment} sets the default of demo mode. */
    static LaunchOptions parse(String[] args, Map<String, String> environment) {
        boolean demo = !isFalse(environment.get("KEYGATE_DEMO"));
        Set<KeygateService> without = EnumSet.noneOf(KeygateService.class);
        boolean help = false;
        List<String> arguments = new ArrayList<>(List.of(args));
        for (int i = 0; i < arguments.size(); i++) {
            String argument = arguments.get(i);
            if (argument.equals("--no-demo")) {
                demo = false;
            } else if (argument.equals("--demo")) {
                demo = true;
            } else if (argument.equals("-h") || argument.equals("--help")) {
                help = true;
            } else if (argument.equals("--without") || argument.startsWith("--without=")) {
                String value;
                if (argument.startsWith("--without=")) {
                    value = argument.substring("--without=".length());
                } else if (i + 1 < arguments.size()) {
                    value = arguments.get(++i);
                } else {
                    throw new IllegalArgumentException("--without needs a service name");
                }
                for (String name : value.split(",")) {
                    if (!name.isBlank()) {
                        without.add(KeygateService.named(name));
                    }
                }
            } else {
                throw new IllegalArgumentException("Unknown option: " + argument);
            }
        }
        return new LaunchOptions(demo, without, help);
    }

    /** The services to start, in start order. */
    Set<KeygateService> services() {
        Set<KeygateService> services = EnumSet.allOf(KeygateService.class);
        services.removeAll(without);
        return services;
    }

    private static boolean isFalse(String value) {
        return value != null && Set.of("false", "0", "no", "off").contains(value.strip().toLowerCase(Locale.ROOT));
    }
}
