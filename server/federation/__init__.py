"""ActivityPub: actors, signatures, inbox and outbound delivery."""
