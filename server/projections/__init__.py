"""Read models built from the event log by a checkpointed runner."""
