"""One-click acknowledge links in emails: signed, bound to one member and one incident, expiring.

The link carries no secret of its own; it is trustworthy because only a holder of
`CONCORDAT_SECRET_KEY` can sign one, and it names exactly who may acknowledge what.
"""

from __future__ import annotations

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


class AckLinkSigner:
    def __init__(self, secret_key: str, lifetime_seconds: int) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt=_PURPOSE)
        self._lifetime = lifetime_seconds

    def token_for(self, incident_id: str, member_id: int) -> str:
        return self._serializer.dumps({"incident": incident_id, "member": member_id})

    def url_for(self, base_url: str, incident_id: str, member_id: int) -> str:
        return f"{base_url.rstrip('/')}/ack/{self.token_for(incident_id, member_id)}"

    def verify(self, token: str) -> AckGrant:
        try:
            payload = self._serializer.loads(token, max_age=self._lifetime)
        except SignatureExpired as expired:
            raise ExpiredAckLink("this acknowledge link has expired") from expired
        except BadSignature as bad:
            raise InvalidAckLink("this acknowledge link is not valid") from bad
        try:
            return AckGrant(incident_id=str(payload["incident"]), member_id=int(payload["member"]))
        except (KeyError, TypeError, ValueError) as malformed:
            raise InvalidAckLink("this acknowledge link is not valid") from malformed
