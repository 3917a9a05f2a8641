"""kcat, the command-line Kafka client an outside system (a regional centre) might use.

Debian's `kcat` package is installed when missing. Debian 12 links it to librdkafka 2.0.2, whose
SCRAM client repeats the client nonce in its final message; Kafka 4 checks the nonce strictly
(RFC 5802) and refuses the login as "invalid credentials". librdkafka 2.6.1 fixed it, and its C
ABI is stable, so with an older system library kcat runs on the newer librdkafka that the
confluent-kafka wheel ships (found through `LD_LIBRARY_PATH`).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import confluent_kafka

from deploy.local import ServerError, apt_install

REPO_ROOT = Path(__file__).resolve().parents[2]
LIBRARY_DIR = REPO_ROOT / ".cache" / "kcat-librdkafka"
SCRAM_FIXED_IN = (2, 6, 1)  # confluentinc/librdkafka#4895


@dataclass(frozen=True)
class Kcat:
    """How to run kcat here: its path and the environment variables it needs on top."""

    path: str
    environment: dict[str, str] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        return {**os.environ, **self.environment}


def kcat() -> Kcat:
    """kcat, installed with apt-get when missing, on a librdkafka that logs in to Kafka 4."""
    path = shutil.which("kcat")
    if path is None:
        apt_install("kcat", why="kcat is not installed")
        path = shutil.which("kcat")
    if path is None:
        raise ServerError("apt-get installed kcat but it is not on PATH")
    if _librdkafka_version(path, {}) >= SCRAM_FIXED_IN:
        return Kcat(path)
    newer = Kcat(path, {"LD_LIBRARY_PATH": str(_bundled_librdkafka_dir())})
    if _librdkafka_version(path, newer.environment) < SCRAM_FIXED_IN:
        raise ServerError(f"kcat at {path} cannot use a librdkafka fixed for SCRAM on Kafka 4")
    return newer


def _librdkafka_version(path: str, environment: dict[str, str]) -> tuple[int, ...]:
    """The librdkafka kcat runs on, from `kcat -V` ("... librdkafka 2.0.2 builtin...")."""
    result = subprocess.run(
        [path, "-V"], env={**os.environ, **environment}, capture_output=True, text=True
    )
    found = re.search(r"librdkafka (\d+)\.(\d+)\.(\d+)", result.stdout + result.stderr)
    if found is None:
        raise ServerError(f"`kcat -V` did not name its librdkafka: {result.stdout!r}")
    return tuple(int(part) for part in found.groups())


def _bundled_librdkafka_dir() -> Path:
    """A directory holding `librdkafka.so.1`: the library the confluent-kafka wheel ships."""
    wheel_libraries = Path(confluent_kafka.__file__).parent.parent / "confluent_kafka.libs"
    candidates = sorted(wheel_libraries.glob("librdkafka*.so*"))
    if not candidates:
        raise ServerError(f"no librdkafka in {wheel_libraries} to run kcat with")
    LIBRARY_DIR.mkdir(parents=True, exist_ok=True)
    link = LIBRARY_DIR / "librdkafka.so.1"
    link.unlink(missing_ok=True)
    link.symlink_to(candidates[0])
    return LIBRARY_DIR
