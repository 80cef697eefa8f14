package dev.keygate.keyvault;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/** The only service that ever decrypts a provider key. Reachable over mutual TLS only. */
@SpringBootApplication
@ConfigurationPropertiesScan
public class KeyvaultApplication {

    public static void main(String[] args) {
        SpringApplication.run(KeyvaultApplication.class, args);
    }
}
