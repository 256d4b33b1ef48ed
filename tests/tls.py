"""Throwaway TLS material for the Kafka security tests (unit and integration), made with
openssl in a tmp folder: a CA, a broker certificate for 127.0.0.1/localhost in a PKCS12
keystore, a client certificate for mutual TLS, and a second CA that signed nothing the broker
shows. Nothing here outlives one test session."""

from __future__ import annotations

import secrets
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

LEAF = (
    "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
    "authorityKeyIdentifier=keyid,issuer\n"
)
BROKER_EXTENSIONS = LEAF + "extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n"
CLIENT_EXTENSIONS = LEAF + "extendedKeyUsage=clientAuth\n"


@dataclass(frozen=True)
class TlsMaterial:
    ca: Path  # PEM CA certificate: the clients' ssl_ca_file and the broker's truststore
    keystore: Path  # PKCS12 broker key and chain
    keystore_password: str
    client_cert: Path
    client_key: Path
    other_ca: Path  # a CA that signed nothing the broker shows: verification must fail


def openssl_available() -> bool:
    return shutil.which("openssl") is not None


def _openssl(*arguments: str, cwd: Path) -> None:
    subprocess.run(["openssl", *arguments], cwd=cwd, check=True, capture_output=True)


def _ca(folder: Path, name: str) -> None:
    _openssl(
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        f"{name}.key",
        "-out",
        f"{name}.pem",
        "-days",
        "2",
        "-subj",
        f"/CN=lineage test {name}",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
        cwd=folder,
    )


def _leaf(folder: Path, name: str, extensions: str) -> None:
    (folder / f"{name}.ext").write_text(extensions)
    _openssl(
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        f"{name}.key",
        "-out",
        f"{name}.csr",
        "-subj",
        f"/CN={name}",
        cwd=folder,
    )
    _openssl(
        "x509",
        "-req",
        "-in",
        f"{name}.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        f"{name}.pem",
        "-days",
        "2",
        "-extfile",
        f"{name}.ext",
        cwd=folder,
    )


def make_tls_material(folder: Path) -> TlsMaterial:
    """CA, broker and client certificates (EC P-256: generated in milliseconds)."""
    folder.mkdir(parents=True, exist_ok=True)
    _ca(folder, "ca")
    _ca(folder, "other-ca")
    _leaf(folder, "localhost", BROKER_EXTENSIONS)
    _leaf(folder, "lineage-client", CLIENT_EXTENSIONS)
    password = secrets.token_hex(12)
    _openssl(
        "pkcs12",
        "-export",
        "-in",
        "localhost.pem",
        "-inkey",
        "localhost.key",
        "-certfile",
        "ca.pem",
        "-name",
        "broker",
        "-out",
        "broker.p12",
        "-passout",
        f"pass:{password}",
        cwd=folder,
    )
    return TlsMaterial(
        folder / "ca.pem",
        folder / "broker.p12",
        password,
        folder / "lineage-client.pem",
        folder / "lineage-client.key",
        folder / "other-ca.pem",
    )
