"""The emulator's credentials: a CA, a server certificate for 127.0.0.1/localhost, a bearer
token, and a kubeconfig that ties them together.  All live in the state directory."""

import datetime
import ipaddress
import os
import secrets
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


class Credentials:
    """Where the files are, for one state directory."""

    def __init__(self, state_dir):
        state_dir = Path(state_dir)
        self.ca_cert = state_dir / "ca.crt"
        self.ca_key = state_dir / "ca.key"
        self.server_cert = state_dir / "server.crt"
        self.server_key = state_dir / "server.key"
        self.token_file = state_dir / "token"
        self.kubeconfig = state_dir / "kubeconfig"

    @property
    def token(self):
        return self.token_file.read_text().strip()


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
    if not creds.token_file.exists():
        _write_private(creds.token_file, (secrets.token_urlsafe(32) + "\n").encode())
    text = kubeconfig_text(f"https://{host}:{port}", creds.ca_cert.resolve(), creds.token)
    _write_private(creds.kubeconfig, text.encode())
    return creds
