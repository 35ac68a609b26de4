"""`learnwork seed`: a realistic learning network for demos and benchmarks, written into a
fresh instance's log.

Every event is decided by the domain's own deciders on in-memory states, with the same streams,
expected versions and actors as the commands in `server.commands`, so the seeded log reads like
one written through the API.

- `world`: the pure generator — growth, the agenda, everyday activity — yielding appends with
  their times (`timeline`); its commands are in `social`, `content` and `learning`, its
  bookkeeping in `network`, the aggregates' states in `ledger`, its words in `names` and
  `writing`;
- `load`: every event checked as the store checks it, then written with COPY;
- `run`: the entry point the command line calls; `progress`: the terminal line and summary.
"""
