"""The emulator's fixed lab settings, kept in one place."""

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8180

# The master realm's administrator (a lab credential, not a secret: the sandbox is loopback only).
ADMIN_USER = "admin"
ADMIN_PASSWORD = "sandbox-keycloak-admin"

# Token lifetimes in seconds (Keycloak's defaults are 60 s for master and 300 s elsewhere).
ACCESS_TOKEN_LIFESPAN = 60
REFRESH_TOKEN_LIFESPAN = 1800

STATE_FILE = "keycloak-state.json"
