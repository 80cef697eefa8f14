package dev.keygate.usage;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/** Consumes usage events into an exact, idempotent ledger and reports usage per tenant. */
@SpringBootApplication
@ConfigurationPropertiesScan
public class UsageApplication {

    public static void main(String[] args) {
        SpringApplication.run(UsageApplication.class, args);
    }
}
