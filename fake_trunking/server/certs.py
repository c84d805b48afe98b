"""The proxy mode's local certificate authority and the leaf certificates it signs.

The CA is made on first use and kept per user in a folder (``default_ca_dir()``: ``fake-trunking``
under ``$XDG_CACHE_HOME`` or ``~/.cache``; ``--ca-dir`` picks another) as two files:
``fake-trunking-ca.pem`` (the certificate, what clients are told to trust) and
``fake-trunking-ca-key.pem`` (its private key, mode 0600, in a folder made 0700). Trusting it
cannot be turned against any other site:

- it is **name-constrained** (X.509 NameConstraints, critical): permitted DNS subtree
  ``.twilio.com``, every IPv4 and IPv6 address excluded, so a certificate it signs for any other
  name or for an IP address fails validation in every client, even if the key leaks;
- it is **short-lived**: valid ``CA_DAYS`` (30) days, replaced by a new one when fewer than
  ``CA_RENEW_DAYS`` (7) are left, and whenever the files are unreadable, not a CA this module made
  (no critical name constraints), or the key is readable by anyone but its owner;
- it signs only leaf certificates for the hosts the fake serves, minted in memory per host on
  first use (``subjectAltName`` = that host; never valid beyond the CA).

Only this module imports ``cryptography`` (the ``proxy`` extra); ``import fake_trunking`` does not.
"""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import os
import ssl
import stat
import tempfile
import threading
from pathlib import Path
from typing import Any, Dict, Iterator, Mapping, Optional, Tuple

from ..core.fileio import PathLike, atomic_write

CA_DAYS = 30  # days a new CA is valid
CA_RENEW_DAYS = 7  # a CA with fewer days left than this is replaced on the next start
CA_CERT_FILE = "fake-trunking-ca.pem"
CA_KEY_FILE = "fake-trunking-ca-key.pem"
CA_NAME = "fake-trunking local CA (only for *.twilio.com)"
PERMITTED_DNS = ".twilio.com"
EXTRA_NAME = "proxy"


class ProxyUnavailable(RuntimeError):
    """``cryptography`` (the ``proxy`` extra) is not installed."""


def require_cryptography() -> None:
    """Raise ``ProxyUnavailable`` with a one-line message naming the extra when it is missing."""
    try:
        import cryptography  # noqa: F401
    except ImportError:
        raise ProxyUnavailable(
            "--proxy needs the cryptography package: pip install 'fake-trunking[proxy]'"
        ) from None


def default_ca_dir(env: Optional[Mapping[str, str]] = None) -> Path:
    """``$XDG_CACHE_HOME/fake-trunking``, else ``~/.cache/fake-trunking``."""
    env = os.environ if env is None else env
    base = env.get("XDG_CACHE_HOME") or ""
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".cache"
    return root / "fake-trunking"


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def _not_after(cert: Any) -> datetime.datetime:
    value: datetime.datetime = getattr(cert, "not_valid_after_utc", None) or (
        cert.not_valid_after.replace(tzinfo=datetime.timezone.utc)
    )
    return value


