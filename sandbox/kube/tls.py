"""The control plane's credentials, all in the state directory: a CA, a serving certificate for
127.0.0.1/localhost, the service-account signing key, and two identities with a bearer token
each (listed in the token file kube-apiserver reads) and a kubeconfig each:

- the admin (group ``system:masters``): ``kubeconfig``, the sandbox's ``KUBECONFIG``;
- ``sandbox-limited``, who holds only what RBAC grants it in one namespace: ``limited.kubeconfig``.
"""

import datetime
import ipaddress
import os
import secrets
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

LIMITED_USER = "sandbox-limited"


class Credentials:
    """Where the files are, for one state directory."""

    def __init__(self, state_dir):
        state_dir = Path(state_dir)
        self.ca_cert = state_dir / "ca.crt"
        self.ca_key = state_dir / "ca.key"
        self.server_cert = state_dir / "server.crt"
        self.server_key = state_dir / "server.key"
        self.service_account_key = state_dir / "service-account.key"
        self.service_account_pub = state_dir / "service-account.pub"
        self.token_file = state_dir / "token"
        self.limited_token_file = state_dir / "limited.token"
        self.token_auth_file = state_dir / "tokens.csv"
        self.kubeconfig = state_dir / "kubeconfig"
        self.limited_kubeconfig = state_dir / "limited.kubeconfig"

    @property
    def token(self):
        return self.token_file.read_text().strip()

    @property
    def limited_token(self):
        return self.limited_token_file.read_text().strip()


def _write_private(path, data):
    path.write_bytes(b"")
    os.chmod(path, 0o600)
    path.write_bytes(data)


def _key_pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _certificate(subject, issuer, public_key, signing_key, extensions):
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(days=1))
               .not_valid_after(now + datetime.timedelta(days=3650)))
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical=critical)
    return builder.sign(signing_key, hashes.SHA256())


def _make_ca(creds):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sandbox-kubernetes-ca")])
    cert = _certificate(name, name, key.public_key(), key, [
        (x509.BasicConstraints(ca=True, path_length=None), True),
        (x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                       key_encipherment=False, data_encipherment=False, key_agreement=False,
                       encipher_only=False, decipher_only=False), True),
        (x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False),
    ])
    _write_private(creds.ca_key, _key_pem(key))
    creds.ca_cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def _make_server_cert(creds):
    ca_key = serialization.load_pem_private_key(creds.ca_key.read_bytes(), None)
    ca_cert = x509.load_pem_x509_certificate(creds.ca_cert.read_bytes())
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kube-apiserver")])
    names = [x509.DNSName("localhost"), x509.DNSName("kubernetes"), x509.DNSName("kubernetes.default"),
             x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    cert = _certificate(subject, ca_cert.subject, key.public_key(), ca_key, [
        (x509.BasicConstraints(ca=False, path_length=None), True),
        (x509.KeyUsage(digital_signature=True, key_encipherment=True, key_cert_sign=False, crl_sign=False,
                       content_commitment=False, data_encipherment=False, key_agreement=False,
                       encipher_only=False, decipher_only=False), True),
        (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False),
        (x509.SubjectAlternativeName(names), False),
        (x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False),
    ])
    _write_private(creds.server_key, _key_pem(key))
    creds.server_cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def _ensure_token(path):
    if not path.exists():
        _write_private(path, (secrets.token_urlsafe(32) + "\n").encode())


def _token_auth_csv(creds):
    """kube-apiserver's --token-auth-file: token,user,uid,"group1,group2"."""
    return (f'{creds.token},sandbox-admin,sandbox-admin,"system:masters"\n'
            f"{creds.limited_token},{LIMITED_USER},{LIMITED_USER}\n")


def kubeconfig_text(server, ca_path, token):
    return (
        "apiVersion: v1\n"
        "kind: Config\n"
        "clusters:\n"
        "- name: sandbox\n"
        "  cluster:\n"
        f"    server: {server}\n"
        f"    certificate-authority: {ca_path}\n"
        "users:\n"
        "- name: sandbox\n"
        "  user:\n"
        f"    token: {token}\n"
        "contexts:\n"
        "- name: sandbox\n"
        "  context:\n"
        "    cluster: sandbox\n"
        "    user: sandbox\n"
        "    namespace: default\n"
        "current-context: sandbox\n"
        "preferences: {}\n"
    )


def ensure(state_dir, host="127.0.0.1", port=6443):
    """Create whatever credentials are missing; (re)write the kubeconfig for ``host:port``."""
    creds = Credentials(state_dir)
    Path(state_dir).mkdir(parents=True, exist_ok=True)
    if not (creds.ca_cert.exists() and creds.ca_key.exists()):
        _make_ca(creds)
        creds.server_cert.unlink(missing_ok=True)
    if not (creds.server_cert.exists() and creds.server_key.exists()):
        _make_server_cert(creds)
    if not (creds.service_account_key.exists() and creds.service_account_pub.exists()):
        key = ec.generate_private_key(ec.SECP256R1())
        _write_private(creds.service_account_key, _key_pem(key))
        creds.service_account_pub.write_bytes(key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    _ensure_token(creds.token_file)
    _ensure_token(creds.limited_token_file)
    _write_private(creds.token_auth_file, _token_auth_csv(creds).encode())
    server = f"https://{host}:{port}"
    for path, token in ((creds.kubeconfig, creds.token), (creds.limited_kubeconfig, creds.limited_token)):
        _write_private(path, kubeconfig_text(server, creds.ca_cert.resolve(), token).encode())
    return creds
