"""Command handling: load aggregates from the log, run the pure deciders, append the result.

Shared by the HTTP API and (later) the ActivityPub inbox, so both change the domain the same
way. Never reads read-model tables: every decision is taken on state folded from the log.
"""
