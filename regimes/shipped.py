"""The regime Concordat ships: `national.toml`, read once per process.

It is the national default until an administrator imports another with
`concordat reporting import`, and the names of the bodies it lists are known to every process
from the start.
"""

from __future__ import annotations

from pathlib import Path

from domain.obligations import Body, ObligationRule
from regimes.format import Regime, read_regime

SHIPPED_FILE = Path(__file__).with_name("national.toml")

SHIPPED_REGIME: Regime = read_regime(SHIPPED_FILE.read_text(encoding="utf-8"))

#: The national rules as shipped, by body.
NATIONAL_RULES: dict[Body, ObligationRule] = SHIPPED_REGIME.rules
