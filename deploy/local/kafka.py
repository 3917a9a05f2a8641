"""A single-node Apache Kafka broker (KRaft combined mode) run from jars resolved by Maven.

No Kafka distribution and no container engine are needed: `deploy/kafka/pom.xml` pins the broker
and `mvn dependency:copy-dependencies` puts its classpath into a cache directory once.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import shutil
import signal
import subprocess
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from deploy.local import ServerError, ServerProcess, ensure_port_free, port_accepts, progress

KAFKA_VERSION = "4.1.1"
REPO_ROOT = Path(__file__).resolve().parents[2]
POM = REPO_ROOT / "deploy" / "kafka" / "pom.xml"
DEFAULT_CACHE_DIR = REPO_ROOT / ".cache" / f"kafka-{KAFKA_VERSION}"

JVM_OPTIONS = (
    "-Xms256m",
    "-Xmx768m",
    "-XX:+UseG1GC",
    "-XX:MaxGCPauseMillis=20",
    "-XX:+ExitOnOutOfMemoryError",
    "-Djava.awt.headless=true",
    # log4j2's own shutdown hook would stop logging before the broker's shutdown hook has run,
    # losing the shutdown lines; the console appender flushes every line, so nothing is lost.
    "-Dlog4j2.shutdownHookEnabled=false",
)

# Kafka 4.x logs through log4j2; without a configuration it would only print errors.
LOG4J2_PROPERTIES = """\
status = warn
appender.stdout.type = Console
appender.stdout.name = STDOUT
appender.stdout.layout.type = PatternLayout
appender.stdout.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.stdout.ref = STDOUT
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.authorizer.name = kafka.authorizer.logger
logger.authorizer.level = WARN
"""

# Regional centres connect to the REGIONAL listener with SCRAM-SHA-512 credentials of their own and
# see only what ACLs grant them (`deploy/local/regional_access.py`). The services, the broker itself
# and the controller use the PLAINTEXT listeners, which bind to the loopback interface only: what
# connects there is trusted as the ANONYMOUS principal, a super user. The network is the boundary
# for the system's own parts, credentials and ACLs are the boundary for the outside systems.
REGIONAL_ACCESS: dict[str, str | int] = {
    "listener.name.regional.sasl.enabled.mechanisms": "SCRAM-SHA-512",
    "listener.name.regional.scram-sha-512.sasl.jaas.config": (
        "org.apache.kafka.common.security.scram.ScramLoginModule required;"
    ),
    # A session must re-authenticate hourly, so revoked credentials stop working on open
    # connections too (revoked ACLs already do at once).
    "listener.name.regional.connections.max.reauth.ms": 3_600_000,
    "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
    "super.users": "User:ANONYMOUS",
    "allow.everyone.if.no.acl.found": "false",
}


class KafkaServer:
    """One Kafka process acting as both broker and KRaft controller, data kept in `state_dir`."""

    def __init__(
        self,
        state_dir: Path,
        port: int = 9092,
        controller_port: int = 9093,
        regional_port: int = 9094,
        cache_dir: Path = DEFAULT_CACHE_DIR,
    ) -> None:
        self.state_dir = state_dir
        self.port = port
        self.controller_port = controller_port
        self.regional_port = regional_port
        self.cache_dir = cache_dir
        self._process = ServerProcess("kafka", state_dir / "kafka.log")

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def regional_bootstrap_servers(self) -> str:
        """The SCRAM listener regional centres connect to with their own credentials."""
        return f"127.0.0.1:{self.regional_port}"

    @property
    def running(self) -> bool:
        return self._process.running

    @property
    def _lib_dir(self) -> Path:
        return self.cache_dir / "lib"

    @property
    def _config_path(self) -> Path:
        return self.state_dir / "server.properties"

    def install(self) -> None:
        """Resolve the broker's jars into `cache_dir/lib` unless the current pom is installed."""
        marker = self.cache_dir / "installed.sha256"
        digest = hashlib.sha256(POM.read_bytes()).hexdigest()
        if marker.is_file() and marker.read_text() == digest:
            return
        for tool in ("java", "mvn"):
            if shutil.which(tool) is None:
                raise ServerError(f"`{tool}` not found: Kafka needs a JDK 17+ and Maven on PATH")
        progress(f"downloading Kafka {KAFKA_VERSION} jars into {self._lib_dir} (once) ...")
        shutil.rmtree(self._lib_dir, ignore_errors=True)
        _run_checked(
            [
                "mvn",
                "-q",
                "-B",
                "-Dstyle.color=never",
                "-f",
                str(POM),
                "dependency:copy-dependencies",
                f"-DoutputDirectory={self._lib_dir}",
            ],
            "resolving Kafka with Maven",
        )
        marker.write_text(digest)

    def start(self, timeout: float = 60) -> None:
        """Start the broker (formatting storage on first use) and wait until it serves requests."""
        if self.running:
            return
        self.install()
        ensure_port_free(self.port, "kafka")
        ensure_port_free(self.controller_port, "the kafka controller")
        ensure_port_free(self.regional_port, "kafka's regional listener")
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self._write_config()
        if not (self.state_dir / "data" / "meta.properties").exists():
            self._format_storage()
        progress(f"starting kafka on {self.bootstrap_servers} ...")
        started = time.monotonic()
        self._process.launch(
            [*self._java(), "kafka.Kafka", str(self._config_path)], cwd=self.state_dir
        )
        deadline = started + timeout
        self._process.wait_until(lambda: port_accepts(self.port), deadline, "its listener")
        self._process.wait_until(self._answers_metadata, deadline, "a metadata response")
        progress(f"kafka ready in {time.monotonic() - started:.1f}s")

    def stop(self, timeout: float = 30) -> None:
        """Shut down cleanly (SIGTERM); SIGKILL after `timeout`. No-op when not running."""
        self._process.stop(signal.SIGTERM, timeout)

    def kill(self) -> None:
        """SIGKILL the broker, as a crash would; the next `start()` recovers the same data."""
        self._process.kill()

    def restart(self) -> None:
        self.stop()
        self.start()

    def _java(self) -> list[str]:
        return [
            "java",
            *JVM_OPTIONS,
            f"-Dlog4j2.configurationFile={self.state_dir / 'log4j2.properties'}",
            "-cp",
            f"{self._lib_dir}/*",
        ]

    def _write_config(self) -> None:
        """(Re)write the configuration each start, so changed ports apply to existing data."""
        self._config_path.write_text(
            "".join(f"{key}={value}\n" for key, value in self._settings().items())
        )
        (self.state_dir / "log4j2.properties").write_text(LOG4J2_PROPERTIES)

    def _settings(self) -> dict[str, str | int]:
        controller = f"127.0.0.1:{self.controller_port}"
        return {
            "process.roles": "broker,controller",
            "node.id": 1,
            # A static voter set: unlike a dynamic quorum (`format --standalone`) it does not
            # record the controller's address in the data, so the ports may change between runs.
            "controller.quorum.voters": f"1@{controller}",
            "controller.listener.names": "CONTROLLER",
            "listeners": f"PLAINTEXT://{self.bootstrap_servers},"
            f"REGIONAL://{self.regional_bootstrap_servers},CONTROLLER://{controller}",
            "advertised.listeners": f"PLAINTEXT://{self.bootstrap_servers},"
            f"REGIONAL://{self.regional_bootstrap_servers}",
            "listener.security.protocol.map": (
                "PLAINTEXT:PLAINTEXT,REGIONAL:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT"
            ),
            "inter.broker.listener.name": "PLAINTEXT",
            **REGIONAL_ACCESS,
            "log.dirs": str(self.state_dir / "data"),
            "num.partitions": 3,
            "auto.create.topics.enable": "false",
            "offsets.topic.replication.factor": 1,
            "transaction.state.log.replication.factor": 1,
            "transaction.state.log.min.isr": 1,
            "share.coordinator.state.topic.replication.factor": 1,
            "share.coordinator.state.topic.min.isr": 1,
            "min.insync.replicas": 1,
            "group.initial.rebalance.delay.ms": 0,
            # After a kill the old registration blocks the restarted broker until its session
            # expires (default 9 s); heartbeats stay in-process, so a short session is safe.
            "broker.session.timeout.ms": 3000,
            "broker.heartbeat.interval.ms": 500,
        }

    def _format_storage(self) -> None:
        """Format the log directory once, under a cluster id kept in `state_dir`."""
        _run_checked(
            [
                *self._java(),
                "kafka.tools.StorageTool",
                "format",
                # One argument: an id that starts with "-" would otherwise be read as an option.
                f"--cluster-id={self._cluster_id()}",
                "--config",
                str(self._config_path),
            ],
            "formatting kafka storage",
        )

    def _cluster_id(self) -> str:
        path = self.state_dir / "cluster.id"
        if not path.exists():
            # Kafka's own format: 16 random bytes, URL-safe base64 without padding.
            path.write_text(base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("="))
        return path.read_text().strip()

    def _answers_metadata(self) -> bool:
        """Whether the broker answers a Kafka metadata request listing itself.

        Runs on a fresh event loop in a worker thread, so it also works when `start()` is
        called from async code (a chaos test restarting the broker) where a loop is running.
        """
        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(asyncio.run, _describe_cluster(self.bootstrap_servers)).result()


async def _describe_cluster(bootstrap_servers: str) -> bool:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=5000)
    try:
        await admin.start()
        cluster = await admin.describe_cluster()
    except KafkaError:
        return False
    finally:
        await admin.close()
    return bool(cluster["brokers"])


def _run_checked(argv: list[str], what: str) -> None:
    result = subprocess.run(argv, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip()[-4000:]
        raise ServerError(f"{what} failed (exit {result.returncode}):\n{output}")
