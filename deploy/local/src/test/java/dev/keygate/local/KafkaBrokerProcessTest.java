package dev.keygate.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;

import org.apache.kafka.common.Uuid;
import org.junit.jupiter.api.Test;

class KafkaBrokerProcessTest {

    @Test
    void runsOneCombinedNodeOnLoopbackWithSingleReplicaInternalTopics() {
        Map<String, String> properties = KafkaBrokerProcess.serverProperties(Path.of("/stack/kafka/data"), 19092, 19093);

        assertThat(properties)
                .containsEntry("process.roles", "broker,controller")
                .containsEntry("node.id", "1")
                .containsEntry("controller.quorum.voters", "1@127.0.0.1:19093")
                .containsEntry("listeners", "PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093")
                .containsEntry("advertised.listeners", "PLAINTEXT://127.0.0.1:19092")
                .containsEntry("log.dirs", "/stack/kafka/data")
                .containsEntry("auto.create.topics.enable", "false")
                .containsEntry("offsets.topic.replication.factor", "1")
                .containsEntry("transaction.state.log.replication.factor", "1")
                .containsEntry("transaction.state.log.min.isr", "1")
                .containsEntry("share.coordinator.state.topic.replication.factor", "1");
    }

    @Test
    void usesAValidFixedClusterId() {
        assertThat(Uuid.fromString(KafkaBrokerProcess.CLUSTER_ID).toString()).isEqualTo(KafkaBrokerProcess.CLUSTER_ID);
    }
}
