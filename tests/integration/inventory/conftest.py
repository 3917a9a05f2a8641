"""The inventory service in-process on the real database and broker, and keys for every role."""

from __future__ import annotations

from services.inventory.service import SERVICE as INVENTORY
from shared.principal import Principal
from tests.service_api import api_fixtures

NORWAY = Principal.for_donor("norway")
JAPAN = Principal.for_donor("japan")
SOUTH_EAST_ASIA = Principal.regional("south-eastern-asia")
BALKANS = Principal.regional("western-balkans")
LAO = Principal.national("LAO")
CAMBODIA = Principal.national("KHM")
THAILAND = Principal.national("THA")
SECRETARIAT = Principal.secretariat()
OPERATOR = Principal.operator()
EVERYONE = (
    NORWAY,
    JAPAN,
    SOUTH_EAST_ASIA,
    BALKANS,
    LAO,
    CAMBODIA,
    THAILAND,
    SECRETARIAT,
    OPERATOR,
)


api, live_api = api_fixtures(INVENTORY, EVERYONE)
