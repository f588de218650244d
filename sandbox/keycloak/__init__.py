"""A Keycloak Admin REST API emulator for the sandbox (plain HTTP, state in one JSON file).

Run it with ``python -m sandbox.keycloak --port 8180 --state-dir DIR``; ``KeycloakService``
(``sandbox.keycloak.service``) starts it as a background process for ``python -m sandbox up``.
"""
