"""The garbage collector while serving.

Start-up leaves some 150,000 tracked objects that live as long as the process (modules, the
schema, the app, the plugin host). Without tuning, every full collection walks all of them
again: 100 ms or more, every dozen or so list requests — the p99 of a quiet server. So, once
the app is ready to serve:

- what start-up made is collected once and then frozen (``gc.freeze``): moved out of the
  collector's generations, never walked again;
- the youngest generation is collected every :data:`YOUNG` net allocations instead of 700, so
  a request's short-lived objects mostly die before a collection sees them and few survive
  into the older generations. Measured on the agency list (100 rows, in-process, CPU time per
  100 requests): untuned, 641 young, 58 middle and 4 full collections, 650 ms, the longest
  144 ms; tuned, 14 young collections and no other, 76 ms, the longest 9 ms. A threshold of
  50,000 made each young collection walk a whole request's survivors (53 ms); 10,000 keeps
  every pause under a tenth of a request.

Cycles are still collected; only less often, and without walking what start-up made. A
request itself leaves next to nothing for the collector since its GraphQL execution context
no longer sits in a reference cycle (``graphql.execution._helpers_of``): 537 objects of cyclic
garbage per list request before, none of the request's own after, so young collections are
rare (6 in 1,500 list requests in process, all the test client's; 79 before).
"""

from __future__ import annotations

import gc

#: allocations (minus deallocations) between collections of the youngest generation
YOUNG = 10_000
#: collections of one generation before the next older one is collected (CPython: 10, 10)
OLDER = 20


def tune_for_serving() -> None:
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG, OLDER, OLDER)
