"""Kafka's storage is formatted whatever its random cluster id looks like: one in 64 of them
starts with "-", which a command line reading it as a separate argument takes for an option."""

from __future__ import annotations

from pathlib import Path

from deploy.local.kafka import KafkaServer
from tests.system import free_port


def test_the_broker_starts_with_a_cluster_id_that_looks_like_an_option(tmp_path: Path) -> None:
    (tmp_path / "cluster.id").write_text("-Ab3dEf9hIjKlMnOpQrStU\n")
    server = KafkaServer(tmp_path, free_port(), free_port(), free_port())

    server.start()
    try:
        started = server.running
    finally:
        server.stop()

    assert started
    assert any(tmp_path.rglob("meta.properties"))  # the log directory was formatted
