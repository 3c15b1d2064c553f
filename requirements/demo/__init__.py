"""Demo requirement backlogs: about sixty requirements over MALL, S11 and PAY, written
through the real services at past moments (`portal.clock.frozen_at`), so every activity
row, timestamp and `requirement.p0` event is what the product itself would have written.

The backlogs show every MoSCoW, Kano and status value; a dozen untriaged requests from
the last two weeks for the triage queue; Kano surveys with spread on the Better/Worse
chart; target KPIs; stories promoted into the running sprint; and, on MALL, a phase 1
whose Must share of the effort stays under 60 % while phase 2's goes over it.

Idempotent: a project that already has requirements is left alone.
"""

from .backlog import Deferred, promote_deferred, seed_requirements
from .specs import BACKLOGS, Spec

__all__ = ["BACKLOGS", "Deferred", "Spec", "promote_deferred", "seed_requirements"]
