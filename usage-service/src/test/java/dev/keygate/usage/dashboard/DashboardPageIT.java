package dev.keygate.usage.dashboard;

import dev.keygate.usage.LedgerContext;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.http.MediaType;
import org.springframework.test.web.servlet.MockMvc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.forwardedUrl;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.redirectedUrl;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

/** The dashboard's public parts: the page, its sign-in settings, and what the token relay refuses to forward. */
class DashboardPageIT extends LedgerContext {

    @Autowired
    MockMvc mvc;

    @Value("${spring.security.oauth2.resourceserver.jwt.issuer-uri}")
    String issuer;

    @Test
    void servesThePageAndItsSignInSettingsWithoutSignIn() throws Exception {
        mvc.perform(get("/dashboard")).andExpect(status().isFound()).andExpect(redirectedUrl("/dashboard/"));
        mvc.perform(get("/dashboard/")).andExpect(status().isOk()).andExpect(forwardedUrl("/dashboard/index.html"));
        mvc.perform(get("/dashboard/dashboard.js")).andExpect(status().isOk());
        mvc.perform(get("/dashboard/config.json"))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.client_id").value("keygate-frontend"))
                .andExpect(jsonPath("$.authorization_endpoint")
                        .value(issuer + "/protocol/openid-connect/auth"));
    }

    @Test
    void theTokenRelayForwardsOnlyCodeAndRefreshGrantsOfTheDashboardsClient() throws Exception {
        mvc.perform(post("/dashboard/token").contentType(MediaType.APPLICATION_FORM_URLENCODED)
                        .param("grant_type", "password").param("client_id", "keygate-frontend")
                        .param("username", "ana").param("password", "x"))
                .andExpect(status().isBadRequest())
                .andExpect(result -> assertThat(result.getResponse().getContentAsString()).contains("grant_type"));
        mvc.perform(post("/dashboard/token").contentType(MediaType.APPLICATION_FORM_URLENCODED)
                        .param("grant_type", "authorization_code").param("client_id", "keygate-admin-service")
                        .param("code", "c"))
                .andExpect(status().isBadRequest())
                .andExpect(result -> assertThat(result.getResponse().getContentType())
                        .startsWith("application/problem+json"))
                .andExpect(result -> assertThat(result.getResponse().getContentAsString()).contains("keygate-frontend"));
    }
}
