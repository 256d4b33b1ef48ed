"""How a person is named inside lineage: by a keyed hash, never by a raw identifier.

The graph, the topics downstream of the adapters and every report use the hash, so a leaked
graph does not leak an address book, and a hash cannot be reversed by hashing a list of known
addresses without the secret (which is why it is an HMAC, not a plain digest).
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from dataclasses import dataclass
from enum import StrEnum


class SubjectType(StrEnum):
    """Kinds of data subject; the fideslang data-subject keys plus newsletter subscribers,
    business partners and members (of an association, a loyalty programme, a platform)."""

    CUSTOMER = "customer"
    PROSPECT = "prospect"
    JOB_APPLICANT = "job_applicant"
    NEWSLETTER_SUBSCRIBER = "newsletter_subscriber"
    EMPLOYEE = "employee"
    TRAINEE = "trainee"
    VISITOR = "visitor"
    CONSULTANT = "consultant"
    SUPPLIER_VENDOR = "supplier_vendor"
    PARTNER = "partner"
    MEMBER = "member"


def normalise_email(address: str) -> str:
    """The form of an address that two systems writing it differently still agree on.

    Case and surrounding space are dropped and Unicode is NFKC-folded; dots and ``+tags`` are
    kept because only some providers ignore them, and merging two real people is worse than
    keeping one person twice.
    """
    folded = unicodedata.normalize("NFKC", address).strip().lower()
    local, at, domain = folded.rpartition("@")
    if not at or not local or not domain or " " in folded or "." not in domain:
        raise ValueError("not an e-mail address")
    return folded


@dataclass(frozen=True, slots=True)
class SubjectHasher:
    """Keyed hash of subject identifiers (HMAC-SHA256, hex, 32 chars).

    Example:
        >>> hasher = SubjectHasher(b"0123456789abcdef")
        >>> hasher.email(" Lea.Martin@Example.fr ") == hasher.email("lea.martin@example.fr")
        True
    """

    key: bytes

    def __post_init__(self) -> None:
        if len(self.key) < 16:
            raise ValueError("the subject hash key must be at least 16 bytes")

    def email(self, address: str) -> str:
        return self._digest("email", normalise_email(address))

    def native(self, namespace: str, native_id: str | int) -> str:
        """Hash of an identifier that only means something inside one system.

        ``namespace`` names the system and object type, e.g. ``hubspot:contact``,
        ``salesforce:lead``, ``greenhouse:candidate``: ids of different objects never collide.
        """
        return self._digest(f"id:{namespace}", str(native_id).strip())

    def _digest(self, namespace: str, value: str) -> str:
        # surrogatepass: JSON may carry lone surrogates ("\ud800"); they hash, they do not raise
        message = f"{namespace}\x1f{value}".encode("utf-8", "surrogatepass")
        return hmac.new(self.key, message, hashlib.sha256).hexdigest()[:32]


# ``system:id`` on the command line means the system's main object type.
DEFAULT_NAMESPACES: dict[str, str] = {
    "hubspot": "hubspot:contact",
    "greenhouse": "greenhouse:candidate",
    "salesforce": "salesforce:contact",
}


def identifier_key(hasher: SubjectHasher, identifier: str) -> str:
    """Key of what a user types to find someone: an e-mail, ``system:id`` or ``ns:type:id``.

    Example:
        ``lea.martin@example.fr``, ``hubspot:90512``, ``salesforce:lead:00Q5g00000AbCdEFG``
    """
    if "@" in identifier:
        return hasher.email(identifier)
    namespace, sep, native_id = identifier.strip().rpartition(":")
    if not sep or not namespace or not native_id:
        raise ValueError("not an e-mail address nor system:id")
    return hasher.native(DEFAULT_NAMESPACES.get(namespace, namespace), native_id)
