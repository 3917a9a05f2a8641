from pathlib import Path

import pytest
from pydantic import ValidationError

from services.inventory.settings import InventorySettings
from services.requests.settings import RequestsSettings


def test_common_settings_use_plain_names_and_service_settings_their_prefix(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "broker:9092")
    monkeypatch.setenv("REQUESTS_PORT", "9001")
    monkeypatch.setenv("PORT", "1")  # an unprefixed service setting is not read

    requests = RequestsSettings()
    inventory = InventorySettings()

    assert requests.kafka_bootstrap_servers == "broker:9092"
    assert inventory.kafka_bootstrap_servers == "broker:9092"
    assert requests.port == 9001
    assert inventory.port == 8102


def test_each_service_connects_as_its_own_role(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://admin:secret@db:5432/clearinghouse")
    monkeypatch.setenv("REQUESTS_DATABASE_PASSWORD", "s3cret")

    url = RequestsSettings().service_database_url

    assert (url.username, url.password, url.host, url.database) == (
        "requests",
        "s3cret",
        "db",
        "clearinghouse",
    )


def test_development_gets_a_default_password_but_production_refuses_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert RequestsSettings().database_password.get_secret_value() == "requests-dev-password"

    monkeypatch.setenv("ENVIRONMENT", "production")
    with pytest.raises(ValidationError, match="real database_password"):
        RequestsSettings()
    monkeypatch.setenv("REQUESTS_DATABASE_PASSWORD", "requests-dev-password")
    with pytest.raises(ValidationError, match="real database_password"):
        RequestsSettings()
    monkeypatch.setenv("REQUESTS_DATABASE_PASSWORD", "a-real-one")
    assert RequestsSettings().environment == "production"


@pytest.mark.parametrize(
    ("variable", "value"),
    [("TOPIC_PARTITIONS", "0"), ("TOPIC_PREFIX", "Bad Prefix"), ("REQUESTS_PORT", "70000")],
)
def test_invalid_values_are_refused(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError):
        RequestsSettings()


def test_settings_are_read_from_a_dotenv_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / ".env").write_text("TOPIC_PREFIX=fromfile\nREQUESTS_PORT=9100\n")
    monkeypatch.chdir(tmp_path)

    settings = RequestsSettings()

    assert (settings.topic_prefix, settings.port) == ("fromfile", 9100)
