"""One-click acknowledge links in emails: signed, bound to one member and one incident, expiring.

The link carries no secret of its own; it is trustworthy because only a holder of
`CONCORDAT_SECRET_KEY` can sign one, and it names exactly who may acknowledge what.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

_PURPOSE = "concordat.acknowledge.v1"


class InvalidAckLink(Exception):
    """The link was tampered with, signed with another key, or is not an acknowledge link."""


class ExpiredAckLink(InvalidAckLink):
    pass


@dataclass(frozen=True)
class AckGrant:
    incident_id: str
    member_id: int
    address_digest: str

    def was_sent_to(self, address: str) -> bool:
        """Whether the link went to this address: a role's new holder cannot use the old
        holder's link, nor the old holder theirs."""
        return hmac.compare_digest(self.address_digest, address_digest(address))


def address_digest(address: str) -> str:
    # A digest, not the address: the link carries no personal data in clear.
    return hashlib.sha256(address.strip().lower().encode()).hexdigest()[:16]


class AckLinkSigner:
    def __init__(self, secret_key: str, lifetime_seconds: int) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt=_PURPOSE)
        self._lifetime = lifetime_seconds

    def token_for(self, incident_id: str, member_id: int, address: str) -> str:
        return self._serializer.dumps(
            {"incident": incident_id, "member": member_id, "to": address_digest(address)}
        )

    def url_for(self, base_url: str, incident_id: str, member_id: int, address: str) -> str:
        return f"{base_url.rstrip('/')}/ack/{self.token_for(incident_id, member_id, address)}"

    def verify(self, token: str) -> AckGrant:
        try:
            payload = self._serializer.loads(token, max_age=self._lifetime)
        except SignatureExpired as expired:
            raise ExpiredAckLink("this acknowledge link has expired") from expired
        except BadSignature as bad:
            raise InvalidAckLink("this acknowledge link is not valid") from bad
        try:
            return AckGrant(
                incident_id=str(payload["incident"]),
                member_id=int(payload["member"]),
                address_digest=str(payload["to"]),
            )
        except (KeyError, TypeError, ValueError) as malformed:
            raise InvalidAckLink("this acknowledge link is not valid") from malformed
