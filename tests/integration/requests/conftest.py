"""The requests service in-process on the real database and broker, and keys for every role."""

from __future__ import annotations

from services.requests.service import SERVICE as REQUESTS
from shared.principal import Principal
from tests.service_api import api_fixtures

LAO = Principal.national("LAO")
KHM = Principal.national("KHM")
PER = Principal.national("PER")  # no centre covers Peru in the test network
SOUTH_EAST_ASIA = Principal.regional("south-eastern-asia")
BALKANS = Principal.regional("western-balkans")
SECRETARIAT = Principal.secretariat()
OPERATOR = Principal.operator()
DONOR = Principal.for_donor("norway")
EVERYONE = (LAO, KHM, PER, SOUTH_EAST_ASIA, BALKANS, SECRETARIAT, OPERATOR, DONOR)


api, live_api = api_fixtures(REQUESTS, EVERYONE)