def _spki(public_key: Any) -> bytes:
    from cryptography.hazmat.primitives import serialization

    der: bytes = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return der


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """An exclusive lock on ``folder`` (POSIX ``flock``), so two servers starting at once agree
    on one CA; without ``fcntl`` (Windows) no lock."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    fd = os.open(str(folder / ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


class CertificateAuthority:
    """The local CA in ``directory`` (made or renewed by ``load_or_create``) and the per-host
    TLS contexts it mints (``context_for``, cached in memory, thread-safe)."""

    def __init__(self, directory: Optional[PathLike] = None) -> None:
        require_cryptography()
        self.directory = Path(directory) if directory is not None else default_ca_dir()
        self.cert_path = self.directory / CA_CERT_FILE
        self.key_path = self.directory / CA_KEY_FILE
        self._cert: Any = None
        self._key: Any = None
        self._leaf_key: Any = None
        self._contexts: Dict[str, ssl.SSLContext] = {}
        self._lock = threading.Lock()
        self.created = False  # whether load_or_create made a new CA

    # -- the CA ------------------------------------------------------------------------------
    def load_or_create(self) -> CertificateAuthority:
        """Use the CA in the folder when it is ours, private and not expiring; else make one."""
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise OSError(f"cannot create the CA folder {self.directory}: {exc.strerror}") from None
        with _locked(self.directory):
            loaded = self._load()
            if loaded is None:
                loaded = self._create()
                self.created = True
            self._cert, self._key = loaded
        return self

    def _load(self) -> Optional[Tuple[Any, Any]]:
        from cryptography import x509
        from cryptography.hazmat.primitives import serialization

        try:
            info = os.stat(self.key_path)
            if stat.S_IMODE(info.st_mode) & 0o077:
                return None  # readable by others: it may have leaked, so it is not used
            if hasattr(os, "getuid") and info.st_uid != os.getuid():
                return None
            key = serialization.load_pem_private_key(self.key_path.read_bytes(), password=None)
            cert = x509.load_pem_x509_certificate(self.cert_path.read_bytes())
        except (OSError, ValueError, TypeError):
            return None
        try:
            constraints = cert.extensions.get_extension_for_class(x509.NameConstraints)
            basic = cert.extensions.get_extension_for_class(x509.BasicConstraints)
        except x509.ExtensionNotFound:
            return None
        permitted = constraints.value.permitted_subtrees or []
        if not (
            constraints.critical
            and basic.value.ca
            and [n.value for n in permitted] == [PERMITTED_DNS]
            and _spki(cert.public_key()) == _spki(key.public_key())
        ):
            return None
        if _not_after(cert) - _now() < datetime.timedelta(days=CA_RENEW_DAYS):
            return None
        return cert, key

    def _create(self) -> Tuple[Any, Any]:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, CA_NAME)])
        now = _now()
        ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=CA_DAYS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=False,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(
                x509.NameConstraints(
                    permitted_subtrees=[x509.DNSName(PERMITTED_DNS)],
                    excluded_subtrees=[
                        x509.IPAddress(ipaddress.ip_network("0.0.0.0/0")),
                        x509.IPAddress(ipaddress.ip_network("::/0")),
                    ],
                ),
                critical=True,
            )
            .add_extension(ski, critical=False)
            .sign(key, hashes.SHA256())
        )
        key_pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        # the old files go first (a link is removed, not followed; a loose mode is not kept),
        # then the key (0600 from its first byte: atomic_write makes a new file 0600), then the
        # certificate clients trust
        for old in (self.cert_path, self.key_path):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(old)
        atomic_write(self.key_path, key_pem)
        os.chmod(self.key_path, 0o600)
        atomic_write(self.cert_path, cert.public_bytes(serialization.Encoding.PEM))
        os.chmod(self.cert_path, 0o644)
        return cert, key

    @property
    def certificate(self) -> Any:
        """The CA's ``cryptography`` certificate (after ``load_or_create``)."""
        if self._cert is None:
            self.load_or_create()
        return self._cert

    # -- leaf certificates -------------------------------------------------------------------
    def leaf_pem(self, host: str) -> Tuple[bytes, bytes]:
        """A new certificate for ``host`` signed by the CA, and its key (both PEM)."""
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

        ca_cert, ca_key = self.certificate, self._key
        if self._leaf_key is None:
            self._leaf_key = ec.generate_private_key(ec.SECP256R1())
        key = self._leaf_key
        now = _now()
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]))
            .issuer_name(ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(_not_after(ca_cert))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=False,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                critical=False,
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
            )
            .sign(ca_key, hashes.SHA256())
        )
        key_pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        return cert.public_bytes(serialization.Encoding.PEM), key_pem

    def context_for(self, host: str) -> ssl.SSLContext:
        """A server-side TLS context presenting a certificate for ``host`` (minted once)."""
        host = host.lower()
        with self._lock:
            context = self._contexts.get(host)
            if context is None:
                cert_pem, key_pem = self.leaf_pem(host)
                context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                context.minimum_version = ssl.TLSVersion.TLSv1_2
                context.set_alpn_protocols(["http/1.1"])
                # the ssl module loads certificates from files only: a private temporary file,
                # removed as soon as it is read
                with tempfile.TemporaryDirectory(prefix="fake-trunking-leaf-") as folder:
                    chain = Path(folder) / "leaf.pem"
                    fd = os.open(str(chain), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                    with os.fdopen(fd, "wb") as handle:
                        handle.write(cert_pem + key_pem)
                    context.load_cert_chain(str(chain))
                self._contexts[host] = context
            return context


__all__ = [
    "CA_CERT_FILE",
    "CA_DAYS",
    "CA_KEY_FILE",
    "CA_RENEW_DAYS",
    "PERMITTED_DNS",
    "CertificateAuthority",
    "ProxyUnavailable",
    "default_ca_dir",
    "require_cryptography",
]
