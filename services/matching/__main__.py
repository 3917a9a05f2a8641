from services.matching.service import SERVICE
from shared.cli import service_cli

service_cli(SERVICE)()
