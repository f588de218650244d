"""Keycloak's version, ports, lab credentials and JVM settings, kept in one place."""

VERSION = "26.7.3"
ARTIFACT = f"org.keycloak:keycloak-quarkus-dist:{VERSION}:tar.gz"

HOST = "127.0.0.1"
PORT = 8180
MANAGEMENT_PORT = 9180  # /health/ready lives here, not on PORT
URL = f"http://{HOST}:{PORT}"
READY_URL = f"http://{HOST}:{MANAGEMENT_PORT}/health/ready"

# The master realm's bootstrap administrator (a lab credential, not a secret: loopback only).
ADMIN_USER = "admin"
ADMIN_PASSWORD = "sandbox-keycloak-admin"

# The first JDK present wins: Keycloak 26.6+ runs on 17, 21 and 25.
JAVA_HOMES = ("/usr/lib/jvm/temurin-25-jdk-amd64", "/usr/lib/jvm/java-17-openjdk-amd64")
# kc.sh's JAVA_OPTS_KC_HEAP: a fixed heap, as the machine also runs OpenStack and kube-apiserver.
HEAP = "-Xms64m -Xmx640m"

# Build-time options (`kc.sh build`), then the runtime options of `kc.sh start --optimized`.
BUILD_OPTIONS = ("--db=dev-file", "--health-enabled=true")
START_OPTIONS = (
    "--http-enabled=true", f"--http-host={HOST}", f"--http-port={PORT}",
    f"--http-management-port={MANAGEMENT_PORT}", "--hostname-strict=false", "--cache=local",
)
