"""The reachability engine: can a flow from these interfaces reach that address, and can the
reply come back, hop by hop as AWS routes and filters packets.

It reads the resource graph and nothing of the checks; `preflight.reach.flows` holds the
questions, `preflight.reach.trace` the routing walk, `preflight.reach.filters` security groups
and network ACLs, `preflight.reach.space` the address arithmetic.
"""

from preflight.reach.flows import FORWARD, RETURN, ROUTE_STAGES, Answer, Problem, Source, family_of, internet, to_subnet
from preflight.reach.space import EPHEMERAL_ANY, EPHEMERAL_LINUX
from preflight.reach.trace import BLOCKED, REACHABLE, UNDECIDED, Hop, Reach

__all__ = ["BLOCKED", "EPHEMERAL_ANY", "EPHEMERAL_LINUX", "FORWARD", "REACHABLE", "RETURN", "ROUTE_STAGES",
           "UNDECIDED", "Answer", "Hop", "Problem", "Reach", "Source", "family_of", "internet", "to_subnet"]
