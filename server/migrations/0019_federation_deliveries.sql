-- Federation's outbound queue (operational state, not a read model: it records what was sent,
-- which the log cannot know). The outbox enqueuer makes rows from the log in the same
-- transaction as its checkpoint; senders in every process claim and send them.

-- Each activity once, with the exact JSON every delivery of it sends (fixed when enqueued,
-- so a retry sends the same bytes) and who signs it: the actor's name in the key vault and
-- its key id. Kept while any of its deliveries is.
CREATE TABLE federation_activities (
    id         text PRIMARY KEY,
    body       bytea NOT NULL,
    actor      text NOT NULL,
    key_id     text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- One row per activity and inbox (a shared inbox counts once): enqueueing the same page again
-- is a no-op. A sender claims due rows by pushing `next_attempt_at` past its lease; `lease`
-- names the claim, so an outcome recorded after the lease passed to another is dropped, and
-- rows with a lease still running are the requests in flight to their host.
CREATE TABLE federation_deliveries (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    activity_id     text NOT NULL REFERENCES federation_activities ON DELETE CASCADE,
    inbox           text NOT NULL,
    host            text NOT NULL,
    status          text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    retry_until     timestamptz NOT NULL,
    lease           uuid,
    last_status     integer,
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    finished_at     timestamptz,
    UNIQUE (activity_id, inbox)
);
CREATE INDEX federation_deliveries_due ON federation_deliveries (next_attempt_at)
    WHERE status = 'pending';
CREATE INDEX federation_deliveries_host ON federation_deliveries (host, next_attempt_at)
    WHERE status = 'pending';
CREATE INDEX federation_deliveries_leased ON federation_deliveries (host)
    WHERE lease IS NOT NULL;
CREATE INDEX federation_deliveries_window ON federation_deliveries (retry_until)
    WHERE status = 'pending';
CREATE INDEX federation_deliveries_finished ON federation_deliveries (finished_at)
    WHERE status <> 'pending';

-- Hosts that failed lately (no answer, or a 5xx), how many times in a row. Past a threshold
-- a host is unreachable since `unreachable_since`, and none of its deliveries is tried before
-- `next_try_at`. An answer that is no failure deletes its row.
CREATE TABLE federation_hosts (
    host              text PRIMARY KEY,
    failures          integer NOT NULL,
    unreachable_since timestamptz,
    next_try_at       timestamptz
);

-- How far the outbox enqueuer has read the log. It starts at the log's end: what happened
-- before federation delivered anything is not sent now.
CREATE TABLE federation_outbox (
    one      boolean PRIMARY KEY DEFAULT true CHECK (one),
    position bigint NOT NULL
);
INSERT INTO federation_outbox (position) SELECT coalesce(max(position), 0) FROM events;
