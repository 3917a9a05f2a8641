from services.requests.service import SERVICE
from shared.cli import service_cli

service_cli(SERVICE)()
