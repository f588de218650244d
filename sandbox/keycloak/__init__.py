"""Real Keycloak for the sandbox: the ``keycloak-quarkus-dist`` distribution from Maven Central.

``KeycloakService`` (``sandbox.keycloak.service``) fetches it with Maven, unpacks and builds it
once under ``.sandbox/keycloak/`` (``sandbox.keycloak.distribution``) and runs
``kc.sh start --optimized`` on loopback over plain HTTP.
"""
